import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main';
import { sharedData } from '../sharedData';
import { SHARED_VOCABS, vocabPath } from './llamaCppModels';
import { llamaCppModelFile } from '../../scripts/lib/llamaCppVocab';

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(['tokenize', ...argv], { out: (t) => (out += t), err: (t) => (err += t) });
  return { code, out, err };
}

describe('lora-lab tokenize', () => {
  it.each(SHARED_VOCABS)('prints exactly the .out file of %s for its .inp file', async (name) => {
    const inp = sharedData('llama-vocab', `ggml-vocab-${name}.gguf.inp`);
    const result = await run('--model', vocabPath(name), '--inp', inp);
    expect(result.err).toBe('');
    expect(result.code).toBe(0);
    expect(result.out).toBe(readFileSync(sharedData('llama-vocab', `ggml-vocab-${name}.gguf.out`), 'utf8'));
  });

  it('tokenizes one --text string, adding BOS with --add-special', async () => {
    expect((await run('--model', vocabPath('llama-spm'), '--text', 'Hello world')).out).toBe(' 15043 3186\n');
    expect((await run('--model', vocabPath('llama-spm'), '--text', 'Hello world', '--add-special')).out).toBe(' 1 15043 3186\n');
  });

  it('matches control tokens in the text only with --parse-special', async () => {
    const plain = await run('--model', vocabPath('llama-spm'), '--text', '<s>hi');
    const parsed = await run('--model', vocabPath('llama-spm'), '--text', '<s>hi', '--parse-special');
    expect(plain.out).not.toMatch(/^ 1 /);
    expect(parsed.out).toBe(' 1 7251\n');
  });

  it('names a missing model file in a one-line error and exits 1', async () => {
    const result = await run('--model', '/nonexistent/model.gguf', '--text', 'hi');
    expect(result.code).toBe(1);
    expect(result.err).toBe('lora-lab tokenize: /nonexistent/model.gguf: file not found\n');
  });

  it('refuses a GGUF file that was saved as text, naming the file in one line', async () => {
    // What happened to the copies in ../shared/data: every invalid UTF-8 sequence became U+FFFD.
    const mangled = join(mkdtempSync(join(tmpdir(), 'lora-lab-tokenize-')), 'as-text.gguf');
    writeFileSync(mangled, new TextDecoder().decode(readFileSync(vocabPath('gpt-2'))));
    const result = await run('--model', mangled, '--text', 'hi');
    expect(result.code).toBe(1);
    expect(result.err.trimEnd().split('\n')).toHaveLength(1);
    expect(result.err).toContain(mangled);
  });

  it('names the field of an unsupported tokenizer model', async () => {
    const result = await run('--model', llamaCppModelFile('ggml-vocab-bert-bge.gguf'), '--text', 'hi');
    expect(result.code).toBe(1);
    expect(result.err).toMatch(/ggml-vocab-bert-bge\.gguf: tokenizer\.ggml\.model: tokenizer model "bert" is not supported/);
    expect(result.err.trimEnd().split('\n')).toHaveLength(1);
  });

  it('refuses an .inp file without the separator lines, naming it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lora-lab-tokenize-'));
    const inp = join(dir, 'plain.txt');
    writeFileSync(inp, 'just some text\n');
    const result = await run('--model', vocabPath('gpt-2'), '--inp', inp);
    expect(result.code).toBe(1);
    expect(result.err).toContain(`${inp}: does not end with a "__ggml_vocab_test__" line`);
  });

  it('is a usage error (exit 2) without --model or with both --inp and --text', async () => {
    expect((await run('--text', 'hi')).code).toBe(2);
    expect((await run('--model', 'm.gguf', '--text', 'hi', '--inp', 'x.inp')).code).toBe(2);
  });
});
