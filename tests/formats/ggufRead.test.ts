import { describe, expect, it } from 'vitest';
import { openAsBlob } from 'node:fs';
import { readFileSync } from 'node:fs';
import { sharedData } from '../sharedData';
import { llamaCppVocab } from '../../scripts/lib/llamaCppVocab';
import {
  findTensor,
  metaNumber,
  metaNumberArray,
  metaString,
  metaStringArray,
  readGguf,
  readTensorBytes,
  tensorChunks,
} from '../../src/formats/gguf';
import { GgufValueType } from '../../src/formats/gguf/types';

const STORIES = sharedData('tiny-models', 'stories260K.gguf');

describe('readGguf on real files', () => {
  it('reads stories260K: version, hyperparameters, vocabulary and 48 F32 tensors', async () => {
    const file = await readGguf(await openAsBlob(STORIES), { name: 'stories260K.gguf' });
    expect(file.version).toBe(3);
    expect(file.alignment).toBe(32);
    expect(metaString(file, 'general.architecture')).toBe('llama');
    expect(metaNumber(file, 'llama.embedding_length')).toBe(64);
    expect(metaNumber(file, 'llama.feed_forward_length')).toBe(172);
    expect(metaNumber(file, 'llama.attention.head_count')).toBe(8);
    expect(metaNumber(file, 'llama.attention.head_count_kv')).toBe(4);
    expect(metaNumber(file, 'llama.block_count')).toBe(5);
    expect(metaNumber(file, 'llama.attention.layer_norm_rms_epsilon')).toBeCloseTo(1e-5, 10);
    expect(metaStringArray(file, 'tokenizer.ggml.tokens').slice(0, 3)).toEqual(['<unk>', '<s>', '</s>']);
    expect(file.metadata.get('tokenizer.ggml.scores')).toBeInstanceOf(Float32Array);
    expect(file.metadata.get('tokenizer.ggml.token_type')).toBeInstanceOf(Int32Array);
    expect(file.metadataTypes.get('llama.block_count')).toEqual({ type: GgufValueType.UINT32 });
    expect(file.tensors).toHaveLength(3 + 5 * 9);
    expect(file.tensors.every((t) => t.type.name === 'F32')).toBe(true);
    const embd = findTensor(file.tensors, 'token_embd.weight');
    expect(embd.dims).toEqual([64, 512]);
    expect(embd.offset).toBe(file.dataOffset);
    expect(embd.byteLength).toBe(64 * 512 * 4);
    expect(findTensor(file.tensors, 'blk.0.ffn_down.weight').dims).toEqual([172, 64]);
    const last = file.tensors.reduce((a, b) => (a.offset > b.offset ? a : b));
    expect(last.offset + last.byteLength).toBe(file.byteLength);
  });

  it('streams a tensor in 4-byte-multiple chunks that reassemble to the bytes at its offset', async () => {
    const blob = await openAsBlob(STORIES);
    const file = await readGguf(blob);
    const tensor = findTensor(file.tensors, 'blk.0.ffn_gate.weight');
    const raw = readFileSync(STORIES).subarray(tensor.offset, tensor.offset + tensor.byteLength);
    const chunks = [];
    for await (const chunk of tensorChunks(blob, tensor, 10_001)) chunks.push(chunk);
    expect(chunks.map((c) => c.bytes.length)).toEqual([10_000, 10_000, 10_000, 10_000, 4032]);
    expect(chunks.map((c) => c.tensorOffset)).toEqual([0, 10_000, 20_000, 30_000, 40_000]);
    expect(Buffer.from(await readTensorBytes(blob, tensor)).equals(raw)).toBe(true);
    const norm = new Float32Array((await readTensorBytes(blob, findTensor(file.tensors, 'output_norm.weight'))).buffer);
    expect(norm.every((x) => Number.isFinite(x) && x !== 0)).toBe(true);
  });

  it('parses with a tiny read window (header fetched in 64-byte slices)', async () => {
    const blob = await openAsBlob(STORIES);
    const small = await readGguf(blob, { windowBytes: 64 });
    const big = await readGguf(blob);
    expect(small.tensors).toEqual(big.tensors);
    expect(small.metadata).toEqual(big.metadata);
  });

  it.each([
    ['llama-spm', 32000, 'llama'],
    ['gpt-2', 50257, 'gpt2'],
    ['deepseek-llm', 102400, 'gpt2'],
  ] as const)('reads llama.cpp vocabulary %s (%i tokens, tokenizer %s)', async (name, tokens, model) => {
    const file = await readGguf(await openAsBlob(llamaCppVocab(name)));
    expect(file.tensors).toHaveLength(0);
    expect(metaString(file, 'tokenizer.ggml.model')).toBe(model);
    expect(metaStringArray(file, 'tokenizer.ggml.tokens')).toHaveLength(tokens);
    expect(metaNumberArray(file, 'tokenizer.ggml.token_type')).toHaveLength(tokens);
    if (model === 'llama') expect(file.metadata.get('tokenizer.ggml.scores')).toBeInstanceOf(Float32Array);
    else expect(metaStringArray(file, 'tokenizer.ggml.merges').every((m) => m.includes(' '))).toBe(true);
  });

  it.each(['llama-spm', 'gpt-2', 'deepseek-llm'] as const)(
    "shared copy of %s either equals llama.cpp's file or is refused as text-mangled",
    async (name) => {
      const shared = sharedData('llama-vocab', `ggml-vocab-${name}.gguf`);
      const genuine = readFileSync(llamaCppVocab(name));
      if (readFileSync(shared).equals(genuine)) {
        await expect(readGguf(await openAsBlob(shared))).resolves.toBeDefined();
      } else {
        await expect(readGguf(await openAsBlob(shared))).rejects.toThrow(/replacement bytes.*binary mode/);
      }
    },
  );
});

describe('typed metadata getters', () => {
  it('name the key when it is missing or of the wrong type', async () => {
    const file = await readGguf(await openAsBlob(STORIES));
    expect(() => metaString(file, 'llama.rope.freq_base')).toThrow(/"llama.rope.freq_base" is missing/);
    expect(() => metaString(file, 'llama.block_count')).toThrow(/"llama.block_count" should be a string/);
    expect(() => metaNumber(file, 'general.name')).toThrow(/"general.name" should be a number/);
    expect(() => metaStringArray(file, 'tokenizer.ggml.scores')).toThrow(/array of strings/);
  });
});
