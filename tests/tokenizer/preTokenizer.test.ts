import { describe, expect, it } from 'vitest';
import { preTokenizerFor, splitWords } from '../../src/tokenizer';

const split = (pre: string, text: string) => splitWords(text, preTokenizerFor(pre).patterns);

describe('pre-tokenizers', () => {
  it('GPT-2: words keep one leading space, digits stay together, spaces before a word stay apart', () => {
    expect(split('gpt-2', "Hello  world's 12345!!")).toEqual(['Hello', ' ', ' world', "'s", ' 12345', '!!']);
  });

  it('Llama 3: digits in groups of three, a word may take one leading symbol, contractions in any case', () => {
    expect(split('llama-bpe', "x=1234567 DON'T")).toEqual(['x', '=', '123', '456', '7', ' DON', "'T"]);
  });

  it('Qwen2: every digit on its own', () => {
    expect(split('qwen2', 'pi 3.14')).toEqual(['pi', ' ', '3', '.', '1', '4']);
  });

  it('Llama 3 and Qwen2: runs of newlines stay together with the spaces before them', () => {
    expect(split('qwen2', 'a  \n\n b')).toEqual(['a', '  \n\n', ' b']);
  });

  it('DeepSeek LLM: newlines alone, CJK runs apart from Latin, digits split from letters', () => {
    expect(split('deepseek-llm', 'ab12中文\nx')).toEqual(['ab', '12', '中文', '\n', 'x']);
  });

  it("treat U+0085 as a space and U+FEFF as not one, as llama.cpp's Unicode tables do", () => {
    expect(split('gpt-2', 'a\u0085\u0085b')).toEqual(['a', '\u0085', '\u0085', 'b']);
    expect(split('gpt-2', 'a \ufeff')).toEqual(['a', ' \ufeff']);
  });

  it('pieces always cover the text exactly', () => {
    const text = "Hi!  It's 2024 — 中文 😀\n\n\tdone ";
    for (const pre of ['default', 'gpt-2', 'llama-bpe', 'qwen2', 'deepseek-llm', 'deepseek-coder', 'falcon', 'starcoder']) {
      expect(split(pre, text).join('')).toBe(text);
    }
  });

  it('an unknown name is an error listing the supported ones', () => {
    expect(() => preTokenizerFor('mystery')).toThrow(
      /tokenizer\.ggml\.pre: pre-tokenizer "mystery" is not supported — supported: default, gpt-2/,
    );
  });
});
