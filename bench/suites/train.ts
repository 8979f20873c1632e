import type { BenchContext, BenchRow, BenchSuite } from '../harness';
import type { Gpu } from '../../src/gpu/gpu';
import type { TrackedBuffer } from '../../src/gpu/allocator';
import { buildTinyModel, writeGguf, type GgufFile } from '../../src/formats/gguf';
import { quantize, type QuantizableType } from '../../src/formats/quant';
import { randomF32 } from '../../src/util/random';
import { freeQuantizedWeight, rowByteLength, uploadQuantizedWeight, type QuantizedWeight } from '../../src/kernels/quantWeight';
import { quantizedMatmul } from '../../src/kernels/qmatmul';
import { attentionForward } from '../../src/kernels/attention';
import { attentionBackward } from '../../src/kernels/attentionBackward';
import { uploadRopeFrequencies } from '../../src/kernels/rope';
import { Model } from '../../src/model/model';
import type { ModelConfig } from '../../src/model/config';
import type { LayerWeights, ModelWeights } from '../../src/model/weights';
import { LoraAdapter } from '../../src/model/lora/lora';
import { PROJECTIONS, type Projection } from '../../src/model/tensorNames';
import { TrainingGraph } from '../../src/model/training/trainingGraph';
import { allocateTrainingBuffers, freeTrainingBuffers } from '../../src/model/training/trainingBuffers';
import { layerBackward, layerForward, type TrainingContext } from '../../src/model/training/trainingLayer';
import { projectionShape } from '../../src/model/lora/lora';

// Training throughput. (1) Tiny models end to end: tokens/s of a full training pass (forward with checkpoints,
// chunked loss, per-layer recompute and backward). (2) One Mistral-7B-shaped layer (Q4_K, 32/8 heads of 128,
// FFN 14336, LoRA rank 16 on all seven projections) at T tokens: forward, recompute and backward GPU times, the
// projected step time of the full 32-layer model at seq 2048 (matmul-like work scaled by 2048/T, attention by
// (2048/T)²), and the layer's training FLOP rate as a fraction of the quantized matmul's at the same shape.
// SwiftShader is slow: T defaults to 128; set VITE_TRAIN_LAYER_TOKENS=2048 on a real GPU.

const RANK = 16;

/** A stand-in vocabulary of `size` tokens: training (and a synthetic model's speed) needs only the token count. */
export function vocabulary(size: number): GgufFile {
  const tokens = Array.from({ length: size }, (_, i) => `t${i}`);
  return {
    version: 3,
    metadata: new Map([['tokenizer.ggml.tokens', tokens]]),
    metadataTypes: new Map(),
    tensors: [],
    alignment: 32,
    dataOffset: 0,
    byteLength: 0,
  };
}

export async function tinyModelRows(
  ctx: BenchContext,
  name: string,
  type: QuantizableType,
  batch: number,
  seqLen: number,
): Promise<BenchRow[]> {
  const tiny = buildTinyModel({
    architecture: 'llama',
    vocabulary: vocabulary(512),
    embeddingLength: 64,
    blockCount: 5,
    headCount: 8,
    headCountKv: 4,
    feedForwardLength: 192,
    weightType: type,
    seed: 1,
  });
  const model = await Model.load(ctx.gpu, writeGguf(tiny.metadata, tiny.tensors), { maxContext: 16, maxStepTokens: 16 });
  const adapter = LoraAdapter.create(ctx.gpu, model.config, { rank: 8, alpha: 16, dropout: 0, targets: PROJECTIONS, seed: 1 });
  const grads = adapter.allocateLike('bench grads', 'lora');
  const graph = new TrainingGraph(ctx.gpu, model.config, model.weights, adapter, grads, { batch, seqLen, lossChunkRows: 256 });
  const T = batch * seqLen;
  graph.setBatch({
    ids: Uint32Array.from({ length: T }, (_, i) => (i * 7919) % 512),
    positions: Uint32Array.from({ length: T }, (_, i) => i % seqLen),
    segStart: Uint32Array.from({ length: T }, () => 0),
    labels: Int32Array.from({ length: T }, (_, i) => (i * 104729) % 512),
  });
  const ms = await ctx.wallTimeMs(async () => void (await graph.lossAndGradients(1 / T)), { warmup: 1, iterations: 3 });
  const before = ctx.gpu.dispatchCount;
  await graph.lossAndGradients(1 / T);
  const dispatches = ctx.gpu.dispatchCount - before;
  graph.free();
  ctx.gpu.buffers.free(grads);
  adapter.free();
  model.free();
  const tokensPerSecond = T / (ms / 1000);
  ctx.log(`train ${name}: ${T} tokens in ${ms.toFixed(0)} ms = ${tokensPerSecond.toFixed(1)} tokens/s, ${dispatches} dispatches per step`);
  const trainCase = `${name} (5 layers, d 64, ${type}, ${batch}×${seqLen} tokens)`;
  return [
    { suite: 'train', case: trainCase, metric: 'tokens/s', ours: tokensPerSecond },
    { suite: 'train', case: trainCase, metric: 'dispatches per training step', ours: dispatches, note: 'loss and gradients, 5 layers' },
  ];
}

const MISTRAL: ModelConfig = {
  architecture: 'llama',
  name: 'mistral-7b-layer',
  nLayers: 1,
  nEmbd: 4096,
  nHeads: 32,
  nKvHeads: 8,
  headDim: 128,
  nFf: 14336,
  nVocab: 256,
  contextLength: 4096,
  rmsEps: 1e-5,
  ropeMode: 'normal',
  ropeFreqBase: 10000,
  ropeFreqScale: 1,
  nRot: 128,
  slidingWindow: 0,
  tiedEmbeddings: false,
  qkvBias: false,
};

/** A Q4_K weight of N rows: 64 quantized random rows repeated (speed does not depend on the values; quantizing 58M is slow). */
function q4kWeight(gpu: Gpu, N: number, K: number, label: string): QuantizedWeight {
  const pattern = quantize('Q4_K', randomF32(64 * K, N + K, 1 / Math.sqrt(K)));
  const rowBytes = rowByteLength('Q4_K', K, label);
  const bytes = new Uint8Array(N * rowBytes);
  for (let r = 0; r < N; r += 64) bytes.set(pattern.subarray(0, Math.min(64, N - r) * rowBytes), r * rowBytes);
  return uploadQuantizedWeight(gpu, { format: 'Q4_K', N, K, bytes, label });
}

async function sevenBLayerRows(ctx: BenchContext, T: number): Promise<BenchRow[]> {
  const { gpu } = ctx;
  const c = MISTRAL;
  const owned: (TrackedBuffer | QuantizedWeight)[] = [];
  const norm = (label: string) => {
    const b = gpu.upload(new Float32Array(c.nEmbd).fill(1), { label, category: 'weights' });
    owned.push(b);
    return b;
  };
  const proj = {} as Record<Projection, QuantizedWeight>;
  for (const p of PROJECTIONS) {
    const { inFeatures, outFeatures } = projectionShape(c, p);
    proj[p] = q4kWeight(gpu, outFeatures, inFeatures, `bench ${p}`);
    owned.push(proj[p]);
  }
  const layer: LayerWeights = { attnNorm: norm('attn norm'), ffnNorm: norm('ffn norm'), proj, stacks: {} };
  const head = q4kWeight(gpu, c.nVocab, c.nEmbd, 'bench head');
  owned.push(head);
  const ropeInvFreq = uploadRopeFrequencies(gpu, { nRot: c.nRot, freqBase: c.ropeFreqBase });
  owned.push(ropeInvFreq);
  const weights: ModelWeights = { tokenEmbd: head, layers: [layer], outputNorm: norm('output norm'), output: head, ropeInvFreq };
  const adapter = LoraAdapter.create(gpu, c, { rank: RANK, alpha: 32, dropout: 0, targets: PROJECTIONS, seed: 1 });
  // B = 0 would be fine for timing, but non-zero B keeps every product honest.
  adapter.writeValues(randomF32(adapter.totalFloats, 3, 0.01));
  const grads = adapter.allocateLike('bench grads', 'lora');
  const shape = { batch: 1, seqLen: T, lossChunkRows: 256 };
  const buffers = allocateTrainingBuffers(gpu, c, shape, RANK, PROJECTIONS);
  gpu.write(
    buffers.positions,
    Uint32Array.from({ length: T }, (_, i) => i),
  );
  gpu.write(buffers.checkpoints[0], randomF32(T * c.nEmbd, 5));
  gpu.write(buffers.dx, randomF32(T * c.nEmbd, 6, 1e-3));
  const tc: TrainingContext = { config: c, weights, adapter, grads, buffers, shape };
  const iterations = 2;
  const forwardMs = await ctx.gpuTimeMs((rec) => layerForward(rec, tc, 0, 'save'), { warmup: 1, iterations });
  const recomputeMs = await ctx.gpuTimeMs((rec) => layerForward(rec, tc, 0, 'recompute'), { warmup: 1, iterations });
  const backwardMs = await ctx.gpuTimeMs((rec) => layerBackward(rec, tc, 0), { warmup: 1, iterations });
  const attnShape = { qLen: T, nHeads: c.nHeads, nKvHeads: c.nKvHeads, headDim: c.headDim };
  const b = buffers;
  const attentionMs = await ctx.gpuTimeMs(
    (rec) => {
      attentionForward(rec, { q: b.q, k: b.k, v: b.v, out: b.attn, lse: b.lse }, attnShape);
      attentionForward(rec, { q: b.q, k: b.k, v: b.v, out: b.attn, lse: b.lse }, attnShape);
      attentionBackward(
        rec,
        { q: b.q, k: b.k, v: b.v, out: b.attn, lse: b.lse, dOut: b.dattn, rowDot: b.rowDot, dq: b.dq, dk: b.dk, dv: b.dv },
        attnShape,
      );
    },
    { warmup: 1, iterations },
  );
  const matmulMs = await ctx.gpuTimeMs((rec) => quantizedMatmul(rec, b.xn1, proj.q, b.q, { M: T }), { warmup: 1, iterations });

  const layerMs = forwardMs + recomputeMs + backwardMs;
  const scale = 2048 / T;
  const projectedLayerMs = (layerMs - attentionMs) * scale + attentionMs * scale * scale;
  const projectedStepS = (32 * projectedLayerMs) / 1000;
  const layerParams = PROJECTIONS.reduce((sum, p) => {
    const s = projectionShape(c, p);
    return sum + s.inFeatures * s.outFeatures;
  }, 0);
  // Frozen-weight products: forward, recompute (which stops before the down projection) and dX; LoRA and attention
  // FLOPs are not counted, so this is a lower bound on the work done.
  const down = projectionShape(c, 'down');
  const layerGflop = (2 * T * (3 * layerParams - down.inFeatures * down.outFeatures)) / 1e9;
  const trainingGflops = layerGflop / (layerMs / 1000);
  const matmulGflops = (2 * T * c.nEmbd * c.nHeads * c.headDim) / 1e9 / (matmulMs / 1000);
  ctx.log(
    `train 7B layer T=${T}: forward ${forwardMs.toFixed(0)} ms, recompute ${recomputeMs.toFixed(0)} ms, backward ${backwardMs.toFixed(0)} ms ` +
      `(attention ${attentionMs.toFixed(0)} ms); projected 7B step at 2048 tokens ${projectedStepS.toFixed(1)} s; ` +
      `${trainingGflops.toFixed(1)} GFLOP/s = ${((100 * trainingGflops) / matmulGflops).toFixed(0)}% of the Q4_K matmul's ${matmulGflops.toFixed(1)}`,
  );
  freeTrainingBuffers(gpu, buffers);
  gpu.buffers.free(grads);
  adapter.free();
  for (const o of owned)
    if ('category' in o) gpu.buffers.free(o);
    else freeQuantizedWeight(gpu, o);
  const layerCase = `Mistral-7B layer, Q4_K, LoRA r${RANK} all targets, T=${T}`;
  return [
    { suite: 'train', case: `${layerCase}: forward`, metric: 'ms', ours: forwardMs },
    { suite: 'train', case: `${layerCase}: recompute`, metric: 'ms', ours: recomputeMs },
    { suite: 'train', case: `${layerCase}: backward`, metric: 'ms', ours: backwardMs },
    { suite: 'train', case: `${layerCase}: tokens/s (fwd+recompute+bwd)`, metric: 'tokens/s', ours: T / (layerMs / 1000) },
    {
      suite: 'train',
      case: `${layerCase}: training GFLOP/s vs Q4_K matmul ${c.nEmbd}×${c.nEmbd} M=${T}`,
      metric: 'GFLOP/s',
      ours: trainingGflops,
      peer: { name: 'Q4_K matmul alone', value: matmulGflops },
      ratio: trainingGflops / matmulGflops,
    },
    {
      suite: 'train',
      case: 'projected Mistral-7B step, seq 2048, batch 1 (32 layers)',
      metric: 's',
      ours: projectedStepS,
      note: `from T=${T}`,
    },
  ];
}

export const suite: BenchSuite = {
  name: 'train',
  async run(ctx) {
    const rows = [...(await tinyModelRows(ctx, 'tiny llama', 'F32', 2, 64)), ...(await tinyModelRows(ctx, 'tiny llama', 'Q4_0', 2, 64))];
    const T = Number(import.meta.env?.VITE_TRAIN_LAYER_TOKENS ?? 128);
    rows.push(...(await sevenBLayerRows(ctx, T)));
    return rows;
  },
};
