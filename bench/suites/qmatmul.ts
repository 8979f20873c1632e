import { withPeer, type BenchContext, type BenchRow, type BenchSuite } from '../harness';
import type { Gpu } from '../../src/gpu/gpu';
import type { Binding, Recorder } from '../../src/gpu/recorder';
import { quantize } from '../../src/formats/quant';
import { randomF32 } from '../../src/util/random';
import {
  freeQuantizedWeight,
  rowByteLength,
  uploadQuantizedWeight,
  type QuantFormat,
  type QuantizedWeight,
} from '../../src/kernels/quantWeight';
import {
  MATVEC_MAX_ROWS,
  manyRowKernel,
  quantizedMatmul,
  quantizedMatmulBackward,
  matvecDot,
  matvecQuantizesOutput,
  matvecScratchBytes,
  supportsIntegerDot,
  type BackwardKernel,
  type MatvecDot,
  type MatvecUnpack,
} from '../../src/kernels/qmatmul';
import { createMatMulNBitsPeer } from '../peers/ortMatMulNBits';

// Quantized matmul at 7B layer shapes: GFLOP/s and effective GB/s (weight bytes / time), and for Q4_0 a ratio
// against onnxruntime-web's WebGPU MatMulNBits (4 bits, block 32: the same math) measured in the same run.
//
// Case lists (SwiftShader is slow, so the default is a quick subset): set at build time,
//   VITE_QMATMUL_CASES=full npm run bench -- qmatmul          every format × 3 shapes × M ∈ {1, 512}, and dX at 512
//   VITE_QMATMUL_CASES=rows npm run bench -- qmatmul          every format at 4096×4096 and M = 1, 2, 4, 8 (the
//                                                             batched-decode matvec: per-row ms should fall with M)
//   VITE_QMATMUL_CASES="Q4_K:4096x4096:1,Q4_0:14336x4096:512:dx" npm run bench -- qmatmul
// A case is FORMAT:NxK:M (N output features, K input features, M activation rows), with a trailing `:dx` for the
// backward product dX = dY·W instead of Y = X·Wᵀ.

interface Case {
  format: QuantFormat;
  N: number;
  K: number;
  M: number;
  backward?: boolean;
}

const FORMATS: QuantFormat[] = ['Q4_0', 'Q8_0', 'Q4_K', 'Q6_K', 'F16', 'F32'];
const SHAPES: [number, number][] = [
  [4096, 4096],
  [14336, 4096],
  [4096, 14336],
];

/** Batched decode's row counts: one matvec workgroup decodes its weights once for all of them. */
const DECODE_ROWS = [1, 2, 4, 8];

const QUICK: Case[] = [
  ...FORMATS.map((format) => ({ format, N: 4096, K: 4096, M: 1 })),
  ...DECODE_ROWS.filter((M) => M > 1).map((M) => ({ format: 'Q4_0' as const, N: 4096, K: 4096, M })),
  { format: 'Q4_0', N: 14336, K: 4096, M: 1 },
  { format: 'Q4_0', N: 4096, K: 14336, M: 1 },
  { format: 'Q4_0', N: 4096, K: 4096, M: 512 },
  // The bundled model's FFN in training (4 rows of 256 tokens), forward and dX.
  { format: 'Q8_0', N: 384, K: 128, M: 1024 },
  { format: 'Q8_0', N: 384, K: 128, M: 1024, backward: true },
];

const FULL: Case[] = [
  ...FORMATS.flatMap((format) => [1, 512].flatMap((M) => SHAPES.map(([N, K]) => ({ format, N, K, M })))),
  ...FORMATS.flatMap((format) => SHAPES.map(([N, K]) => ({ format, N, K, M: 512, backward: true }))),
];

const ROWS: Case[] = FORMATS.flatMap((format) => DECODE_ROWS.map((M) => ({ format, N: 4096, K: 4096, M })));

function parseCases(spec: string | undefined): Case[] {
  if (!spec || spec === 'quick') return QUICK;
  if (spec === 'full') return FULL;
  if (spec === 'rows') return ROWS;
  return spec.split(',').map((item) => {
    const match = /^(\w+):(\d+)x(\d+):(\d+)(:dx)?$/.exec(item.trim());
    if (!match || !FORMATS.includes(match[1] as QuantFormat)) {
      throw new Error(`VITE_QMATMUL_CASES: "${item}" is not FORMAT:NxK:M[:dx] with FORMAT one of ${FORMATS.join(', ')}`);
    }
    return {
      format: match[1] as QuantFormat,
      N: Number(match[2]),
      K: Number(match[3]),
      M: Number(match[4]),
      backward: match[5] !== undefined,
    };
  });
}

/** Quantises 64 random rows once and repeats them: the timing does not depend on the values, only on the layout. */
function weightBytes(format: QuantFormat, N: number, K: number): Uint8Array {
  const sampleRows = Math.min(64, N);
  const sample = quantize(format, randomF32(sampleRows * K, 7));
  const rowBytes = rowByteLength(format, K);
  const out = new Uint8Array(N * rowBytes);
  for (let row = 0; row < N; row += sampleRows) out.set(sample.subarray(0, Math.min(sampleRows, N - row) * rowBytes), row * rowBytes);
  return out;
}

/** Wall-clock ms per run, submitting one run and waiting for the GPU each time: how the peer is timed too. */
async function wallMsPerRun(ctx: BenchContext, gpu: Gpu, run: () => void, iterations: number): Promise<number> {
  return ctx.wallTimeMs(
    async () => {
      run();
      await gpu.sync();
    },
    { iterations },
  );
}

/** M = 512 takes tens of seconds per run on SwiftShader: one timed run each there keeps the quick list to minutes. */
function iterationsFor(M: number): number {
  return M > MATVEC_MAX_ROWS ? 1 : 5;
}

async function measure(ctx: BenchContext, c: Case): Promise<BenchRow[]> {
  const { gpu } = ctx;
  const { format, N, K, M } = c;
  const name = `${format} ${N}×${K} M=${M}${c.backward ? ' dX' : ''}`;
  const bytes = weightBytes(format, N, K);
  let weight: QuantizedWeight | undefined;
  const x = randomF32(M * K, 8);
  const bufX = gpu.upload(x, { label: 'bench X', category: 'scratch' });
  const bufY = gpu.upload(randomF32(M * N, 9), { label: 'bench Y', category: 'scratch' });
  const scratch = gpu.alloc(matvecScratchBytes(Math.min(M, MATVEC_MAX_ROWS), K), { label: 'bench XQ', category: 'scratch' });
  try {
    weight = uploadQuantizedWeight(gpu, { format, N, K, bytes, label: `bench ${format}` });
    const w = weight;
    const record = c.backward
      ? (rec: ReturnType<Gpu['recorder']>) => quantizedMatmulBackward(rec, bufY, w, bufX, { M })
      : (rec: ReturnType<Gpu['recorder']>) => quantizedMatmul(rec, bufX, w, bufY, { M, activationScratch: scratch });
    // Matvec cases are quick: their best of several rounds, as their variants are compared, so that the ratios between
    // cases (each format against F32) are not one round's load. Timestamps exclude pipeline compilation, so the long
    // cases' single round needs no warm-up run where the device has them.
    const rounds = M <= MATVEC_MAX_ROWS ? ALTERNATING_ROUNDS : 1;
    const ms =
      rounds > 1
        ? (await alternatingMs(ctx, ['case'], record, iterationsFor(M))).case
        : await ctx.gpuTimeMs(record, { warmup: gpu.features.timestamps ? 0 : 1, iterations: iterationsFor(M) });
    const gflops = (2 * M * N * K) / 1e9 / (ms / 1e3);
    const gbs = bytes.byteLength / 1e9 / (ms / 1e3);
    const kernel = M <= MATVEC_MAX_ROWS && !c.backward ? 'matvec' : `${c.backward ? 'backward ' : ''}${manyRowKernel(gpu.recorder(), K)}`;
    const dot = kernel === 'matvec' ? matvecDot(gpu.recorder(), w) : 'f32';
    const perRow = M > 1 && kernel === 'matvec' ? `, ${(ms / M).toFixed(2)} ms per row` : '';
    ctx.log(`qmatmul ${name} (${kernel}, ${dot} dot): ${ms.toFixed(2)} ms${perRow}, ${gflops.toFixed(2)} GFLOP/s, ${gbs.toFixed(2)} GB/s`);
    const rows: BenchRow[] = [
      {
        suite: 'qmatmul',
        case: `${name} (${kernel})`,
        metric: 'GFLOP/s',
        ours: gflops,
        note: `${ms.toFixed(2)} ms${perRow} (GPU timestamps${rounds > 1 ? `, best of ${rounds} rounds` : ''})`,
      },
      {
        suite: 'qmatmul',
        case: `${name} (${kernel})`,
        metric: 'GB/s',
        ours: gbs,
        note: `${(bytes.byteLength / 2 ** 20).toFixed(1)} MiB of weights${kernel === 'matvec' ? `, ${dot} dot` : ''}`,
      },
    ];
    if (kernel !== 'matvec')
      rows.push(
        await versusOtherManyRowKernel(ctx, name, manyRowKernel(gpu.recorder(), K), M, (rec, k) =>
          c.backward
            ? quantizedMatmulBackward(rec, bufY, w, bufX, { M, kernel: k })
            : quantizedMatmul(rec, bufX, w, bufY, { M, kernel: k }),
        ),
      );
    if (kernel === 'matvec' && supportsIntegerDot(w))
      rows.push(
        ...(await versusOtherDots(ctx, name, dot, bytes.byteLength, (rec, matvecDot) =>
          quantizedMatmul(rec, bufX, w, bufY, { M, matvecDot, activationScratch: scratch }),
        )),
      );
    if (kernel === 'matvec' && dot !== 'f32' && matvecQuantizesOutput(gpu.recorder(), N))
      rows.push(await versusQuantizeDispatch(ctx, name, { x: bufX, y: bufY, weight: w, scratch, M }));
    if (kernel === 'matvec' && UNPACKED_FORMATS.includes(format))
      rows.push(
        await versusUnsignedUnpack(ctx, name, bytes.byteLength, (rec, matvecUnpack) =>
          quantizedMatmul(rec, bufX, w, bufY, { M, matvecUnpack, matvecDot: 'f32' }),
        ),
      );
    if (format === 'Q4_0' && !c.backward)
      rows.push(
        await versusOrt(
          ctx,
          c,
          bytes,
          x,
          () => {
            const rec = gpu.recorder();
            record(rec);
            rec.submit();
          },
          bufY,
        ),
      );
    return rows;
  } finally {
    if (weight) freeQuantizedWeight(gpu, weight);
    gpu.buffers.free(bufX);
    gpu.buffers.free(bufY);
    gpu.buffers.free(scratch);
  }
}

/**
 * Each variant's ms, alternating between them so that all see the same load on a shared machine: 5 rounds (the
 * first with a warm-up run each), each variant's least disturbed round.
 */
const ALTERNATING_ROUNDS = 5;

async function alternatingMs<V extends string>(
  ctx: BenchContext,
  variants: readonly V[],
  record: (rec: Recorder, variant: V) => void,
  iterations: number,
): Promise<Record<V, number>> {
  const times = Object.fromEntries(variants.map((v) => [v, [] as number[]])) as Record<V, number[]>;
  for (let round = 0; round < ALTERNATING_ROUNDS; round++) {
    for (const v of variants) {
      times[v].push(await ctx.gpuTimeMs((rec) => record(rec, v), { warmup: round === 0 ? 1 : 0, iterations }));
    }
  }
  return Object.fromEntries(variants.map((v) => [v, Math.min(...times[v])])) as Record<V, number>;
}

/** The many-row kernel this adapter gets (direct on a CPU adapter, tiled on a GPU) against the other one. */
async function versusOtherManyRowKernel(
  ctx: BenchContext,
  name: string,
  picked: BackwardKernel,
  M: number,
  record: (rec: Recorder, kernel: BackwardKernel) => void,
): Promise<BenchRow> {
  const other: BackwardKernel = picked === 'direct' ? 'tiled' : 'direct';
  const ms = await alternatingMs(ctx, [other, picked], record, iterationsFor(M));
  const [pickedMs, otherMs] = [ms[picked], ms[other]];
  ctx.log(`qmatmul ${name}: ${picked} ${pickedMs.toFixed(2)} ms, ${other} ${otherMs.toFixed(2)} ms`);
  return {
    suite: 'qmatmul',
    case: `${name} ${picked} vs ${other}`,
    metric: 'ms',
    ours: pickedMs,
    peer: { name: `${other} kernel`, value: otherMs },
    ratio: otherMs / pickedMs,
  };
}

const DOTS: MatvecDot[] = ['f32', 'i8-pairs', 'i8-packed'];

/**
 * The matvec dot product this adapter gets for the format against each other one (the 8-bit ones timed with their
 * activation-quantizing dispatch): one row per other, GB/s of weights.
 */
async function versusOtherDots(
  ctx: BenchContext,
  name: string,
  picked: MatvecDot,
  weightBytes: number,
  record: (rec: Recorder, dot: MatvecDot) => void,
): Promise<BenchRow[]> {
  const ms = await alternatingMs(ctx, DOTS, record, 3);
  const gbs = (t: number) => weightBytes / 1e9 / (t / 1e3);
  ctx.log(`qmatmul ${name}: ${DOTS.map((d) => `${d} ${ms[d].toFixed(2)} ms`).join(', ')} (picked ${picked})`);
  return DOTS.filter((d) => d !== picked).map((other) => ({
    suite: 'qmatmul',
    case: `${name} (matvec) ${picked} vs ${other} dot`,
    metric: 'GB/s',
    ours: gbs(ms[picked]),
    peer: { name: `${other} dot`, value: gbs(ms[other]) },
    ratio: ms[other] / ms[picked],
    note: `ms ${ms[picked].toFixed(2)} vs ${ms[other].toFixed(2)}, alternating, best of ${ALTERNATING_ROUNDS} rounds`,
  }));
}

/**
 * A decode layer's matvec on a CPU adapter as the model runs it, its 8-bit input handed over by the kernel that wrote
 * it and its output quantized for the next product (`quantizedX`, `quantizedOut`), against the same product whose
 * input is quantized by a dispatch of its own (the layer's cost before the handoff), alternating.
 */
async function versusQuantizeDispatch(
  ctx: BenchContext,
  name: string,
  b: { x: Binding; y: Binding; weight: QuantizedWeight; scratch: Binding; M: number },
): Promise<BenchRow> {
  const { gpu } = ctx;
  const { M, weight } = b;
  const out = gpu.alloc(matvecScratchBytes(M, weight.N), { label: 'bench XQ out', category: 'scratch' });
  try {
    // The handed-over input: X quantized once, up front.
    const rec = gpu.recorder();
    quantizedMatmul(rec, b.x, weight, b.y, { M, activationScratch: b.scratch });
    rec.submit();
    await gpu.sync();
    const ms = await alternatingMs(
      ctx,
      ['separate', 'handoff'] as const,
      (r, v) =>
        v === 'handoff'
          ? quantizedMatmul(r, b.x, weight, b.y, { M, quantizedX: b.scratch, quantizedOut: { xq: out } })
          : quantizedMatmul(r, b.x, weight, b.y, { M, activationScratch: b.scratch }),
      3,
    );
    ctx.log(
      `qmatmul ${name}: input handed over, output quantized ${ms.handoff.toFixed(2)} ms; quantize dispatch then matvec ${ms.separate.toFixed(2)} ms`,
    );
    return {
      suite: 'qmatmul',
      case: `${name} (matvec) 8-bit input handed over vs its own quantize dispatch`,
      metric: 'ms',
      ours: ms.handoff,
      peer: { name: 'quantize dispatch, then matvec', value: ms.separate },
      ratio: ms.separate / ms.handoff,
      note: `the handed-over product also quantizes its ${weight.N}-column output; alternating, best of ${ALTERNATING_ROUNDS} rounds`,
    };
  } finally {
    gpu.buffers.free(out);
  }
}

/** The formats whose quant bytes the matvec kernel converts to floats through UNPACK (Q8_0's are signed already). */
const UNPACKED_FORMATS: QuantFormat[] = ['Q4_0', 'Q4_K', 'Q6_K'];

/**
 * The matvec kernel with i32 byte conversion (the default) against the same kernel with u32 conversion (the earlier
 * version), alternating between them (`alternatingMs`).
 */
async function versusUnsignedUnpack(
  ctx: BenchContext,
  name: string,
  weightBytes: number,
  record: (rec: Recorder, unpack: MatvecUnpack) => void,
): Promise<BenchRow> {
  const ms = await alternatingMs(ctx, ['unsigned', 'signed'] as const, record, 3);
  const [signedMs, unsignedMs] = [ms.signed, ms.unsigned];
  const gbs = (t: number) => weightBytes / 1e9 / (t / 1e3);
  ctx.log(`qmatmul ${name}: i32 unpack ${signedMs.toFixed(2)} ms, u32 unpack ${unsignedMs.toFixed(2)} ms`);
  return {
    suite: 'qmatmul',
    case: `${name} (matvec, f32 dot) i32 vs u32 unpack`,
    metric: 'GB/s',
    ours: gbs(signedMs),
    peer: { name: 'same kernel, u32 unpack', value: gbs(unsignedMs) },
    ratio: unsignedMs / signedMs,
    note: `ms ${signedMs.toFixed(2)} vs ${unsignedMs.toFixed(2)}, alternating, best of ${ALTERNATING_ROUNDS} rounds`,
  };
}

/**
 * Each quantized format's 4096×4096 one-row matvec GB/s as a fraction of the F32 one's, where the run measured both
 * (issue 14's goal: at least one half).
 */
function versusF32(rows: BenchRow[]): BenchRow[] {
  const matvecGbs = (format: QuantFormat) => rows.find((r) => r.case === `${format} 4096×4096 M=1 (matvec)` && r.metric === 'GB/s')?.ours;
  const f32 = matvecGbs('F32');
  if (f32 === undefined) return [];
  return FORMATS.filter((f) => f !== 'F32').flatMap((format) => {
    const gbs = matvecGbs(format);
    if (gbs === undefined) return [];
    return [
      {
        suite: 'qmatmul',
        case: `${format} 4096×4096 M=1 (matvec) vs F32`,
        metric: 'GB/s',
        ours: gbs,
        peer: { name: 'F32 matvec', value: f32 },
        ratio: gbs / f32,
      },
    ];
  });
}

const PEER = 'ORT-web MatMulNBits';

/** Ours and ORT's MatMulNBits timed the same way (wall clock per run, waiting for the GPU); checks they agree. */
async function versusOrt(
  ctx: BenchContext,
  c: Case,
  q4_0: Uint8Array,
  x: Float32Array,
  runOurs: () => void,
  bufY: Parameters<Gpu['readF32']>[0],
): Promise<BenchRow> {
  const { M, N, K } = c;
  const name = `Q4_0 ${N}×${K} M=${M} vs MatMulNBits`;
  const gflop = (2 * M * N * K) / 1e9;
  const iterations = iterationsFor(M);
  const oursMs = await wallMsPerRun(ctx, ctx.gpu, runOurs, iterations);
  const ours = gflop / (oursMs / 1e3);
  const row: BenchRow = { suite: 'qmatmul', case: name, metric: 'GFLOP/s (wall)', ours };
  let peer;
  try {
    peer = await createMatMulNBitsPeer(q4_0, x, M, N, K);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    ctx.log(`qmatmul ${name}: onnxruntime-web could not run: ${why}`);
    return withPeer(row, PEER, { reason: `onnxruntime-web could not run: ${why.slice(0, 160)}` });
  }
  try {
    const theirs = await peer.runAndRead();
    runOurs();
    const mine = await ctx.gpu.readF32(bufY, M * N);
    let worst = 0;
    let scale = 0;
    for (let i = 0; i < mine.length; i++) {
      worst = Math.max(worst, Math.abs(mine[i] - theirs[i]));
      scale = Math.max(scale, Math.abs(theirs[i]));
    }
    const peerMs = await peer.timeMs(iterations);
    const peerGflops = gflop / (peerMs / 1e3);
    ctx.log(
      `qmatmul ${name}: ours ${oursMs.toFixed(2)} ms, MatMulNBits ${peerMs.toFixed(2)} ms, max |Δ| ${worst.toExponential(2)} of ${scale.toFixed(2)}`,
    );
    return withPeer(
      row,
      PEER,
      { value: peerGflops },
      `ms/run ours ${oursMs.toFixed(2)}, peer ${peerMs.toFixed(2)}; max |Δy| ${worst.toExponential(1)} (|y| ≤ ${scale.toFixed(1)})`,
    );
  } finally {
    await peer.release();
  }
}

export const suite: BenchSuite = {
  name: 'qmatmul',
  async run(ctx) {
    const cases = parseCases(import.meta.env.VITE_QMATMUL_CASES as string | undefined);
    ctx.log(`qmatmul: ${cases.length} cases (VITE_QMATMUL_CASES=quick|full|FORMAT:NxK:M,...)`);
    const rows: BenchRow[] = [];
    for (const c of cases) rows.push(...(await measure(ctx, c)));
    rows.push(...versusF32(rows));
    return rows;
  },
};
