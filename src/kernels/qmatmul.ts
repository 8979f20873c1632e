import { bindingBytes, type Binding, type Recorder } from '../gpu/recorder';
import { ceilDiv } from '../gpu/grid';
import { uniformLayout, type PackedUniforms } from '../gpu/uniforms';
import { LabError } from '../errors';
import { partBinding, type QuantFormat, type QuantizedWeight, type WeightPart } from './quantWeight';
import { isCpuAdapter } from './cpuAdapter';
import { ACTIVATION_BLOCK, quantizeActivations, quantizedActivationBytes } from './quantizeActivations';

/** Y[M, N] = X[M, K] · Wᵀ (W is the GGUF weight, [N rows, K]); the options shared by every variant. */
export interface QuantizedMatmulOptions {
  /** Activation rows. */
  M: number;
  /** Add into the existing output instead of overwriting it (for LoRA paths that sum into the same Y or dX). */
  accumulate?: boolean;
}

/**
 * Which forward kernel: the matrix-vector one (bandwidth-bound decode), the tiled one (weight tiles shared in
 * workgroup memory: GPUs) or the direct one (no workgroup memory, no barrier: CPU adapters).
 */
export type ForwardKernel = 'matvec' | 'tiled' | 'direct';

/** Which backward kernel: tiled (GPUs) or direct (CPU adapters), as in the forward. */
export type BackwardKernel = 'tiled' | 'direct';

/**
 * Longest weight rows the direct kernel takes on a CPU adapter. It decodes each weight value once per 8 activation
 * rows, the tiled kernel once per 64 but with two barriers per 32 values of K: measured on SwiftShader (bench suite
 * `qmatmul`), direct is 1.9× (forward) and 1.3× (dX) faster at K = 128, tiled 1.08× and 1.15× faster at K = 4096.
 */
const DIRECT_MAX_K = 1024;

/** The many-row kernel for this adapter and K: tiles in workgroup memory on a GPU or for long rows, else direct. */
export function manyRowKernel(rec: Recorder, K: number): BackwardKernel {
  return isCpuAdapter(rec.gpu.info) && K <= DIRECT_MAX_K ? 'direct' : 'tiled';
}

/** shaders/qmatmul.wgsl and qmatmul_backward.wgsl `direct`: 4×4 threads, each 8 rows × (4 forward, 8 backward) columns. */
const DIRECT_THREADS = 4;
const DIRECT_ROWS_PER_THREAD = 8;

/**
 * What the matrix-vector kernel applies to each sum before storing it (EPILOGUE in shaders/qmatvec.wgsl): a bias [N]
 * f32, Y = X·Wᵀ + bias (Qwen2's q, k, v), bit-identical to the projection and then the bias (src/model/projection.ts
 * fuses them in inference). Stacked weights take the kernel's other epilogues (src/kernels/qmatvecStacked.ts).
 */
export type MatvecEpilogue = { kind: 'bias'; bias: Binding };

/**
 * The matvec kernel's NORM prologue: X is the residual stream, and the product is taken with rmsnorm(X)·weight
 * (`weight` [K] f32, `eps` the model's), the RMSNorm dispatch folded into the projection (src/model/projection.ts).
 */
export interface MatvecNorm {
  weight: Binding;
  eps: number;
}

/** EPILOGUE_* in shaders/qmatvec.wgsl. */
const EPILOGUE_IDS = { none: 0, swiglu: 1, bias: 2, qkv: 3 } as const;

/**
 * How the matvec kernel turns quant bytes into floats (UNPACK in shaders/qmatvec.wgsl): as i32, the default (one SIMD
 * instruction on a CPU adapter, native on a GPU), or as u32, the earlier version, kept so the qmatmul bench measures the
 * two in the same run. Q8_0 (signed bytes) and F32/F16 read the same either way.
 */
export type MatvecUnpack = 'signed' | 'unsigned';
const UNPACK_IDS: Record<MatvecUnpack, number> = { unsigned: 0, signed: 1 };

/**
 * How the matvec kernel takes each unit's sum (DOT in shaders/qmatvec.wgsl): f32 activations times the quants
 * converted to floats, or activations quantized to 8 bits per 32-value block (shaders/quantize_activations.wgsl, one
 * dispatch before the product) and exact integer sums, two products per 32-bit multiply ('i8-pairs') or four per
 * dot4I8Packed ('i8-packed'). The 8-bit paths round each activation to 1/254 of its block's largest magnitude, as
 * llama.cpp's CPU and MMVQ paths do; each row is still quantized and summed alone (batched decode's bit-identity).
 */
export type MatvecDot = 'f32' | 'i8-pairs' | 'i8-packed';
const DOT_IDS: Record<MatvecDot, number> = { f32: 0, 'i8-pairs': 1, 'i8-packed': 2 };

/** The formats the integer dot products read (F32 and F16 weights always take f32 activations). */
const INTEGER_DOT_FORMATS: ReadonlySet<QuantFormat> = new Set(['Q4_0', 'Q8_0', 'Q4_K', 'Q6_K']);

/** What the matvec kernel reads of a weight, plain or stacked (src/kernels/quantWeight.ts `StackedWeight`). */
export type MatvecWeight = Pick<QuantizedWeight, 'format' | 'formatId' | 'K' | 'label'>;

export function supportsIntegerDot(weight: MatvecWeight): boolean {
  return INTEGER_DOT_FORMATS.has(weight.format);
}

/**
 * The matvec kernel's dot product for this adapter and weight format, where an activation scratch allows the 8-bit
 * ones. On a CPU adapter, by the qmatmul bench (the three alternating in one run, repeated): the 8-bit products beat
 * f32 activations for every quantized format; for Q8_0, whose signed bytes dot4I8Packed takes as they are, the packed
 * dot beat the pairs (which split each byte into two nibble fields); for the 4- and 6-bit formats the pairs won.
 * GPUs keep f32 activations until measured there.
 */
export function matvecDot(rec: Recorder, weight: MatvecWeight): MatvecDot {
  if (!isCpuAdapter(rec.gpu.info) || !supportsIntegerDot(weight)) return 'f32';
  return weight.format === 'Q8_0' ? 'i8-packed' : 'i8-pairs';
}

/**
 * Whether the matvec kernel reads Q4_0 and Q8_0 blocks two at a time (PAIRED in shaders/qmatvec.wgsl): with rows of a
 * whole number of pairs every pair starts on a word, where single 18- and 34-byte blocks sit 2 bytes off one every
 * other block and each read picks its words at run time.
 */
function pairsBlocks(weight: MatvecWeight): boolean {
  return (weight.format === 'Q4_0' || weight.format === 'Q8_0') && weight.K % 64 === 0;
}

/**
 * A matvec's output rows also written quantized to 8 bits (shaders/qmatvec.wgsl `mainQuantizing`), the operand the
 * next product's integer dot product reads (`quantizedX`) instead of quantizing them in a dispatch of its own: `xq`
 * of at least matvecScratchBytes(M, N) bytes. With `normWeight` [N] f32 the rows quantized are output·normWeight, for a
 * next product that folds that RMSNorm in (`MatvecNorm`). The same bits as quantizeActivations over the output.
 */
export interface QuantizedOutput {
  xq: Binding;
  normWeight?: Binding;
}

/** The output columns one workgroup of `mainQuantizing` owns: one activation block. */
const QUANTIZING_COLUMNS = ACTIVATION_BLOCK;

/**
 * Whether a matvec with N output columns in `parts` dispatches can quantize its output (`QuantizedOutput`): where its
 * threads each sum whole rows (a CPU adapter: `matvecSplitsK`), so that a workgroup holds whole 32-column blocks,
 * and the output is one part whose rows are whole blocks.
 */
export function matvecQuantizesOutput(rec: Recorder, N: number, parts = 1): boolean {
  return !matvecSplitsK(rec) && parts === 1 && N % QUANTIZING_COLUMNS === 0;
}

/**
 * How a `main` matvec dispatch that quantizes its output runs (entry point `mainQuantizing`): workgroups of the
 * adapter's SIMD group (CPU adapters; one per workgroup keeps the barrier before quantizing cheap there), each thread
 * summing `groupsPerThread` groups of COLUMNS output columns so that a workgroup makes one block. Checked against
 * `matvecQuantizesOutput`: the dispatch must write whole rows of Y (one part, yOffset 0).
 */
function quantizingLayout(
  rec: Recorder,
  label: string,
  call: MatvecCall,
  out: QuantizedOutput,
): { threads: number; groupsPerThread: number } {
  const { M, N, yStride, yOffset } = call.shape;
  const wholeRows = N === yStride && yOffset === 0;
  const need = matvecScratchBytes(M, N);
  const have = bindingBytes(out.xq);
  if (call.entryPoint !== 'main' || call.epilogue === 'bias' || !wholeRows || !matvecQuantizesOutput(rec, N) || have < need) {
    const what = `${N} columns${wholeRows ? '' : ` of ${yStride}-column rows`}${call.epilogue === 'bias' ? ' after a bias epilogue' : ''}`;
    throw new LabError(
      `quantized matvec: quantizing ${M} output rows of ${what} into ${have} bytes (${need} needed)`,
      label,
      `quantize the output where matvecQuantizesOutput holds (a CPU adapter, one part, N a multiple of ${QUANTIZING_COLUMNS}, no bias)`,
    );
  }
  const threads = matvecThreads(rec);
  const columns = call.epilogue === 'swiglu' ? 2 : MATVEC_ROWS; // COLUMNS in the shader
  return { threads, groupsPerThread: QUANTIZING_COLUMNS / columns / threads };
}

/** Bytes of the activation scratch an 8-bit matvec dot product of M ≤ MATVEC_MAX_ROWS rows of up to K values needs. */
export function matvecScratchBytes(M: number, K: number): number {
  return quantizedActivationBytes(M, K);
}

const MATVEC_ROWS = 4; // ROWS in shaders/qmatvec.wgsl: weight rows (output columns) per workgroup
/** Activation rows one matvec workgroup decodes its weights for (R in shaders/qmatvec.wgsl); more take more groups. */
const MATVEC_GROUP_ROWS = 8;

/**
 * Threads per matvec workgroup, splitting K between them: a GPU wants a warp's worth reading neighbouring blocks;
 * a CPU adapter one SIMD group of 4 lanes (a wider group spends its time switching invocations at the barrier).
 */
export function matvecThreads(rec: Recorder): number {
  return isCpuAdapter(rec.gpu.info) ? 4 : 32;
}

/**
 * Whether a matvec workgroup's threads split K for one group of output columns (SPLIT_K in shaders/qmatvec.wgsl): on
 * a GPU, so that a warp reads neighbouring blocks. A CPU adapter gives each thread whole rows instead: no workgroup
 * reduction or barrier, and the lanes of a SIMD group load the same activations; on SwiftShader (bench suite
 * `qmatmul`) that is faster for every format, F32 included.
 */
export function matvecSplitsK(rec: Recorder): boolean {
  return !isCpuAdapter(rec.gpu.info);
}
const TILE_M = 64;
const TILE_N = 64;
const TILED_ROWS_PER_THREAD = 8; // shaders/qmatmul.wgsl: each thread owns 8 rows × 8 columns of outputs

/**
 * Thread rows of a tiled qmatmul workgroup (WG_Y; 8 columns of threads always): just enough 8-row strips to cover M,
 * at most 8 (a 64-row tile). Fewer activation rows than a 64-row tile would otherwise decode every weight tile for
 * rows that do not exist.
 */
export function tiledThreadRows(M: number): number {
  let rows = 1;
  while (rows < 8 && rows * TILED_ROWS_PER_THREAD < M) rows *= 2;
  return rows;
}
const BACKWARD_TILE_K = 64;

/**
 * Up to this many activation rows the matrix-vector kernel (one workgroup decodes its weights once for all M ≤ 8
 * rows) beats staging 64-row tiles of which only a few rows are used (src/model/batchMemory.ts sizes batched decode
 * steps by it).
 */
export const MATVEC_MAX_ROWS = 8;

/** The shape every quantized product takes: N is the part's rows; Y row m, column n of the part is at m·yStride + yOffset + n. */
const SHAPE_FIELDS = { M: 'u32', N: 'u32', K: 'u32', rowBytes: 'u32', yStride: 'u32', yOffset: 'u32' } as const;

export const QUANTIZED_MATMUL_PARAMS = uniformLayout(['qmatmul', 'qmatmul_backward'], SHAPE_FIELDS);

/**
 * The matvec kernel's: the shape, the RMSNorm epsilon of its NORM prologue, where a stacked weight's sections start,
 * and the qkv epilogue's columns, RoPE and KV-cache layout and its v section's row bytes.
 */
export const QUANTIZED_MATVEC_PARAMS = uniformLayout('qmatvec', {
  ...SHAPE_FIELDS,
  eps: 'f32',
  section1Bytes: 'u32',
  section2Bytes: 'u32',
  nQ: 'u32',
  nKv: 'u32',
  headDim: 'u32',
  nRot: 'u32',
  kvSlotValues: 'u32',
  kvFirstSlot: 'u32',
  biasAt: 'u32',
  rowBytesV: 'u32',
});

type MatvecParams = Parameters<typeof QUANTIZED_MATVEC_PARAMS.pack>[0];

/** The fields of QUANTIZED_MATVEC_PARAMS only stacked weights and the qkv epilogue read (all 0 for a plain weight). */
export type MatvecStackParams = Omit<MatvecParams, keyof typeof SHAPE_FIELDS | 'eps'>;

export const MATVEC_UNSTACKED: MatvecStackParams = {
  section1Bytes: 0,
  section2Bytes: 0,
  nQ: 0,
  nKv: 0,
  headDim: 0,
  nRot: 0,
  kvSlotValues: 0,
  kvFirstSlot: 0,
  biasAt: 0,
  rowBytesV: 0,
};

/** One dispatch of shaders/qmatvec.wgsl: X, W, Y, then the bindings after NW (B, then XQ, or the qkv entry point's Kc, Vc, AT). */
export interface MatvecCall {
  x: Binding;
  w: Binding;
  y: Binding;
  rest: readonly Binding[];
  entryPoint: 'main' | 'mainQuantizing' | 'qkv' | 'qkvQuantized';
  epilogue: keyof typeof EPILOGUE_IDS;
  /** Groups of output columns (workgroups with SPLIT_K, else threads). */
  columnGroups: number;
  shape: Omit<MatvecParams, 'eps' | keyof MatvecStackParams>;
  stack?: MatvecStackParams;
  norm?: MatvecNorm;
  accumulate?: boolean;
  threads?: number;
  /** The adapter's choice (`matvecSplitsK`) unless given. */
  splitK?: boolean;
  unpack?: MatvecUnpack;
  /** f32 unless XQ (the binding after B) holds the activations `matvecActivations` recorded. */
  dot?: MatvecDot;
  /** The qkv epilogue's override constants. */
  constants?: Record<string, number>;
  /** With entry point `main`: Y's rows also quantized (`mainQuantizing` runs instead). */
  quantizedOut?: QuantizedOutput;
}

/** Records one matvec dispatch of `weight` (its format and label) for M = call.shape.M activation rows. */
export function recordMatvec(rec: Recorder, weight: MatvecWeight, call: MatvecCall): void {
  const { M } = call.shape;
  // One pipeline per row count up to 8 (batched decode steps shrink as sequences finish): exactly M rows per
  // workgroup decode each weight once for all of them.
  const groupRows = Math.min(M, MATVEC_GROUP_ROWS);
  checkRows(M, groupRows, rec.gpu.limits.maxComputeWorkgroupsPerDimension, 'quantized matvec', weight.label);
  const out = call.quantizedOut;
  const quantizing = out && quantizingLayout(rec, weight.label, call, out);
  const threads = quantizing?.threads ?? call.threads ?? matvecThreads(rec);
  const splitK = !quantizing && (call.splitK ?? matvecSplitsK(rec));
  rec.dispatch(
    {
      shader: 'qmatvec',
      entryPoint: quantizing ? 'mainQuantizing' : call.entryPoint,
      constants: {
        FORMAT: weight.formatId,
        ACCUMULATE: call.accumulate ? 1 : 0,
        WG: threads,
        SPLIT_K: splitK ? 1 : 0,
        PAIRED: pairsBlocks(weight) ? 1 : 0,
        R: groupRows,
        EPILOGUE: EPILOGUE_IDS[call.epilogue],
        UNPACK: UNPACK_IDS[call.unpack ?? 'signed'],
        NORM: call.norm ? 1 : 0,
        DOT: DOT_IDS[call.dot ?? 'f32'],
        ...(out && { NORM_OUT: out.normWeight ? 1 : 0 }),
        ...call.constants,
      },
    },
    // The kernel reads NW only with its prologue, NWO only with NORM_OUT; X (also read-only) fills them otherwise.
    [call.x, call.w, call.y, call.norm?.weight ?? call.x, ...call.rest, ...(out ? [out.xq, out.normWeight ?? call.x] : [])],
    [splitK ? call.columnGroups : ceilDiv(call.columnGroups, threads * (quantizing?.groupsPerThread ?? 1)), ceilDiv(M, groupRows)],
    QUANTIZED_MATVEC_PARAMS.pack({ ...call.shape, eps: call.norm?.eps ?? 0, ...(call.stack ?? MATVEC_UNSTACKED) }),
  );
}

function shapeParams(M: number, weight: QuantizedWeight, part: WeightPart) {
  return { M, N: part.rows, K: weight.K, rowBytes: weight.rowBytes, yStride: weight.N, yOffset: part.rowStart };
}

function params(M: number, weight: QuantizedWeight, part: WeightPart): PackedUniforms {
  return QUANTIZED_MATMUL_PARAMS.pack(shapeParams(M, weight, part));
}

/**
 * A matvec's activations: the dot product (the caller's `matvecDot`, else the adapter's pick where there is a scratch
 * or X already quantized, else f32) and its operand: X itself for f32; else `quantizedX`, X (times the norm weight)
 * already quantized by the kernel that wrote it (`QuantizedOutput`), or X quantized here into `scratch`, after
 * checking the weight and buffer take it.
 */
export function matvecActivations(
  rec: Recorder,
  x: Binding,
  weight: MatvecWeight,
  options: { M: number; matvecDot?: MatvecDot; scratch?: Binding; quantizedX?: Binding; norm?: MatvecNorm },
): { dot: MatvecDot; xq: Binding } {
  const { M, quantizedX } = options;
  const scratch = quantizedX ?? options.scratch;
  const dot = options.matvecDot ?? (scratch ? matvecDot(rec, weight) : 'f32');
  if (dot === 'f32') {
    if (quantizedX) {
      throw new LabError(
        'quantized matvec: activations quantized to 8 bits for the f32 dot product',
        weight.label,
        'hand quantized activations only to products whose matvecDot is 8-bit',
      );
    }
    return { dot, xq: x };
  }
  const need = matvecScratchBytes(M, weight.K);
  if (!supportsIntegerDot(weight) || !scratch || bindingBytes(scratch) < need) {
    const what = !supportsIntegerDot(weight)
      ? `with ${weight.format} weights`
      : `with ${scratch ? bindingBytes(scratch) : 0} bytes of quantized activations for ${need}`;
    throw new LabError(
      `quantized matvec: the ${dot} dot product ${what}`,
      weight.label,
      'use it with Q4_0, Q8_0, Q4_K or Q6_K weights and a scratch of matvecScratchBytes(M, K) bytes',
    );
  }
  if (!quantizedX) quantizeActivations(rec, x, scratch, { M, K: weight.K }, { normWeight: options.norm?.weight, label: weight.label });
  return { dot, xq: scratch };
}

/** M must be a positive integer whose `rowsPerGroup`-row workgroups fit in one grid dimension. */
function checkRows(M: number, rowsPerGroup: number, limit: number, what: string, label: string): void {
  if (!Number.isInteger(M) || M < 1) throw new LabError(`${what}: ${M} activation rows`, label, 'M must be a positive integer');
  if (ceilDiv(M, rowsPerGroup) > limit) {
    throw new LabError(
      `${what}: ${M} activation rows need more than ${limit} workgroups in one dimension`,
      label,
      'run the rows in chunks',
    );
  }
}

/**
 * Records Y = X · Wᵀ (+ Y when accumulating): X [M, K], Y [M, N]. One dispatch per
 * weight part, each writing its columns of Y. Picks the matrix-vector kernel for M ≤ MATVEC_MAX_ROWS unless told.
 */
export function quantizedMatmul(
  rec: Recorder,
  x: Binding,
  weight: QuantizedWeight,
  y: Binding,
  options: QuantizedMatmulOptions & {
    kernel?: ForwardKernel;
    /** Threads per matvec workgroup instead of the adapter's choice (`matvecThreads`), so tests cover both. */
    matvecThreads?: number;
    /** Whether the matvec threads split K instead of the adapter's choice (`matvecSplitsK`), so tests cover both. */
    matvecSplitK?: boolean;
    /** Only with the matvec kernel, without accumulating. */
    epilogue?: MatvecEpilogue;
    /** The matvec kernel's byte conversion instead of the default, for the bench and tests. */
    matvecUnpack?: MatvecUnpack;
    /** Only with the matvec kernel. */
    norm?: MatvecNorm;
    /**
     * At least `matvecScratchBytes(M, K)` for the quantized activations of the 8-bit matvec dot products; without
     * it the matvec kernel takes f32 activations.
     */
    activationScratch?: Binding;
    /** The matvec kernel's dot product instead of the adapter's choice (`matvecDot`), for the bench and tests. */
    matvecDot?: MatvecDot;
    /** X (times the norm weight) already quantized to 8 bits (`QuantizedOutput`): the matvec kernel reads it as it is. */
    quantizedX?: Binding;
    /** Only with the matvec kernel and no epilogue: Y's rows also quantized (`matvecQuantizesOutput` must hold). */
    quantizedOut?: QuantizedOutput;
  },
): void {
  const { M, epilogue, norm, activationScratch, quantizedX, quantizedOut } = options;
  const kernel = options.kernel ?? (M <= MATVEC_MAX_ROWS ? 'matvec' : manyRowKernel(rec, weight.K));
  if (norm && kernel !== 'matvec') {
    throw new LabError(
      `quantized matmul: an RMSNorm prologue with the ${kernel} kernel`,
      weight.label,
      'fold the norm only into matvec products (M ≤ 8)',
    );
  }
  if (epilogue && (kernel !== 'matvec' || options.accumulate)) {
    throw new LabError(
      `quantized matmul: a ${epilogue.kind} epilogue with the ${kernel} kernel${options.accumulate ? ', accumulating' : ''}`,
      weight.label,
      'fuse only non-accumulating matvec products (M ≤ 8)',
    );
  }
  if ((quantizedX || quantizedOut) && (kernel !== 'matvec' || (quantizedOut && epilogue))) {
    throw new LabError(
      `quantized matmul: 8-bit ${quantizedX ? 'input' : 'output'} rows with the ${kernel} kernel${epilogue ? ` and a ${epilogue.kind} epilogue` : ''}`,
      weight.label,
      'hand over quantized rows only between matvec products (M ≤ 8) without a bias epilogue',
    );
  }
  const maxGroups = rec.gpu.limits.maxComputeWorkgroupsPerDimension;
  const { dot, xq } =
    kernel === 'matvec'
      ? matvecActivations(rec, x, weight, { M, matvecDot: options.matvecDot, scratch: activationScratch, quantizedX, norm })
      : { dot: 'f32' as const, xq: x };
  for (const part of weight.parts) {
    if (kernel === 'matvec') {
      recordMatvec(rec, weight, {
        x,
        w: partBinding(weight, part),
        y,
        // B is read only by the bias epilogue; X (also read-only) fills it otherwise, and XQ without an 8-bit dot.
        rest: [epilogue?.bias ?? x, xq],
        entryPoint: 'main',
        epilogue: epilogue?.kind ?? 'none',
        columnGroups: ceilDiv(part.rows, MATVEC_ROWS),
        shape: shapeParams(M, weight, part),
        norm,
        accumulate: options.accumulate,
        threads: options.matvecThreads,
        splitK: options.matvecSplitK,
        unpack: options.matvecUnpack,
        dot,
        quantizedOut,
      });
    } else if (kernel === 'direct') {
      const directRows = DIRECT_THREADS * DIRECT_ROWS_PER_THREAD;
      checkRows(M, directRows, maxGroups, 'quantized matmul', weight.label);
      rec.dispatch(
        {
          shader: 'qmatmul',
          entryPoint: 'direct',
          constants: { FORMAT: weight.formatId, ACCUMULATE: options.accumulate ? 1 : 0 },
        },
        [x, partBinding(weight, part), y],
        [ceilDiv(part.rows, DIRECT_THREADS * 4), ceilDiv(M, directRows)],
        params(M, weight, part),
      );
    } else {
      const threadRows = tiledThreadRows(M);
      const tileM = threadRows * TILED_ROWS_PER_THREAD;
      checkRows(M, tileM, maxGroups, 'quantized matmul', weight.label);
      rec.dispatch(
        {
          shader: 'qmatmul',
          constants: { FORMAT: weight.formatId, ACCUMULATE: options.accumulate ? 1 : 0, WG_Y: threadRows },
        },
        [x, partBinding(weight, part), y],
        [ceilDiv(part.rows, TILE_N), ceilDiv(M, tileM)],
        params(M, weight, part),
      );
    }
  }
}

/**
 * Records dX = dY · W (+ dX when accumulating): dY [M, N], dX [M, K] — the gradient through a frozen weight.
 * A split weight contributes part by part: every part after the first accumulates.
 */
export function quantizedMatmulBackward(
  rec: Recorder,
  dy: Binding,
  weight: QuantizedWeight,
  dx: Binding,
  options: QuantizedMatmulOptions & { kernel?: BackwardKernel },
): void {
  const { M } = options;
  const direct = (options.kernel ?? manyRowKernel(rec, weight.K)) === 'direct';
  const groupRows = direct ? DIRECT_THREADS * DIRECT_ROWS_PER_THREAD : TILE_M;
  const groupCols = direct ? DIRECT_THREADS * 8 : BACKWARD_TILE_K;
  checkRows(M, groupRows, rec.gpu.limits.maxComputeWorkgroupsPerDimension, 'quantized matmul backward', weight.label);
  weight.parts.forEach((part, i) => {
    const accumulate = i > 0 || options.accumulate === true;
    rec.dispatch(
      {
        shader: 'qmatmul_backward',
        entryPoint: direct ? 'direct' : 'main',
        constants: { FORMAT: weight.formatId, ACCUMULATE: accumulate ? 1 : 0 },
      },
      [dy, partBinding(weight, part), dx],
      [ceilDiv(weight.K, groupCols), ceilDiv(M, groupRows)],
      params(M, weight, part),
    );
  });
}
