import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, openAsBlob, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getLlama, type Llama, type Token } from 'node-llama-cpp';
import { sharedData } from '../sharedData';
import { llamaCppVocab } from '../../scripts/lib/llamaCppVocab';
import { buildTinyModel, metaStringArray, readGguf, writeGguf, type GgufFile, type TinyModelSpec } from '../../src/formats/gguf';
import { dequantize, QUANTIZABLE_TYPES } from '../../src/formats/quant';

/**
 * Files from our GGUF writer, loaded by llama.cpp (node-llama-cpp 3.21.1, CPU build). This checks the metadata
 * is what llama.cpp expects for each architecture, and the block layouts as llama.cpp reads them from a file.
 */
let llama: Llama;
let dir: string;
let stories: GgufFile;

beforeAll(async () => {
  // One thread: on a small shared machine llama.cpp's spinning worker threads slow everything down.
  llama = await getLlama({ gpu: false, build: 'never', logLevel: 'error' as never, maxThreads: 1 });
  dir = mkdtempSync(join(tmpdir(), 'lora-lab-gguf-'));
  stories = await readGguf(await openAsBlob(sharedData('tiny-models', 'stories260K.gguf')));
});

afterAll(async () => {
  await llama?.dispose();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function save(name: string, spec: TinyModelSpec) {
  const model = buildTinyModel(spec);
  const path = join(dir, `${name}.gguf`);
  writeFileSync(path, new Uint8Array(await writeGguf(model.metadata, model.tensors).arrayBuffer()));
  return { path, model };
}

describe('llama.cpp reads our token embeddings exactly as our decoders do', () => {
  // One block whose attention output and FFN down projections are zero: the hidden state of a token is its
  // embedding row, and llama.cpp's embedding output is that row after the final RMSNorm (weights 1).
  const EPS = 1e-6;
  it.each(QUANTIZABLE_TYPES)('token_embd in %s', async (type) => {
    const { path, model } = await save(`embd-${type}`, {
      architecture: 'llama',
      vocabulary: stories,
      embeddingLength: 256,
      blockCount: 1,
      headCount: 4,
      headCountKv: 2,
      feedForwardLength: 256,
      weightType: 'F32',
      embeddingType: type,
      identityBlocks: true,
      rmsNormEps: EPS,
      seed: 11,
    });
    const embd = model.tensors.find((t) => t.name === 'token_embd.weight')!;
    const rows = dequantize(type, embd.data, 256 * 512);
    const loaded = await llama.loadModel({ modelPath: path });
    const context = await loaded.createEmbeddingContext({ contextSize: 32, threads: 1 });
    let worst = 0;
    for (const token of [3, 77, 300, 511]) {
      const { vector } = await context.getEmbeddingFor([token as Token]);
      const row = rows.subarray(token * 256, token * 256 + 256);
      const meanSquare = row.reduce((s, v) => s + v * v, 0) / 256;
      const scale = 1 / Math.sqrt(meanSquare + EPS);
      for (let i = 0; i < 256; i++) worst = Math.max(worst, Math.abs(vector[i] - row[i] * scale));
    }
    await context.dispose();
    await loaded.dispose();
    // f32 RMSNorm of unit-scale values: differences are rounding of the norm (≈1e-7); a layout error gives O(1).
    expect(worst).toBeLessThan(1e-5);
  });
});

describe('llama.cpp loads tiny models of each architecture and generates', () => {
  async function greedy(path: string, prompt: string, count: number): Promise<number[]> {
    const model = await llama.loadModel({ modelPath: path });
    const context = await model.createContext({ contextSize: 128, threads: 1 });
    const sequence = context.getSequence();
    const out: number[] = [];
    for await (const token of sequence.evaluate(model.tokenize(prompt), { temperature: 0 })) {
      out.push(token);
      if (out.length === count) break;
    }
    await context.dispose();
    await model.dispose();
    return out;
  }

  const cases: [string, () => Promise<GgufFile>, Partial<TinyModelSpec>][] = [
    [
      'Llama (stories260K vocabulary, Q4_0)',
      async () => stories,
      { architecture: 'llama', weightType: 'Q4_0', embeddingLength: 128, headCount: 4, headCountKv: 2, feedForwardLength: 256 },
    ],
    [
      'Llama (stories260K vocabulary, Q8_0)',
      async () => stories,
      { architecture: 'llama', weightType: 'Q8_0', embeddingLength: 128, headCount: 4, headCountKv: 2, feedForwardLength: 256 },
    ],
    [
      'Mistral-shaped (32000-token SentencePiece vocabulary, Q4_K_M mix of Q4_K and Q6_K, F16 embeddings and output, 4 heads / 1 KV head)',
      async () => readGguf(await openAsBlob(llamaCppVocab('llama-spm'))),
      {
        architecture: 'llama',
        weightType: 'Q4_K',
        mix: 'Q4_K_M',
        outputType: 'F16',
        embeddingType: 'F16',
        embeddingLength: 256,
        headCount: 4,
        headCountKv: 1,
        feedForwardLength: 512,
      },
    ],
    [
      'Qwen2-shaped (stories260K vocabulary, Q6_K, QKV biases, tied embeddings)',
      async () => stories,
      {
        architecture: 'qwen2',
        weightType: 'Q6_K',
        embeddingType: 'Q8_0',
        embeddingLength: 256,
        headCount: 4,
        headCountKv: 2,
        feedForwardLength: 256,
      },
    ],
  ];

  it.each(cases)('%s', async (name, vocabulary, shape) => {
    const spec = { vocabulary: await vocabulary(), blockCount: 2, seed: 5, ...shape } as TinyModelSpec;
    const { path } = await save(name.replace(/\W+/g, '-'), spec);
    const first = await greedy(path, 'Once upon a time', 12);
    // Random weights may emit end-of-text early; at least one token must come, and the run must repeat exactly.
    expect(first.length).toBeGreaterThan(0);
    expect(first.every((t) => Number.isInteger(t) && t >= 0 && t < metaStringArray(spec.vocabulary, 'tokenizer.ggml.tokens').length)).toBe(
      true,
    );
    expect(await greedy(path, 'Once upon a time', 12)).toEqual(first);
  });
});
