/**
 * Full-size synthetic GGUF models for smoke runs and benchmarks: real shapes (Mistral-7B's, or a ~500M
 * Llama), seeded random weights, the real 32,000-token SentencePiece vocabulary. Written as a stream, tensor
 * by tensor, so a 4 GB file never sits in memory.
 *
 *   node --import tsx scripts/make-synthetic-gguf.ts --shape mistral-7b|llama-500m --type Q4_0|Q4_K_M --out <file.gguf>
 *
 * Every layer carries the same weights (layer 0's, generated once): generating and quantising 7 billion values in
 * JavaScript takes far longer than the run it feeds, and the speed and memory being measured do not depend on
 * the values. Token embeddings and the output head are generated in full.
 */
import { closeSync, existsSync, openAsBlob, openSync, statSync, writeSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs, flag } from '../src/cli/args';
import { layoutGguf, planTinyModel, readGguf, type TinyModelSpec } from '../src/formats/gguf';
import { quantize, type QuantizableType } from '../src/formats/quant';
import { llamaCppVocab } from './lib/llamaCppVocab';

export type SyntheticShape = 'mistral-7b' | 'llama-500m';
export type SyntheticType = 'Q4_0' | 'Q4_K_M';

const SHAPES: Record<SyntheticShape, Omit<TinyModelSpec, 'vocabulary' | 'weightType' | 'seed'>> = {
  // Mistral 7B v0.1: 32 layers, hidden 4096, 32 heads / 8 KV heads, FFN 14336, context 32768.
  'mistral-7b': {
    architecture: 'llama',
    name: 'synthetic-mistral-7b',
    embeddingLength: 4096,
    blockCount: 32,
    headCount: 32,
    headCountKv: 8,
    feedForwardLength: 14336,
    contextLength: 32768,
  },
  // ≈ 500M parameters: 16 layers of hidden 1536 (12 heads / 4 KV heads, head dim 128), FFN 4096, 32k vocabulary.
  'llama-500m': {
    architecture: 'llama',
    name: 'synthetic-llama-500m',
    embeddingLength: 1536,
    blockCount: 16,
    headCount: 12,
    headCountKv: 4,
    feedForwardLength: 4096,
    contextLength: 4096,
  },
};

/** llama.cpp's Q4_K_M recipe, simplified: Q6_K output and attn_v/ffn_down in the first half of the layers. */
function tensorType(name: string, dims: number[], type: SyntheticType, blockCount: number): QuantizableType {
  if (dims.length === 1) return 'F32';
  if (type === 'Q4_0') return name === 'output.weight' ? 'Q6_K' : 'Q4_0';
  if (name === 'output.weight') return 'Q6_K';
  const m = /^blk\.(\d+)\.(attn_v|ffn_down)\.weight$/.exec(name);
  return m && Number(m[1]) < blockCount / 2 ? 'Q6_K' : 'Q4_K';
}

/** The tensor's name with its layer replaced by 0: the key under which its bytes are shared. */
function layerZeroName(name: string): string {
  return name.replace(/^blk\.\d+\./, 'blk.0.');
}

/**
 * Writes the model to `out` (skipped when a file of the expected size is already there) and returns its size.
 * Q4_0 files keep the output head in Q6_K, as llama.cpp's quantiser does.
 */
export async function writeSyntheticGguf(
  out: string,
  shape: SyntheticShape,
  type: SyntheticType,
  log = (m: string) => process.stderr.write(m),
): Promise<number> {
  const vocabulary = await readGguf(await openAsBlob(llamaCppVocab('llama-spm')));
  const spec = { ...SHAPES[shape], vocabulary, weightType: (type === 'Q4_0' ? 'Q4_0' : 'Q4_K') as QuantizableType, seed: 7 };
  const plan = planTinyModel(spec);
  const tensors = plan.tensors.map((t) => ({ ...t, type: tensorType(t.name, t.dims, type, spec.blockCount) }));
  const layout = layoutGguf(plan.metadata, tensors);
  if (existsSync(out) && statSync(out).size === layout.byteLength) {
    log(`${out} already written (${layout.byteLength} bytes)\n`);
    return layout.byteLength;
  }
  const shared = new Map<string, Uint8Array>();
  const fd = openSync(out, 'w');
  try {
    writeSync(fd, layout.header);
    let position = layout.header.length;
    for (const [i, t] of tensors.entries()) {
      const at = layout.header.length + layout.tensorOffsets[i];
      if (at > position) writeSync(fd, new Uint8Array(at - position));
      const key = `${layerZeroName(t.name)}/${t.type}`;
      let bytes = shared.get(key);
      if (!bytes) {
        bytes = quantize(t.type, tensors.find((u) => u.name === layerZeroName(t.name))!.values());
        if (t.name.startsWith('blk.')) shared.set(key, bytes);
      }
      writeSync(fd, bytes);
      position = at + bytes.length;
      log(`\r${i + 1}/${tensors.length} tensors, ${(position / 2 ** 30).toFixed(2)} GiB`);
    }
  } finally {
    closeSync(fd);
  }
  log(`\nwrote ${out}: ${shape} ${type}, ${layout.byteLength} bytes\n`);
  return layout.byteLength;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = parseArgs(process.argv.slice(2), { values: ['shape', 'type', 'out'] });
  const shape = (flag(args, 'shape') ?? 'mistral-7b') as SyntheticShape;
  const type = (flag(args, 'type') ?? 'Q4_0') as SyntheticType;
  const out = flag(args, 'out');
  if (!out || !(shape in SHAPES) || !['Q4_0', 'Q4_K_M'].includes(type)) {
    process.stderr.write('usage: make-synthetic-gguf --shape mistral-7b|llama-500m --type Q4_0|Q4_K_M --out <file.gguf>\n');
    process.exit(2);
  }
  await writeSyntheticGguf(out, shape, type);
}
