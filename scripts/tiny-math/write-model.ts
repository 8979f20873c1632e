/**
 * Writes the bundled model's GGUF from what pretrain.py saved: its tensors (2-D weights quantized to Q8_0 with
 * our quantizer, norms kept F32), llama.cpp's `llama` metadata and the vocabulary corpus.ts built.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { copyMetadata, llamaMetadata, readGguf, writeGguf } from '../../src/formats/gguf';
import { quantize } from '../../src/formats/quant';

export interface TrainedWeights {
  hyper: {
    vocab: number;
    dim: number;
    layers: number;
    heads: number;
    kvHeads: number;
    ff: number;
    context: number;
    eps: number;
    ropeBase: number;
  };
  training: {
    steps: number;
    batch: number;
    lr: number;
    warmup: number;
    seed: number;
    tokens: number;
    seconds: number;
    losses: { step: number; loss: number }[];
  };
  tensors: { name: string; dims: number[]; offset: number }[];
}

/**
 * Q8_0 for the matrices by default: the bundled model is quantized like the GGUF files users bring, at a bit width
 * that costs a small model nothing. F32 gives the unquantized model (for checking our math against llama.cpp's).
 */
const FILE_TYPES = { Q8_0: 7, F32: 0 } as const;

export async function writeModel(
  corpusDir: string,
  weightsDir: string,
  out: string,
  name: string,
  matrixType: keyof typeof FILE_TYPES = 'Q8_0',
): Promise<TrainedWeights> {
  const trained = JSON.parse(readFileSync(join(weightsDir, 'weights.json'), 'utf8')) as TrainedWeights;
  const bytes = readFileSync(join(weightsDir, 'weights.bin'));
  const values = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  const vocab = await readGguf(new Blob([readFileSync(join(corpusDir, 'vocab.gguf'))]), { name: 'vocab.gguf' });
  const h = trained.hyper;
  const metadata = [
    ...llamaMetadata({
      architecture: 'llama',
      name,
      contextLength: h.context,
      embeddingLength: h.dim,
      blockCount: h.layers,
      feedForwardLength: h.ff,
      headCount: h.heads,
      headCountKv: h.kvHeads,
      rmsNormEps: h.eps,
      ropeFreqBase: h.ropeBase,
      vocabSize: h.vocab,
      fileType: FILE_TYPES[matrixType],
    }),
    ...copyMetadata(vocab),
  ];
  const tensors = trained.tensors.map((t) => {
    const count = t.dims.reduce((a, b) => a * b, 1);
    const data = values.subarray(t.offset / 4, t.offset / 4 + count);
    const type = t.dims.length === 2 ? matrixType : 'F32';
    return { name: t.name, dims: t.dims, type, data: quantize(type, data) } as const;
  });
  writeFileSync(out, new Uint8Array(await writeGguf(metadata, tensors).arrayBuffer()));
  return trained;
}
