import type { Binding, Recorder } from '../gpu/recorder';
import { ceilDiv } from '../gpu/grid';
import { LabError } from '../errors';
import {
  MATVEC_MAX_ROWS,
  MATVEC_UNSTACKED,
  matvecActivations,
  recordMatvec,
  type MatvecDot,
  type MatvecNorm,
  type QuantizedOutput,
} from './qmatmul';
import type { QuantFormat, StackedWeight } from './quantWeight';
import type { RopeMode } from './rope';
import { f16Constant, type StoredPrecision } from './storedValues';

/**
 * The matvec kernel over a stacked weight (src/kernels/quantWeight.ts `StackedWeight`): one dispatch computes the
 * products of all its sections and combines them in its epilogue (shaders/qmatvec.wgsl), where inference ran one
 * dispatch per weight and one per combining step: SwiGLU over gate and up, and q, k, v with bias, RoPE and the KV
 * cache store. Each gives the bits of the separate dispatches (src/model/block.ts falls back to them).
 */

export interface StackedOptions {
  /** Activation rows, at most MATVEC_MAX_ROWS. */
  M: number;
  /** The RMSNorm prologue: X is the residual stream. */
  norm?: MatvecNorm;
  /** Threads per workgroup instead of the adapter's choice, so tests cover both. */
  matvecThreads?: number;
  /** Whether the threads split K instead of the adapter's choice, so tests cover both. */
  matvecSplitK?: boolean;
}

function checkStack(
  w: StackedWeight,
  sections: number,
  M: number,
  what: string,
  takesFormats: (formats: readonly QuantFormat[]) => boolean,
): void {
  if (w.sections.length !== sections)
    throw new LabError(`${what}: a stack of ${w.sections.length} weights, not ${sections}`, w.label, 'stack the weights it reads');
  const formats = w.sections.map((s) => s.format);
  if (!takesFormats(formats)) {
    throw new LabError(
      `${what}: a stack of ${formats.join(', ')} weights`,
      w.label,
      'run its products apart (src/model/layerStacks.ts decides)',
    );
  }
  if (!Number.isInteger(M) || M < 1 || M > MATVEC_MAX_ROWS) {
    throw new LabError(`${what}: ${M} activation rows`, w.label, `run it for 1..${MATVEC_MAX_ROWS} rows, else the separate products`);
  }
}

/** As quantizedMatmul's: the scratch for the 8-bit dot products' activations, and the dot product instead of the adapter's choice. */
export interface StackedDotOptions extends StackedOptions {
  activationScratch?: Binding;
  matvecDot?: MatvecDot;
  /** X (times the norm weight) already quantized to 8 bits (src/kernels/qmatmul.ts `QuantizedOutput`). */
  quantizedX?: Binding;
}

/** Whether the stacked SwiGLU dispatch takes gate and up of these formats: one format (FORMAT in shaders/qmatvec.wgsl). */
export function stackedSwigluTakesFormats(formats: readonly QuantFormat[]): boolean {
  return formats.every((f) => f === formats[0]);
}

/**
 * hidden [M, F] = silu(X·Wgateᵀ)·(X·Wupᵀ) with gate and up stacked (sections 0 and 1, F rows each): one dispatch,
 * two output columns per workgroup; with an 8-bit dot product, after one quantization of X, which gate and up share.
 * With `quantizedOut`, hidden's rows are also written quantized for the down projection.
 */
export function stackedSwiglu(
  rec: Recorder,
  x: Binding,
  w: StackedWeight,
  hidden: Binding,
  options: StackedDotOptions & { quantizedOut?: QuantizedOutput },
): void {
  checkStack(w, 2, options.M, 'stacked SwiGLU', stackedSwigluTakesFormats);
  const [gate, up] = w.sections;
  if (gate.N !== up.N) throw new LabError(`stacked SwiGLU: gate has ${gate.N} rows, up ${up.N}`, w.label);
  const F = gate.N;
  const { M, norm, activationScratch, quantizedX, quantizedOut } = options;
  const { dot, xq } = matvecActivations(rec, x, w, { M, matvecDot: options.matvecDot, scratch: activationScratch, quantizedX, norm });
  recordMatvec(rec, w, {
    x,
    w: w.buffer,
    y: hidden,
    rest: [x, xq],
    entryPoint: 'main',
    epilogue: 'swiglu',
    columnGroups: ceilDiv(F, 2),
    shape: { M: options.M, N: F, K: w.K, rowBytes: gate.rowBytes, yStride: F, yOffset: 0 },
    stack: { ...MATVEC_UNSTACKED, section1Bytes: up.parts[0].byteOffset },
    norm,
    threads: options.matvecThreads,
    splitK: options.matvecSplitK,
    dot,
    quantizedOut,
  });
}

/**
 * The formats whose matvec units hold the same values (a quarter of a 256-value super-block), so that one dispatch's
 * loop over K walks either (FORMAT_V in shaders/qmatvec.wgsl), and whose dot product `matvecDot` picks alike, so that
 * each section sums as its weight's own product does.
 */
const SAME_UNIT_FORMATS: ReadonlySet<QuantFormat> = new Set(['Q4_K', 'Q6_K']);

/**
 * Whether the stacked q, k, v dispatch takes sections of these formats: q and k in one format, v in it or, among the
 * K-quants, in the other (llama.cpp's Q4_K_M files store some layers' v as Q6_K). Gate and up share one format.
 */
export function stackedQkvTakesFormats(formats: readonly QuantFormat[]): boolean {
  const [q, k, v] = formats;
  return formats.length === 3 && q === k && (v === q || (SAME_UNIT_FORMATS.has(q) && SAME_UNIT_FORMATS.has(v)));
}

/** Storage buffers the qkv epilogue binds with an 8-bit dot product (qkvQuantized in shaders/qmatvec.wgsl). */
const QKV_QUANTIZED_BINDINGS = 9;

/** Whether the stacked q, k, v dispatch can take 8-bit activations on this adapter (the 9 storage buffers). */
export function stackedQkvTakesQuantized(rec: Recorder): boolean {
  return rec.gpu.limits.maxStorageBuffersPerShaderStage >= QKV_QUANTIZED_BINDINGS;
}

/**
 * The qkv dispatch's activations, as `matvecActivations` gives them where the adapter allows the 9 storage buffers of
 * the 8-bit entry point (WebGPU's default limit is 8; SwiftShader allows 12): else f32, and an explicit 8-bit dot or
 * quantized X is refused.
 */
function qkvActivations(rec: Recorder, x: Binding, w: StackedWeight, options: StackedDotOptions) {
  if (stackedQkvTakesQuantized(rec)) {
    return matvecActivations(rec, x, w, {
      M: options.M,
      matvecDot: options.matvecDot,
      scratch: options.activationScratch,
      quantizedX: options.quantizedX,
      norm: options.norm,
    });
  }
  if ((options.matvecDot && options.matvecDot !== 'f32') || options.quantizedX) {
    throw new LabError(
      `stacked q, k, v with the ${options.matvecDot ?? "adapter's 8-bit"} dot product: the adapter allows ${rec.gpu.limits.maxStorageBuffersPerShaderStage} storage buffers per shader, it needs ${QKV_QUANTIZED_BINDINGS}`,
      w.label,
      'take the f32 dot product',
    );
  }
  return { dot: 'f32' as const, xq: x };
}

/** The attention heads the qkv epilogue rotates: q has nHeads·headDim columns, k and v nKvHeads·headDim. */
export interface QkvHeads {
  nHeads: number;
  nKvHeads: number;
  headDim: number;
  nRot: number;
  mode: RopeMode;
}

/**
 * Whether the qkv epilogue takes these heads: it gives each workgroup 4 columns of one head holding both members of
 * its RoPE pairs, so the head dimension and the rotated part must be multiples of 4.
 */
export function takesStackedQkv(heads: QkvHeads): boolean {
  return heads.headDim % 4 === 0 && heads.nRot % 4 === 0 && heads.nRot <= heads.headDim;
}

/**
 * Where the qkv epilogue stores the rows' keys and values: one layer's cache, token-major rows of nKvHeads·headDim
 * values stored as `precision` says; row m of the step goes to position at[m] of slot firstSlot + m (slotValues values per slot; 0: every row is
 * of one sequence), and nowhere where at[m] is KV_STORE_SKIP (src/kernels/kvStore.ts). at[m] is also the row's RoPE
 * position (0 for a skipped row).
 */
export interface KvStoreTarget {
  keys: Binding;
  values: Binding;
  at: Binding;
  slotValues: number;
  firstSlot: number;
  /** The cache's stored format (its KvCache's or BatchKvCache's precision). */
  precision: StoredPrecision;
}

/**
 * q [M, nHeads·headDim] and the cache rows of k and v from the stacked q, k, v weight: each projection plus its bias,
 * q and k rotated, k and v stored in the cache's format, in one dispatch. `rotation` is f32: the RoPE inverse-frequency
 * table [nRot/2], then with `biasAt` the biases of q, k and v from that index, each [its columns].
 */
export function stackedQkv(
  rec: Recorder,
  x: Binding,
  w: StackedWeight,
  out: { q: Binding; rotation: Binding; cache: KvStoreTarget },
  heads: QkvHeads,
  options: StackedDotOptions & { biasAt?: number },
): void {
  checkStack(w, 3, options.M, 'stacked q, k, v', stackedQkvTakesFormats);
  const [q, k, v] = w.sections;
  const { nHeads, nKvHeads, headDim, nRot } = heads;
  if (!takesStackedQkv(heads) || q.N !== nHeads * headDim || k.N !== nKvHeads * headDim || v.N !== k.N) {
    throw new LabError(
      `stacked q, k, v of ${q.N}, ${k.N}, ${v.N} rows for ${nHeads} and ${nKvHeads} heads of ${headDim} (${nRot} rotated)`,
      w.label,
      'run the projections, RoPE and the cache store apart',
    );
  }
  const { cache } = out;
  const N = q.N + 2 * k.N;
  const { dot, xq } = qkvActivations(rec, x, w, options);
  recordMatvec(rec, w, {
    x,
    w: w.buffer,
    y: out.q,
    rest: [out.rotation, cache.keys, cache.values, cache.at, ...(dot === 'f32' ? [] : [xq])],
    entryPoint: dot === 'f32' ? 'qkv' : 'qkvQuantized',
    epilogue: 'qkv',
    columnGroups: N / 4,
    shape: { M: options.M, N, K: w.K, rowBytes: q.rowBytes, yStride: q.N, yOffset: 0 },
    stack: {
      section1Bytes: k.parts[0].byteOffset,
      section2Bytes: v.parts[0].byteOffset,
      nQ: q.N,
      nKv: k.N,
      headDim,
      nRot,
      kvSlotValues: cache.slotValues,
      kvFirstSlot: cache.firstSlot,
      biasAt: options.biasAt ?? 0,
      rowBytesV: v.rowBytes,
    },
    norm: options.norm,
    threads: options.matvecThreads,
    splitK: options.matvecSplitK,
    dot,
    constants: {
      ROPE_NEOX: heads.mode === 'neox' ? 1 : 0,
      BIASED: options.biasAt === undefined ? 0 : 1,
      KV_F16: f16Constant(cache.precision),
      FORMAT_V: v.formatId,
    },
  });
}
