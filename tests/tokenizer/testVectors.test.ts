import { describe, expect, it } from 'vitest';
import { formatVocabTestOutput, parseVocabTestInput } from '../../src/tokenizer';

describe('llama.cpp test-vector files', () => {
  it('read each string up to the newline before its separator line, keeping its own newlines', () => {
    const inp = 'Hello\n__ggml_vocab_test__\n\n__ggml_vocab_test__\n\n\n\n__ggml_vocab_test__\n \n__ggml_vocab_test__\n';
    expect(parseVocabTestInput(inp)).toEqual(['Hello', '', '\n\n', ' ']);
  });

  it('write one line per string, every id preceded by a space, an empty line for no ids', () => {
    expect(formatVocabTestOutput([[15043, 3186], [], [29871, 13]])).toBe(' 15043 3186\n\n 29871 13\n');
  });
});
