import { openAsBlob } from 'node:fs';
import type { Gpu } from '../../src/gpu/gpu';
import { buildTinyModel, readGguf, writeGguf, type GgufFile, type TinyModelSpec } from '../../src/formats/gguf';
import { Model } from '../../src/model/model';
import type { PackedRow, PackedRowSource } from '../../src/data/packing';
import { seededRandom } from '../../src/util/random';
import { sharedData } from '../sharedData';

export const STORIES_PATH = sharedData('tiny-models', 'stories260K.gguf');

let vocabulary: Promise<GgufFile> | undefined;

/** stories260K's 512-token SentencePiece vocabulary: the smallest real one, so logits stay cheap. */
export function storiesVocabulary(): Promise<GgufFile> {
  vocabulary ??= openAsBlob(STORIES_PATH).then((blob) => readGguf(blob));
  return vocabulary;
}

/**
 * A tiny f32 Llama (GQA 4/2 heads of 8, FFN 44 — not a multiple of 8, so ffn_down takes the dense f32 path while
 * the other projections take the block kernels) with seeded weights.
 */
export async function tinyLlama(
  gpu: Gpu,
  overrides: Partial<TinyModelSpec> = {},
  /** Replaces f32 tensors by name before the file is written. */
  replace: Record<string, (values: Float32Array) => Float32Array> = {},
): Promise<{ model: Model; tensors: Map<string, Float32Array> }> {
  const tiny = buildTinyModel({
    architecture: 'llama',
    vocabulary: await storiesVocabulary(),
    embeddingLength: 32,
    blockCount: 2,
    headCount: 4,
    headCountKv: 2,
    feedForwardLength: 44,
    weightType: 'F32',
    seed: 7,
    ...overrides,
  });
  for (const t of tiny.tensors) {
    const change = replace[t.name];
    if (!change) continue;
    if (t.type !== 'F32') throw new Error(`tinyLlama: ${t.name} is not F32`);
    const values = change(tiny.sourceValues.get(t.name)!);
    tiny.sourceValues.set(t.name, values);
    t.data = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  }
  // An f32 KV cache as well: the tests compare its outputs with the f64 reference at f32 tolerances.
  const model = await Model.load(gpu, writeGguf(tiny.metadata, tiny.tensors), { maxContext: 64, maxStepTokens: 64, kvPrecision: 'f32' });
  return { model, tensors: tiny.sourceValues };
}

/** A packed row of `seqLen` tokens holding sequences of the given lengths (then padding), random ids from `seed`. */
export function randomPackedRow(seqLen: number, lengths: number[], vocab: number, seed: number, promptLength = 2): PackedRow {
  const next = seededRandom(seed);
  const row: PackedRow = {
    tokens: new Int32Array(seqLen),
    targets: new Uint8Array(seqLen),
    segmentIds: new Int32Array(seqLen),
    positions: new Int32Array(seqLen),
    segments: lengths.length,
  };
  let at = 0;
  lengths.forEach((n, s) => {
    for (let i = 0; i < n; i++) {
      row.tokens[at + i] = i === 0 ? 1 : 3 + Math.floor(next() * (vocab - 3));
      row.targets[at + i] = i >= promptLength ? 1 : 0;
      row.segmentIds[at + i] = s + 1;
      row.positions[at + i] = i;
    }
    at += n;
  });
  return row;
}

/** Every row of a source (prepared data's rows), as an array. */
export function rowsIn(source: PackedRowSource): PackedRow[] {
  return Array.from({ length: source.length }, (_, i) => source.at(i)!);
}
