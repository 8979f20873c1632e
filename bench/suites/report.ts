import type { BenchContext, BenchRow, BenchSuite } from '../harness';
import type { Gpu } from '../../src/gpu/gpu';
import { buildTinyModel, writeGguf } from '../../src/formats/gguf';
import { quantize } from '../../src/formats/quant';
import { randomF32 } from '../../src/util/random';
import { fmaChains, fmaChainsFlops, roofThreads, streamRead } from '../../src/kernels/roofline';
import { freeQuantizedWeight, rowByteLength, uploadQuantizedWeight, type QuantFormat } from '../../src/kernels/quantWeight';
import { matvecDot, matvecScratchBytes, quantizedMatmul } from '../../src/kernels/qmatmul';
import type { Recorder } from '../../src/gpu/recorder';
import { attentionDecode, attentionDecodeScratchBytes } from '../../src/kernels/attentionDecode';
import { DEFAULT_STORED_PRECISION, storedBytes } from '../../src/kernels/storedValues';
import { packF16PairsReference } from '../../src/kernels/reference/storedValues';
import { Model } from '../../src/model/model';
import { isCpuAdapter } from '../../src/kernels/cpuAdapter';
import { tinyModelRows, vocabulary } from './train';
import { memoryPlanRows } from '../memoryPlans';
import { timePrefillAndDecode } from '../modelTiming';

// The device report (`npm run bench -- report`; bench/run.ts writes it as JSON and Markdown): two roofs from trivial
// kernels (streaming-read GB/s, f32 FMA GFLOP/s), each hot kernel's time at 7B shapes as a fraction of the roof that
// bounds it, a synthetic model's decode, prefill and training speed with its dispatch counts, and the 7B memory plans. Sized to finish
// within minutes on a desktop GPU; on SwiftShader it takes several.

const SUITE = 'report';
const STREAM_BYTES = 64 * 2 ** 20;
const FMA_GROUPS = 512;
const FMA_ITERATIONS = 2048;

/**
 * Workgroups of the streaming read: on a GPU enough to keep every core's loads in flight; on a CPU adapter few, so
 * each invocation (a SIMD lane) streams a long run and the read is not lost in per-invocation overhead.
 */
function streamGroups(gpu: Gpu): number {
  return isCpuAdapter(gpu.info) ? 16 : 1024;
}

interface Roofs {
  gbs: number;
  gflops: number;
}

async function measureRoofs(ctx: BenchContext): Promise<{ roofs: Roofs; rows: BenchRow[] }> {
  const { gpu } = ctx;
  const n4 = STREAM_BYTES / 16;
  const groups = streamGroups(gpu);
  const x = gpu.alloc(STREAM_BYTES, { label: 'roof X', category: 'scratch' });
  const sums = gpu.alloc(roofThreads(Math.max(groups, FMA_GROUPS)) * 4, { label: 'roof sums', category: 'scratch' });
  try {
    const streamMs = await ctx.gpuTimeMs((rec) => streamRead(rec, { x, sums }, { n4, groups }));
    const fma = { groups: FMA_GROUPS, iterations: FMA_ITERATIONS, m: 0.5, c: 1, start: 3 };
    const fmaMs = await ctx.gpuTimeMs((rec) => fmaChains(rec, sums, fma));
    const roofs = { gbs: STREAM_BYTES / 1e9 / (streamMs / 1e3), gflops: fmaChainsFlops(fma) / 1e9 / (fmaMs / 1e3) };
    ctx.log(`report roofs: streaming read ${roofs.gbs.toFixed(2)} GB/s, f32 FMA ${roofs.gflops.toFixed(2)} GFLOP/s`);
    return {
      roofs,
      rows: [
        {
          suite: SUITE,
          case: 'roof: streaming read',
          metric: 'GB/s',
          ours: roofs.gbs,
          note: `${STREAM_BYTES / 2 ** 20} MiB, ${streamMs.toFixed(2)} ms`,
        },
        {
          suite: SUITE,
          case: 'roof: f32 FMA',
          metric: 'GFLOP/s',
          ours: roofs.gflops,
          note: `${(fmaChainsFlops(fma) / 1e9).toFixed(1)} GFLOP, ${fmaMs.toFixed(2)} ms`,
        },
      ],
    };
  } finally {
    gpu.buffers.free(x);
    gpu.buffers.free(sums);
  }
}

/** A hot kernel's row: its time, and its rate as a fraction of the roof that bounds it. */
function kernelRow(name: string, ms: number, rate: { gbs: number; roof: number } | { gflops: number; roof: number }): BenchRow {
  const [value, unit] = 'gbs' in rate ? [rate.gbs, 'GB/s'] : [rate.gflops, 'GFLOP/s'];
  return {
    suite: SUITE,
    case: name,
    metric: `${unit}, fraction of roof`,
    ours: value / rate.roof,
    note: `${ms.toFixed(2)} ms, ${value.toFixed(2)} ${unit}`,
  };
}

async function quantizedRows(ctx: BenchContext, roofs: Roofs): Promise<BenchRow[]> {
  const { gpu } = ctx;
  const N = 4096;
  const K = 4096;
  const rows: BenchRow[] = [];
  const cases: { format: QuantFormat; M: number }[] = [
    ...(['Q4_0', 'Q8_0', 'Q4_K', 'Q6_K', 'F32'] as const).map((format) => ({ format, M: 1 })),
    { format: 'Q4_0', M: 64 },
  ];
  for (const { format, M } of cases) {
    // 64 quantised rows repeated: the time depends on the layout, not the values.
    const sample = quantize(format, randomF32(64 * K, 3));
    const rowBytes = rowByteLength(format, K);
    const bytes = new Uint8Array(N * rowBytes);
    for (let r = 0; r < N; r += 64) bytes.set(sample, r * rowBytes);
    const weight = uploadQuantizedWeight(gpu, { format, N, K, bytes, label: `report ${format}` });
    const x = gpu.upload(randomF32(M * K, 4), { label: 'report X', category: 'scratch' });
    const y = gpu.alloc(M * N * 4, { label: 'report Y', category: 'scratch' });
    // The activation scratch a model's decode holds, so the matvec takes the dot product the model picks here.
    const scratch = gpu.alloc(matvecScratchBytes(M, K), { label: 'report XQ', category: 'scratch' });
    try {
      let dot = '';
      const record = (rec: Recorder) => {
        if (M === 1) dot = `, ${matvecDot(rec, weight)} dot`;
        quantizedMatmul(rec, x, weight, y, { M, activationScratch: scratch });
      };
      const ms = await ctx.gpuTimeMs(record, { iterations: 3 });
      const name = `${format} ${N}×${K} M=${M} (${M === 1 ? 'matvec' : 'tiled'})`;
      const row =
        M === 1
          ? kernelRow(name, ms, { gbs: bytes.byteLength / 1e9 / (ms / 1e3), roof: roofs.gbs })
          : kernelRow(name, ms, { gflops: (2 * M * N * K) / 1e9 / (ms / 1e3), roof: roofs.gflops });
      rows.push({ ...row, note: `${row.note}${dot}` });
    } finally {
      freeQuantizedWeight(gpu, weight);
      for (const b of [x, y, scratch]) gpu.buffers.free(b);
    }
  }
  return rows;
}

/**
 * One decode step's attention at 1,024 cached positions, Mistral-7B's heads, the cache in the model's default
 * precision (f16 pairs): bound by reading K and V.
 */
async function attentionRow(ctx: BenchContext, roofs: Roofs): Promise<BenchRow> {
  const { gpu } = ctx;
  const shape = { kvLen: 1024, nHeads: 32, nKvHeads: 8, headDim: 128 };
  const kvValues = shape.kvLen * shape.nKvHeads * shape.headDim;
  const kvBytes = storedBytes(kvValues, DEFAULT_STORED_PRECISION);
  const stored = (seed: number) => packF16PairsReference(randomF32(kvValues, seed));
  const q = gpu.upload(randomF32(shape.nHeads * shape.headDim, 5), { label: 'report q', category: 'scratch' });
  const k = gpu.upload(stored(6), { label: 'report K', category: 'scratch' });
  const v = gpu.upload(stored(7), { label: 'report V', category: 'scratch' });
  const partials = gpu.alloc(attentionDecodeScratchBytes(shape), { label: 'report partials', category: 'scratch' });
  const out = gpu.alloc(shape.nHeads * shape.headDim * 4, { label: 'report O', category: 'scratch' });
  try {
    const ms = await ctx.gpuTimeMs(
      (rec) =>
        attentionDecode(rec, { q, k, v, partials, out }, shape, { kvLayout: { kind: 'tokens' }, kvStorage: DEFAULT_STORED_PRECISION }),
      {
        iterations: 3,
      },
    );
    return kernelRow('attention decode, 1,024 positions, 32/8 heads of 128', ms, {
      gbs: (2 * kvBytes) / 1e9 / (ms / 1e3),
      roof: roofs.gbs,
    });
  } finally {
    for (const b of [q, k, v, partials, out]) gpu.buffers.free(b);
  }
}

/** Decode and prefill of a ~25M-parameter synthetic Llama (Q4_0, 8 layers of 512) built in the page. */
async function modelRows(ctx: BenchContext, gpu: Gpu): Promise<BenchRow[]> {
  const tiny = buildTinyModel({
    architecture: 'llama',
    vocabulary: vocabulary(512),
    embeddingLength: 512,
    blockCount: 8,
    headCount: 8,
    headCountKv: 4,
    feedForwardLength: 1536,
    weightType: 'Q4_0',
    seed: 7,
  });
  const prefillTokens = 64;
  const decodeTokens = 16;
  const model = await Model.load(gpu, writeGguf(tiny.metadata, tiny.tensors), {
    maxContext: prefillTokens + decodeTokens + 8,
    maxStepTokens: prefillTokens,
  });
  const prompt = Array.from({ length: prefillTokens }, (_, i) => 1 + ((i * 37) % 500));
  try {
    const timing = await timePrefillAndDecode(model, prompt, decodeTokens);
    const prefill = timing.prefillDispatches;
    const decode = timing.decodeDispatches;
    const name = 'llama-25m Q4_0 (8 layers, d 512)';
    const dispatchNote = (d: typeof decode) => (d ? `${d.total} dispatches per step, ${Math.max(...d.perBlock)} per layer` : '');
    ctx.log(
      `report model: prefill ${timing.prefillTokensPerSecond.toFixed(1)} tok/s, decode ${timing.decodeTokensPerSecond.toFixed(1)} tok/s`,
    );
    return [
      {
        suite: SUITE,
        case: name,
        metric: `prefill tok/s (${prefillTokens})`,
        ours: timing.prefillTokensPerSecond,
        note: dispatchNote(prefill),
      },
      {
        suite: SUITE,
        case: name,
        metric: `decode tok/s (${decodeTokens})`,
        ours: timing.decodeTokensPerSecond,
        note: dispatchNote(decode),
      },
    ];
  } finally {
    model.free();
  }
}

export const suite: BenchSuite = {
  name: SUITE,
  async run(ctx) {
    const { roofs, rows } = await measureRoofs(ctx);
    rows.push(...(await quantizedRows(ctx, roofs)));
    rows.push(await attentionRow(ctx, roofs));
    rows.push(...(await modelRows(ctx, ctx.gpu)));
    rows.push(...(await tinyModelRows(ctx, 'training, tiny llama', 'Q4_0', 2, 64)).map((r) => ({ ...r, suite: SUITE })));
    rows.push(...memoryPlanRows(SUITE, ctx.gpu.limits));
    return rows;
  },
};
