import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../sharedData';
import { metaNumber, metaString, metaStringArray, readGguf } from '../../src/formats/gguf';
import { openFileSource } from '../../src/formats/nodeFileSource';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'lora-lab-make-tiny-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function makeTiny(...args: string[]): string {
  return execFileSync(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'scripts', 'make-tiny-gguf.ts'), ...args], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

describe('scripts/make-tiny-gguf.ts', () => {
  it('writes a Mistral-shaped Q4_0 model: llama architecture, 4 query heads per KV head, stories260K vocabulary', async () => {
    const out = join(dir, 'mistral.gguf');
    makeTiny('--out', out, '--shape', 'mistral', '--type', 'Q4_0', '--embd', '128', '--heads', '8', '--layers', '3', '--seed', '9');
    const file = await readGguf(await openFileSource(out));
    expect(metaString(file, 'general.architecture')).toBe('llama');
    expect(metaNumber(file, 'llama.attention.head_count')).toBe(8);
    expect(metaNumber(file, 'llama.attention.head_count_kv')).toBe(2);
    expect(metaNumber(file, 'llama.block_count')).toBe(3);
    expect(metaStringArray(file, 'tokenizer.ggml.tokens')).toHaveLength(512);
    expect(file.tensors.find((t) => t.name === 'blk.2.attn_k.weight')).toMatchObject({ dims: [128, 32] });
    expect(new Set(file.tensors.filter((t) => t.dims.length === 2).map((t) => t.type.name))).toEqual(new Set(['Q4_0']));
  });

  it('writes the Q4_K_M mix: Q6_K output, Q6_K attn_v/ffn_down in the layers llama.cpp favours, Q4_K elsewhere', async () => {
    const out = join(dir, 'q4km.gguf');
    makeTiny('--out', out, '--type', 'Q4_K_M', '--layers', '8', '--embd', '256', '--ff', '256');
    const file = await readGguf(await openFileSource(out));
    const typeOf = (name: string) => file.tensors.find((t) => t.name === name)!.type.name;
    expect(typeOf('output.weight')).toBe('Q6_K');
    expect(typeOf('token_embd.weight')).toBe('Q4_K');
    // 8 layers: the first (0) and last (7) eighths, and layers 3 and 6 ((i - 1) % 3 == 2).
    expect([0, 1, 2, 3, 4, 5, 6, 7].map((i) => typeOf(`blk.${i}.ffn_down.weight`))).toEqual([
      'Q6_K',
      'Q4_K',
      'Q4_K',
      'Q6_K',
      'Q4_K',
      'Q4_K',
      'Q6_K',
      'Q6_K',
    ]);
    expect(typeOf('blk.3.attn_v.weight')).toBe('Q6_K');
    expect(typeOf('blk.3.attn_q.weight')).toBe('Q4_K');
  });

  it('fails with a message naming the tensor when a size does not fit the quant type', () => {
    expect(() => makeTiny('--out', join(dir, 'bad.gguf'), '--type', 'Q4_K', '--embd', '64')).toThrow(
      /tensor "token_embd.weight" row length 64 is not a multiple of the Q4_K block size 256/,
    );
  });
});
