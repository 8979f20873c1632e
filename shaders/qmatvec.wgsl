// Quantized matrix-vector product for a few activation rows (decode, batched decode):
//   Y[m, yOffset + n] (+)= Σ_k X[m, k] · W[n, k]   for m < M, n < N.
//
//   X is [M, K] activations (f32). W is one row-range of a GGUF weight tensor with dims [ne0 = K, ne1 = N] as
//   stored in the file: N rows of K values, each row `rowBytes` bytes of FORMAT blocks, read as array<u32>.
//   Y is [M, yStride]; this dispatch writes columns yOffset .. yOffset + N − 1 (a weight split across several
//   bindings is one dispatch per part, each writing its slice of Y).
//
// Dispatch: the output columns come in groups of COLUMNS, each group of ROWS = 4 weight rows (one per column, but
// see SwiGLU below) and of R ≤ 8 activation rows: R accumulators acc0..acc7 (named vec4s, not an indexed array,
// which SwiftShader spills), component c of acc_r summing weight row c of activation row m0 + r. With SPLIT_K
// (GPUs) a workgroup of WG threads owns one group: (groups, ceil(M / R)) workgroups; without (CPU adapters) each
// thread owns a group: (ceil(groups / WG), ceil(M / R)). K is cut into units of UNIT values that each read whole
// words of one block: a Q4_0 or Q8_0 block (32 values) or PAIRED two (64), a quarter of a Q4_K or Q6_K super-block
// (64 values), 8 values of F32 or F16. With SPLIT_K thread t takes units t, t + WG, ... and the WG partial sums
// meet in workgroup memory; without, a thread takes every unit of its group. For each unit it decodes each of the
// ROWS weight rows ONCE (every field at once: scales, then the packed quants as vec4<u32>, unpacked with packed
// integer ops into floats), then for each activation row loads the unit's X values once and dots them with the 4
// decoded rows. Block offsets and minima come out of the sum: Σ x·d·(q − 8) = d·(Σ x·q − 8·Σ x), with Σ x shared
// by all weight rows.
//
// Dot products (DOT, quantized formats only): DOT_F32 converts the quants to floats and multiplies f32 activations.
// DOT_I8_PAIRS and DOT_I8_PACKED read XQ instead, the activations quantized to 8 bits per 32-value block by
// shaders/quantize_activations.wgsl (x ≈ d_b·q, |q| ≤ 127, as llama.cpp's CPU and MMVQ paths quantize them), and take
// each block's Σ w·q in exact integer arithmetic on the packed quant words: PAIRS two products per 32-bit multiply
// (16-bit halves, see planeDot), PACKED four per dot4I8Packed. Then Y = Σ_b d_b·coefficient·(Σ w·q − offset·Σ q): the
// product with the rounded activations, to f32 rounding — within half a rounding step per value, Σ_b (d_b/2)·Σ|w|, of
// the f32-activation product.
//
// Epilogue (EPILOGUE, named below): none; a bias — Y[m, yOffset + n] = u + B[yOffset + n] (B [yStride] f32, u the
// row's sum): the projection and shaders/bias_add.wgsl in one dispatch; or SwiGLU over a stacked gate and up
// weight — Y[m, n] = silu(g)·u with g, u the sums of gate row n and up row n: the gate and up projections and
// shaders/swiglu.wgsl in one dispatch. Each computes what the separate dispatches give, bit for bit. B is read only
// by the bias epilogue (bind X in its place otherwise).
//
// Stacked weights: W holds several weights of K values a row, section after section, section 1 and 2 starting at
// bytes section1Bytes and section2Bytes (src/kernels/quantWeight.ts `StackedWeight`), all of format FORMAT but the
// qkv entry point's v section (below). With SwiGLU the sections are gate and up, N is the FFN width, and a workgroup
// owns COLUMNS = 2 output columns n0, n0 + 1: its ROWS weight rows are their gate rows and then their up rows.
//
// Entry point `qkv` (EPILOGUE_QKV): W stacks q [nQ rows], k and v [nKv rows each]; the output columns are those of
// the three, N = nQ + 2·nKv. q and k are FORMAT rows of rowBytes; v is FORMAT_V rows of rowBytesV, where FORMAT_V
// may be another format whose units hold the same values (Q4_K and Q6_K: llama.cpp's Q4_K_M files store some
// layers' v as Q6_K and q, k as Q4_K), each section summed as its format's own product sums it. Each workgroup owns
// 4 columns of one head of one section, with both members of each RoPE pair among them: in neox mode, columns
// (2g, 2g + 1, 2g + half, 2g + half + 1) of the head for g < nRot / 4 (half = nRot / 2), otherwise 4 consecutive
// columns. Its epilogue, per activation row m, adds the bias to each sum (BIASED: B[biasAt + column] f32), rotates
// q and k pairs by θ = f32(position)·B[i] (shaders/rope.wgsl's rotation; B[0 .. nRot/2) is the inverse-frequency
// table), then writes q to Y [M, nQ] and k and v straight into the KV cache: Kc, Vc [.., nKv] stored values
// (shaders/stored_values.wgsl, f16 pairs when KV_F16), row m at (kvFirstSlot + m)·kvSlotValues + position·nKv
// (kvSlotValues 0: every row in one sequence). position is AT[m]; a row whose AT[m] is SKIP stores nothing and
// rotates at position 0 (a batch row that sits the step out). Bit for bit the projections with their bias and norm,
// shaders/rope.wgsl on q and k, and the cache store. Requires nQ, nKv, headDim and nRot to be multiples of 4. It
// takes the f32 dot product (DOT_F32), binding the 8 storage buffers of the default limit per shader stage;
// `qkvQuantized` is the same with an 8-bit dot product, reading XQ from a 9th binding (for adapters that allow 9).
//
// Entry point `mainQuantizing` is `main` on a CPU adapter's layout (no SPLIT_K) that also writes Y's rows quantized
// to 8 bits for the next product (XQO, shaders/quantize_activations.wgsl's layout; with NORM_OUT, of Y times the next
// RMSNorm's weight NWO), in place of that kernel's dispatch and with its bits (shaders/quantize_block.wgsl).
//
// Prologue (NORM): X is the residual stream and the product is taken with its RMSNorm, rmsnorm(x)·w, instead —
//   Y[m, yOffset + n] = rstd_m · Σ_k (X[m, k]·NW[k]) · W[n, k],   rstd_m = 1 / sqrt(Σ_k X[m, k]² / K + eps)
// (NW [K] f32, the norm weight): shaders/rmsnorm.wgsl and the product in one dispatch. rstd_m is a factor of the whole
// row, so it scales the sum at the end; each thread adds the squares of vec4s t, t + WG, ... of the row, and the WG
// partial sums meet with the products'. Equal to the two dispatches up to f32 rounding (the norm's sum runs in
// another order, and rstd multiplies the sum rather than each value). Without NORM, NW is never read (bind X there).
//
// Every activation row is summed in the same order whatever R is and wherever the row sits in the workgroup (and with
// DOT_I8_*, quantized alone), so a row of a batched product is bit-identical to the same row computed alone (batched
// decode relies on it).
//
// Bandwidth-bound on a GPU (each weight word read once per R activation rows, neighbouring threads read
// neighbouring blocks); on SwiftShader, which runs invocations as lanes of CPU SIMD code and pays per lane for
// every storage load, the cost is the number of loads and ALU ops per value: the weight decode is paid once per R
// rows, each row adding only its X loads and dots, and the integer dot products cut the ALU ops per value (no
// conversion to float, two products per multiply). WG and DOT are chosen by the wrapper per adapter and format
// (src/kernels/qmatmul.ts).
//
// Requires K to be a whole number of units (K is a whole number of blocks: 32 for Q4_0/Q8_0, 64 PAIRED, 256 for Q4_K/Q6_K; 8 for
// F32/F16).

struct Params {
  M: u32,
  N: u32,
  K: u32,
  rowBytes: u32,
  yStride: u32,
  yOffset: u32,
  eps: f32,
  // Stacked weights: the byte offsets of sections 1 and 2 (sections start at byte 0, 1, 2 in order).
  section1Bytes: u32,
  section2Bytes: u32,
  // The qkv entry point's columns, RoPE and cache layout (see the header).
  nQ: u32,
  nKv: u32,
  headDim: u32,
  nRot: u32,
  kvSlotValues: u32,
  kvFirstSlot: u32,
  biasAt: u32,
  // The qkv entry point's v section's row bytes (its FORMAT_V rows; rowBytes elsewhere).
  rowBytesV: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> X: array<vec4<f32>>; // [M, K], read 4 values at a time
@group(0) @binding(2) var<storage, read> W: array<u32>;
@group(0) @binding(3) var<storage, read_write> Y: array<f32>;
@group(0) @binding(4) var<storage, read> NW: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read> B: array<f32>;
// The main entry point's: DOT_I8_*: X as 8-bit integers (quantize_activations.wgsl).
@group(0) @binding(6) var<storage, read> XQ: array<u32>;
// The qkv entry point's, which binds no XQ (so binding 6 is free for it): the KV cache of one layer, and each row's
// position.
@group(0) @binding(6) var<storage, read_write> Kc: array<u32>;
@group(0) @binding(7) var<storage, read_write> Vc: array<u32>;
@group(0) @binding(8) var<storage, read> AT: array<u32>;
// The qkvQuantized entry point's XQ.
@group(0) @binding(9) var<storage, read> XQ9: array<u32>;
// The mainQuantizing entry point's: Y's rows quantized to 8 bits (quantize_activations.wgsl's layout, rows of yStride
// values) and, with NORM_OUT, the weight [yStride] of the RMSNorm the next product folds in.
@group(0) @binding(7) var<storage, read_write> XQO: array<u32>;
@group(0) @binding(8) var<storage, read> NWO: array<vec4<f32>>;

const EPILOGUE_NONE = 0u;
const EPILOGUE_SWIGLU = 1u;
const EPILOGUE_BIAS = 2u;
const EPILOGUE_QKV = 3u;

// How a unit's sum is taken (see the header): f32 activations times quants converted to floats; or activations
// quantized to 8 bits per 32-value block with integer sums, two products per 32-bit multiply (PAIRS) or four per
// dot4I8Packed (PACKED). Quantized formats only.
const DOT_F32 = 0u;
const DOT_I8_PAIRS = 1u;
const DOT_I8_PACKED = 2u;

// AT[m] of a row that stores nothing (src/kernels/kvStore.ts KV_STORE_SKIP).
const SKIP = 0xffffffffu;

const UNPACK_UNSIGNED = 0u;
const UNPACK_SIGNED = 1u;

override ACCUMULATE: bool = false;
override EPILOGUE: u32 = EPILOGUE_NONE;
override UNPACK: u32 = UNPACK_SIGNED;
override NORM: bool = false;
override DOT: u32 = DOT_F32;
// mainQuantizing's: quantize Y times NWO rather than Y (the squares section still sums Y's own squares).
override NORM_OUT: bool = false;
// The qkv epilogue's: pairs (i, i + nRot/2) rather than (2i, 2i + 1), and a bias in B.
override ROPE_NEOX: bool = false;
override BIASED: bool = false;
// The qkv epilogue's: the KV cache stored as f16 pairs (else f32), as its KvCache's precision says.
override KV_F16: bool = true;
override WG: u32 = 32u;
// Whether a workgroup's threads split K for one group of output columns (a GPU: a warp reads neighbouring blocks),
// or each thread sums whole rows for a group of its own, wid.x·WG + t (a CPU adapter: no workgroup reduction, no
// barrier; the lanes of one SIMD group read the same activations).
override SPLIT_K: bool = true;
// Activation rows per workgroup (1..8).
override R: u32 = 1u;
const ROWS = 4u;
// Output columns per workgroup: one per weight row, but a gate and an up row per column with SwiGLU.
override COLUMNS: u32 = select(ROWS, 2u, EPILOGUE == EPILOGUE_SWIGLU);
// Q4_0 and Q8_0 with K % 64 == 0: a unit is a pair of blocks, 36 or 68 bytes, so rows and units start on a word and
// no read straddles a word boundary at an offset chosen at run time (single blocks are 2 bytes off one every other
// block).
override PAIRED: bool = false;
// The qkv entry point's v section's block format (see the header): Q4_K or Q6_K where FORMAT is the other, else FORMAT.
override FORMAT_V: u32 = FORMAT;
// Whether the pipeline reads Q4_K or Q6_K rows, as FORMAT or FORMAT_V (see decodeUnit).
override READS_Q4_K: bool = FORMAT == Q4_K || FORMAT_V == Q4_K;
override READS_Q6_K: bool = FORMAT == Q6_K || FORMAT_V == Q6_K;

// Thread t's sums for activation row r at t·R + r; with NORM, its sums of squares of the row's values. Without SPLIT_K
// each thread reads back only its own.
var<workgroup> partial: array<vec4<f32>, WG * R>;
var<workgroup> partialSquares: array<f32, WG * R>;
// mainQuantizing's: the workgroup's 32 output columns of each of its R activation rows, as stored in Y.
var<workgroup> outBlock: array<f32, 32u * R>;

//! include gguf_blocks
//! include swiglu_value
//! include rope_rotation
//! include stored_values
//! include quantized_rows
//! include quantize_block

// Byte offsets of the workgroup's ROWS weight rows (rows past N repeat the last row: read, then discarded).
struct Rows {
  r0: u32,
  r1: u32,
  r2: u32,
  r3: u32,
}

// 32 consecutive activations: a holds values 0..3, b 4..7, ..., h 28..31.
struct X32 {
  a: vec4<f32>, b: vec4<f32>, c: vec4<f32>, d: vec4<f32>,
  e: vec4<f32>, f: vec4<f32>, g: vec4<f32>, h: vec4<f32>,
}

// Values 4j .. 4j + 3 of the activation row at vec4 index xq; with NORM, times the norm weight's.
fn xAt(xq: u32, j: u32) -> vec4<f32> {
  let x = vec4<f32>(X[xq + j]);
  if (NORM) { return x * NW[j]; }
  return x;
}

fn loadX32(xq: u32, j: u32) -> X32 {
  return X32(xAt(xq, j), xAt(xq, j + 1u), xAt(xq, j + 2u), xAt(xq, j + 3u),
             xAt(xq, j + 4u), xAt(xq, j + 5u), xAt(xq, j + 6u), xAt(xq, j + 7u));
}

fn sum4(v: vec4<f32>) -> f32 {
  return v.x + v.y + v.z + v.w;
}

fn sumX32(x: X32) -> f32 {
  return sum4((x.a + x.b) + (x.c + x.d) + (x.e + x.f) + (x.g + x.h));
}

// The 4 bytes of a word as floats, low byte first. UNPACK_SIGNED converts them as i32 (the same values: bytes are below
// 2^31), one instruction in a CPU adapter's SIMD code, which emulates the u32 conversion of UNPACK_UNSIGNED in several;
// a GPU converts either natively. The qmatmul bench measures the two against each other.
fn bytesF(w: u32) -> vec4<f32> {
  if (UNPACK == UNPACK_UNSIGNED) { return vec4<f32>(bytesOf(w)); }
  return vec4<f32>(bitcast<vec4<i32>>(bytesOf(w)));
}

// The 16 bytes at an even byte offset, as 4 words: from the 5 words spanning them when 2 bytes off a word.
fn words16(at: u32) -> vec4<u32> {
  let i = at >> 2u;
  let w4 = W[i + 4u];
  let a = vec4<u32>(W[i], W[i + 1u], W[i + 2u], W[i + 3u]);
  let b = vec4<u32>(a.yzw, w4);
  return select(a, (a >> vec4<u32>(16u)) | (b << vec4<u32>(16u)), (at & 2u) != 0u);
}

// The 8 bytes at an even byte offset, as 2 words.
fn block8(at: u32) -> vec2<u32> {
  let i = at >> 2u;
  let a = vec2<u32>(W[i], W[i + 1u]);
  let b = vec2<u32>(a.y, W[i + 2u]);
  return select(a, (a >> vec2<u32>(16u)) | (b << vec2<u32>(16u)), (at & 2u) != 0u);
}


// 32 values of one weight row as floats, in X32's layout: quants (Q4_0, Q8_0, Q4_K, Q6_K) or weights (F32, F16).
struct Q32 {
  a: vec4<f32>, b: vec4<f32>, c: vec4<f32>, d: vec4<f32>,
  e: vec4<f32>, f: vec4<f32>, g: vec4<f32>, h: vec4<f32>,
}

// The bytes of the 8 words lo (values 0..15) and hi (values 16..31), each byte one value.
fn bytes32(lo: vec4<u32>, hi: vec4<u32>) -> Q32 {
  return Q32(bytesF(lo.x), bytesF(lo.y), bytesF(lo.z), bytesF(lo.w), bytesF(hi.x), bytesF(hi.y), bytesF(hi.z), bytesF(hi.w));
}

fn dotQ32(x: X32, q: Q32) -> f32 {
  return (dot(x.a, q.a) + dot(x.b, q.b) + dot(x.c, q.c) + dot(x.d, q.d))
       + (dot(x.e, q.e) + dot(x.f, q.f) + dot(x.g, q.g) + dot(x.h, q.h));
}

// Σ x·q over one 16-value quarter of a Q6_K unit: values 0..15 (lo) or 16..31 (hi) of an X32/Q32 pair.
fn dotLo16(x: X32, q: Q32) -> f32 {
  return (dot(x.a, q.a) + dot(x.b, q.b)) + (dot(x.c, q.c) + dot(x.d, q.d));
}

fn dotHi16(x: X32, q: Q32) -> f32 {
  return (dot(x.e, q.e) + dot(x.f, q.f)) + (dot(x.g, q.g) + dot(x.h, q.h));
}

// A unit's quant words as stored, for the integer dot products (Q4_0: a = its 16 bytes of nibbles, PAIRED b = the
// second block's; Q8_0: a = values 0..15, b = 16..31, PAIRED c, d = the second block's; Q4_K: a = bytes 0..15,
// b = 16..31 of its 32 bytes of nibbles; Q6_K: a = the ql bytes of quarters 0 (low nibbles) and 2 (high), b = of
// quarters 1 and 3, c = the qh bytes, two bits per quarter).
struct Words {
  a: vec4<u32>,
  b: vec4<u32>,
  c: vec4<u32>,
  d: vec4<u32>,
}

// One weight row's unit, decoded once and applied to every activation row: values 0..31 (a) and 32..63 (b) and the
// unit's coefficients (Q4_0, Q8_0: c.x = d, PAIRED c.y = the second block's; Q4_K: (d1, d2, m1, m2); Q6_K:
// d·scales of its four quarters).
// F32 and F16 use a.a and a.b; Q4_0 and Q8_0 leave b unused. The integer dot products (DOT_I8_*) take the quant
// words q and the coefficients instead of the float values.
struct Unit {
  a: Q32,
  b: Q32,
  c: vec4<f32>,
  q: Words,
}

// One activation row's values for a unit, in the layout of Unit, and their sums (Q4_0: s.x, PAIRED and Q4_K: s.x
// over a, s.y over b; Q6_K: the four quarters).
struct XUnit {
  a: X32,
  b: X32,
  s: vec4<f32>,
}

const ZERO4 = vec4<f32>(0.0);
const ZERO_Q32 = Q32(ZERO4, ZERO4, ZERO4, ZERO4, ZERO4, ZERO4, ZERO4, ZERO4);
const ZERO_X32 = X32(ZERO4, ZERO4, ZERO4, ZERO4, ZERO4, ZERO4, ZERO4, ZERO4);
const ZERO_WORDS = vec4<u32>(0u);
const NIBBLES = vec4<u32>(0x0f0f0f0fu);

// A unit for the integer dot products: its words and coefficients, no floats.
fn wordsUnit(a: vec4<u32>, b: vec4<u32>, c: vec4<u32>, d: vec4<u32>, coefficients: vec4<f32>) -> Unit {
  return Unit(ZERO_Q32, ZERO_Q32, coefficients, Words(a, b, c, d));
}

// Q4_0 block u of the row at byte `row`: d:f16, then 16 bytes whose low nibbles are values 0..15 and high 16..31.
// The block's 18 bytes lie in the 5 words from its first: d in the low or high half of the first word.
fn q4_0Unit(row: u32, u: u32) -> Unit {
  let at = row + u * 18u;
  let i = at >> 2u;
  let a = vec4<u32>(W[i], W[i + 1u], W[i + 2u], W[i + 3u]);
  let b = vec4<u32>(a.yzw, W[i + 4u]);
  let odd = (at & 2u) != 0u;
  let d = vec4<f32>(halfToF32(select(a.x & 0xffffu, a.x >> 16u, odd)), 0.0, 0.0, 0.0);
  let q = select(straddle(a, b), b, odd);
  if (DOT != DOT_F32) { return wordsUnit(q, ZERO_WORDS, ZERO_WORDS, ZERO_WORDS, d); }
  return Unit(nibbles32(q), ZERO_Q32, d, Words(q, ZERO_WORDS, ZERO_WORDS, ZERO_WORDS));
}

// The 32 nibbles of a Q4_0 block's 16 bytes as floats: low nibbles are values 0..15, high 16..31.
fn nibbles32(q: vec4<u32>) -> Q32 {
  return bytes32(q & NIBBLES, (q >> vec4<u32>(4u)) & NIBBLES);
}

// The 16-bit half that ends word a and the one that starts word b: bytes 2, 3 of a and 0, 1 of b as one word.
fn straddle(a: vec4<u32>, b: vec4<u32>) -> vec4<u32> {
  return (a >> vec4<u32>(16u)) | (b << vec4<u32>(16u));
}

// PAIRED Q4_0 blocks 2u, 2u + 1: 36 bytes from word 9u of the row, the first block's d in the low half of word 0
// and its quants straddling words 0..4, the second's d in the high half of word 4 and its quants words 5..8.
fn q4_0Pair(row: u32, u: u32) -> Unit {
  let i = (row >> 2u) + 9u * u;
  let a = vec4<u32>(W[i], W[i + 1u], W[i + 2u], W[i + 3u]);
  let m = W[i + 4u];
  let q1 = vec4<u32>(W[i + 5u], W[i + 6u], W[i + 7u], W[i + 8u]);
  let q0 = straddle(a, vec4<u32>(a.yzw, m));
  let d = vec4<f32>(halfToF32(a.x & 0xffffu), halfToF32(m >> 16u), 0.0, 0.0);
  if (DOT != DOT_F32) { return wordsUnit(q0, q1, ZERO_WORDS, ZERO_WORDS, d); }
  return Unit(nibbles32(q0), nibbles32(q1), d, Words(q0, q1, ZERO_WORDS, ZERO_WORDS));
}

// PAIRED Q8_0 blocks 2u, 2u + 1: 68 bytes from word 17u of the row, the first block's d in the low half of word 0
// and its quants straddling words 0..8, the second's d in the high half of word 8 and its quants words 9..16.
fn q8_0Pair(row: u32, u: u32) -> Unit {
  let i = (row >> 2u) + 17u * u;
  let a = vec4<u32>(W[i], W[i + 1u], W[i + 2u], W[i + 3u]);
  let b = vec4<u32>(W[i + 4u], W[i + 5u], W[i + 6u], W[i + 7u]);
  let m = W[i + 8u];
  let c = vec4<u32>(W[i + 9u], W[i + 10u], W[i + 11u], W[i + 12u]);
  let e = vec4<u32>(W[i + 13u], W[i + 14u], W[i + 15u], W[i + 16u]);
  let lo = straddle(a, vec4<u32>(a.yzw, b.x));
  let hi = straddle(b, vec4<u32>(b.yzw, m));
  let d = vec4<f32>(halfToF32(a.x & 0xffffu), halfToF32(m >> 16u), 0.0, 0.0);
  if (DOT != DOT_F32) { return wordsUnit(lo, hi, c, e, d); }
  return Unit(signedBytes32(lo, hi), signedBytes32(c, e), d, Words(lo, hi, c, e));
}

// 32 signed bytes as floats: values 0..15 in lo, 16..31 in hi.
fn signedBytes32(lo: vec4<u32>, hi: vec4<u32>) -> Q32 {
  return Q32(signedBytesOf(lo.x), signedBytesOf(lo.y), signedBytesOf(lo.z), signedBytesOf(lo.w),
             signedBytesOf(hi.x), signedBytesOf(hi.y), signedBytesOf(hi.z), signedBytesOf(hi.w));
}

// Q8_0 block u: d:f16, then 32 signed bytes; the 34 bytes lie in the 9 words from the block's first.
fn q8_0Unit(row: u32, u: u32) -> Unit {
  let at = row + u * 34u;
  let i = at >> 2u;
  let a = vec4<u32>(W[i], W[i + 1u], W[i + 2u], W[i + 3u]);
  let b = vec4<u32>(W[i + 4u], W[i + 5u], W[i + 6u], W[i + 7u]);
  let c = W[i + 8u];
  let odd = (at & 2u) != 0u;
  let d = vec4<f32>(halfToF32(select(a.x & 0xffffu, a.x >> 16u, odd)), 0.0, 0.0, 0.0);
  let a1 = vec4<u32>(a.yzw, b.x);
  let b1 = vec4<u32>(b.yzw, c);
  let lo = select(straddle(a, a1), a1, odd);
  let hi = select(straddle(b, b1), b1, odd);
  if (DOT != DOT_F32) { return wordsUnit(lo, hi, ZERO_WORDS, ZERO_WORDS, d); }
  return Unit(signedBytes32(lo, hi), ZERO_Q32, d, Words(lo, hi, ZERO_WORDS, ZERO_WORDS));
}

// Q4_K quarter c = u % 4 of super-block u / 4: sub-blocks 2c (low nibbles of qs[32c ..], values a) and 2c + 1
// (high nibbles, values b), each value (d·sc)·q − dmin·m.
fn q4_KUnit(row: u32, u: u32) -> Unit {
  let at = row + (u >> 2u) * 144u;
  let c = u & 3u;
  let i = at >> 2u;
  let dd = W[i];
  // The two sub-blocks' 6-bit scales and mins (src/formats/quant/kScales.ts), as byte pairs: low byte for 2c.
  let shift = 16u * (c & 1u);
  let s0 = (W[i + 1u] >> shift) & 0xffffu;
  let s1 = (W[i + 2u] >> shift) & 0xffffu;
  let s2 = (W[i + 3u] >> shift) & 0xffffu;
  let high = c >= 2u;
  let scPair = select(s0 & 0x3f3fu, (s2 & 0x0f0fu) | ((s0 >> 2u) & 0x3030u), high);
  let mPair = select(s1 & 0x3f3fu, ((s2 >> 4u) & 0x0f0fu) | ((s1 >> 2u) & 0x3030u), high);
  let d = halfToF32(dd & 0xffffu);
  let dmin = halfToF32(dd >> 16u);
  let qi = i + 4u + 8u * c;
  let qlo = vec4<u32>(W[qi], W[qi + 1u], W[qi + 2u], W[qi + 3u]);
  let qhi = vec4<u32>(W[qi + 4u], W[qi + 5u], W[qi + 6u], W[qi + 7u]);
  let coefficients = vec4<f32>(d * f32(scPair & 0xffu), d * f32(scPair >> 8u), dmin * f32(mPair & 0xffu), dmin * f32(mPair >> 8u));
  if (DOT != DOT_F32) { return wordsUnit(qlo, qhi, ZERO_WORDS, ZERO_WORDS, coefficients); }
  let a = bytes32(qlo & NIBBLES, qhi & NIBBLES);
  let b = bytes32((qlo >> vec4<u32>(4u)) & NIBBLES, (qhi >> vec4<u32>(4u)) & NIBBLES);
  return Unit(a, b, coefficients, Words(qlo, qhi, ZERO_WORDS, ZERO_WORDS));
}

// Q6_K unit u: half h = (u / 2) % 2 of super-block u / 4, positions l0 .. l0 + 15 (l0 = 16·(u % 2)) of each of
// its four 32-value quarters (quarter qq in values 16qq .. 16qq + 15 of the unit); value
// (d·scales[8h + l0/16 + 2qq])·(q − 32) with the 6-bit q of quarter qq from a nibble of ql and two bits of qh.
fn q6_KUnit(row: u32, u: u32) -> Unit {
  let at = row + (u >> 2u) * 210u;
  let h = (u >> 1u) & 1u;
  let l0 = 16u * (u & 1u);
  let ql0 = words16(at + 64u * h + l0); // quarters 0 (low nibbles) and 2 (high)
  let ql1 = words16(at + 64u * h + 32u + l0); // quarters 1 and 3
  let qh = words16(at + 128u + 32u * h + l0); // two bits per quarter: bits 2qq, 2qq + 1 of each byte
  // scales[8h + l0/16 + 2qq] for qq = 0..3: bytes l0/16 and l0/16 + 2 of the two words at 192 + 8h.
  let sc = block8(at + 192u + 8u * h);
  let shift = 8u * (l0 >> 4u);
  let scaleBytes = vec4<u32>(sc.x >> shift, sc.x >> (shift + 16u), sc.y >> shift, sc.y >> (shift + 16u));
  let scales = vec4<f32>(bitcast<vec4<i32>>(scaleBytes << vec4<u32>(24u)) >> vec4<u32>(24u));
  let coefficients = halfToF32(halfAt(at + 208u)) * scales;
  if (DOT != DOT_F32) { return wordsUnit(ql0, ql1, qh, ZERO_WORDS, coefficients); }
  let q0 = (ql0 & NIBBLES) | ((qh & vec4<u32>(0x03030303u)) << vec4<u32>(4u));
  let q1 = (ql1 & NIBBLES) | ((qh & vec4<u32>(0x0c0c0c0cu)) << vec4<u32>(2u));
  let q2 = ((ql0 >> vec4<u32>(4u)) & NIBBLES) | (qh & vec4<u32>(0x30303030u));
  let q3 = ((ql1 >> vec4<u32>(4u)) & NIBBLES) | ((qh >> vec4<u32>(2u)) & vec4<u32>(0x30303030u));
  return Unit(bytes32(q0, q1), bytes32(q2, q3), coefficients, Words(ql0, ql1, qh, ZERO_WORDS));
}

// F32, F16: 8 values through the shared decoder.
fn plainUnit(row: u32, u: u32) -> Unit {
  let w = dequant8(row, 8u * u);
  return Unit(Q32(w.lo, w.hi, ZERO4, ZERO4, ZERO4, ZERO4, ZERO4, ZERO4), ZERO_Q32, ZERO4, Words(ZERO_WORDS, ZERO_WORDS, ZERO_WORDS, ZERO_WORDS));
}

// The functions taking `format` read blocks of that format: FORMAT, or FORMAT_V for the qkv entry point's v section,
// where only the K-quants differ. Every branch but the one that tells Q6_K from Q4_K in a pipeline reading both tests
// constants, so a pipeline's compiler drops the branches of formats it never reads before it inlines the functions.
fn decodeUnit(format: u32, row: u32, u: u32) -> Unit {
  if (FORMAT == Q4_0 && PAIRED) { return q4_0Pair(row, u); }
  if (FORMAT == Q8_0 && PAIRED) { return q8_0Pair(row, u); }
  if (FORMAT == Q4_0) { return q4_0Unit(row, u); }
  if (FORMAT == Q8_0) { return q8_0Unit(row, u); }
  if (READS_Q6_K) {
    if (format == Q6_K) { return q6_KUnit(row, u); }
  }
  if (READS_Q4_K) { return q4_KUnit(row, u); }
  return plainUnit(row, u);
}

// Unit u's activations of the row starting at vec4 index xq.
fn loadUnitX(format: u32, xq: u32, u: u32) -> XUnit {
  if (READS_Q6_K) {
    if (format == Q6_K) {
      // Positions 128h + 32qq + l0 .. + 15 of super-block u / 4, for qq = 0..3: two quarters per X32.
      let q = 64u * (u >> 2u) + 32u * ((u >> 1u) & 1u) + 4u * (u & 1u);
      let xa = X32(xAt(xq, q), xAt(xq, q + 1u), xAt(xq, q + 2u), xAt(xq, q + 3u),
                   xAt(xq, q + 8u), xAt(xq, q + 9u), xAt(xq, q + 10u), xAt(xq, q + 11u));
      let xb = X32(xAt(xq, q + 16u), xAt(xq, q + 17u), xAt(xq, q + 18u), xAt(xq, q + 19u),
                   xAt(xq, q + 24u), xAt(xq, q + 25u), xAt(xq, q + 26u), xAt(xq, q + 27u));
      let s = vec4<f32>(sum4((xa.a + xa.b) + (xa.c + xa.d)), sum4((xa.e + xa.f) + (xa.g + xa.h)),
                        sum4((xb.a + xb.b) + (xb.c + xb.d)), sum4((xb.e + xb.f) + (xb.g + xb.h)));
      return XUnit(xa, xb, s);
    }
  }
  if ((FORMAT == Q4_0 || FORMAT == Q8_0) && !PAIRED) {
    let x = loadX32(xq, 8u * u);
    return XUnit(x, ZERO_X32, vec4<f32>(sumX32(x), 0.0, 0.0, 0.0));
  }
  if (FORMAT == Q4_0 || FORMAT == Q8_0 || READS_Q4_K) {
    let xa = loadX32(xq, 16u * u);
    let xb = loadX32(xq, 16u * u + 8u);
    return XUnit(xa, xb, vec4<f32>(sumX32(xa), sumX32(xb), 0.0, 0.0));
  }
  return XUnit(X32(xAt(xq, 2u * u), xAt(xq, 2u * u + 1u), ZERO4, ZERO4, ZERO4, ZERO4, ZERO4, ZERO4), ZERO_X32, ZERO4);
}

// One activation row's sum over one weight row's decoded unit.
fn unitDot(format: u32, w: Unit, x: XUnit) -> f32 {
  if (FORMAT == Q4_0) {
    let first = w.c.x * (dotQ32(x.a, w.a) - 8.0 * x.s.x);
    if (PAIRED) { return first + w.c.y * (dotQ32(x.b, w.b) - 8.0 * x.s.y); }
    return first;
  }
  if (FORMAT == Q8_0) {
    if (PAIRED) { return w.c.x * dotQ32(x.a, w.a) + w.c.y * dotQ32(x.b, w.b); }
    return w.c.x * dotQ32(x.a, w.a);
  }
  if (READS_Q6_K) {
    if (format == Q6_K) {
      let s = vec4<f32>(dotLo16(x.a, w.a), dotHi16(x.a, w.a), dotLo16(x.b, w.b), dotHi16(x.b, w.b));
      return dot(w.c, s - 32.0 * x.s);
    }
  }
  if (READS_Q4_K) { return (w.c.x * dotQ32(x.a, w.a) - w.c.z * x.s.x) + (w.c.y * dotQ32(x.b, w.b) - w.c.w * x.s.y); }
  return dot(x.a.a, w.a.a) + dot(x.a.b, w.a.b);
}

// 16 consecutive quantized activations j .. j + 15 of a row (j % 16 == 0) in the form DOT multiplies: PAIRS, the pair
// words (e: those of values j + 4i, j + 4i + 2; o: of j + 4i + 1, j + 4i + 3, for i = 0..3); PACKED, the packed
// words in e.
struct XQ16 {
  e: vec4<u32>,
  o: vec4<u32>,
}

// The activation row m's quantized values j .. j + 15 (the layout is quantize_activations.wgsl's).
fn loadXQ16(quantizedX: ptr<storage, array<u32>, read>, m: u32, j: u32) -> XQ16 {
  let row = m * xqRowWords(p.K);
  if (DOT == DOT_I8_PACKED) {
    let at = row + xqPackedAt(p.K) + j / 4u;
    return XQ16(vec4<u32>((*quantizedX)[at], (*quantizedX)[at + 1u], (*quantizedX)[at + 2u], (*quantizedX)[at + 3u]), ZERO_WORDS);
  }
  let at = row + j / 2u;
  return XQ16(vec4<u32>((*quantizedX)[at], (*quantizedX)[at + 2u], (*quantizedX)[at + 4u], (*quantizedX)[at + 6u]), vec4<u32>((*quantizedX)[at + 1u], (*quantizedX)[at + 3u], (*quantizedX)[at + 5u], (*quantizedX)[at + 7u]));
}

// Row m's block scale d_b and Σ q over its 16 values j .. j + 15.
fn xqScale(quantizedX: ptr<storage, array<u32>, read>, m: u32, j: u32) -> f32 {
  return bitcast<f32>((*quantizedX)[m * xqRowWords(p.K) + xqScalesAt(p.K) + j / 32u]);
}

fn xqSum16(quantizedX: ptr<storage, array<u32>, read>, m: u32, j: u32) -> i32 {
  return bitcast<i32>((*quantizedX)[m * xqRowWords(p.K) + xqSumsAt(p.K) + j / 16u]);
}

// Σ v·q over 16 values: v the field of `bits` bits (4 or 2) at bit `shift` of each byte of w (values j + 4i ..
// j + 4i + 3 in the bytes of word i, low byte first), q the activations. PAIRS multiplies two 16-bit halves of
// fields, (byte 0, byte 2) or (byte 1, byte 3), by a pair word (q_{k+2} + q_k·2^16): the high half of the product is
// v_k·q_k + v_{k+2}·q_{k+2}, the low half v_k·q_{k+2}. Exact for fields up to 15: the 8 products' low halves sum to at
// most 8·15·127 < 2^15 in size and their high halves to 16·15·127 < 2^15, so the high half of the wrapped 32-bit total,
// rounded by the low half, is the sum. PACKED: dot4I8Packed of the fields as bytes and the packed activations.
fn planeDot(w: vec4<u32>, shift: u32, bits: u32, x: XQ16) -> i32 {
  let field = (1u << bits) - 1u;
  if (DOT == DOT_I8_PACKED) {
    let v = (w >> vec4<u32>(shift)) & vec4<u32>(field * 0x01010101u);
    return (dot4I8Packed(v.x, x.e.x) + dot4I8Packed(v.y, x.e.y)) + (dot4I8Packed(v.z, x.e.z) + dot4I8Packed(v.w, x.e.w));
  }
  let halves = vec4<u32>(field * 0x00010001u);
  let t = ((w >> vec4<u32>(shift)) & halves) * x.e + ((w >> vec4<u32>(shift + 8u)) & halves) * x.o;
  return (bitcast<i32>((t.x + t.y) + (t.z + t.w)) + 0x8000) >> 16u;
}

// One activation row's quantized values for a unit: values 16i .. 16i + 15 of the unit's 32 or 64 in a..d (Q6_K:
// quarter i's 16), the scales d_b of their blocks and Σ q over each 16 (Q4_0, Q8_0: s.x over all 32, PAIRED s.y over
// the second block's).
struct XQUnit {
  a: XQ16,
  b: XQ16,
  c: XQ16,
  d: XQ16,
  dx: vec4<f32>,
  s: vec4<i32>,
}

const ZERO_XQ16 = XQ16(vec4<u32>(0u), vec4<u32>(0u));

fn loadUnitXQ(format: u32, quantizedX: ptr<storage, array<u32>, read>, m: u32, u: u32) -> XQUnit {
  if (READS_Q6_K) {
    if (format == Q6_K) {
      // Quarter qq's values 128h + 32qq + l0 .. + 15 of super-block u / 4.
      let j = 256u * (u >> 2u) + 128u * ((u >> 1u) & 1u) + 16u * (u & 1u);
      let s = vec4<i32>(xqSum16(quantizedX, m, j), xqSum16(quantizedX, m, j + 32u), xqSum16(quantizedX, m, j + 64u), xqSum16(quantizedX, m, j + 96u));
      let dx = vec4<f32>(xqScale(quantizedX, m, j), xqScale(quantizedX, m, j + 32u), xqScale(quantizedX, m, j + 64u), xqScale(quantizedX, m, j + 96u));
      return XQUnit(loadXQ16(quantizedX, m, j), loadXQ16(quantizedX, m, j + 32u), loadXQ16(quantizedX, m, j + 64u), loadXQ16(quantizedX, m, j + 96u), dx, s);
    }
  }
  if ((FORMAT == Q4_0 || FORMAT == Q8_0) && !PAIRED) {
    let j = 32u * u;
    let s = xqSum16(quantizedX, m, j) + xqSum16(quantizedX, m, j + 16u);
    return XQUnit(loadXQ16(quantizedX, m, j), loadXQ16(quantizedX, m, j + 16u), ZERO_XQ16, ZERO_XQ16, vec4<f32>(xqScale(quantizedX, m, j), 0.0, 0.0, 0.0), vec4<i32>(s, 0, 0, 0));
  }
  // PAIRED Q4_0 and Q8_0, and Q4_K (the integer dot products read no other format).
  let j = 64u * u;
  let s = vec4<i32>(xqSum16(quantizedX, m, j) + xqSum16(quantizedX, m, j + 16u), xqSum16(quantizedX, m, j + 32u) + xqSum16(quantizedX, m, j + 48u), 0, 0);
  return XQUnit(loadXQ16(quantizedX, m, j), loadXQ16(quantizedX, m, j + 16u), loadXQ16(quantizedX, m, j + 32u), loadXQ16(quantizedX, m, j + 48u),
                vec4<f32>(xqScale(quantizedX, m, j), xqScale(quantizedX, m, j + 32u), 0.0, 0.0), s);
}

// A Q4_0 block's Σ (v − 8)·q: its 16 bytes of nibbles w (low: values 0..15, high: 16..31), the activations of its
// values 0..15 (lo) and 16..31 (hi), and their sum.
fn q4_0BlockDot(w: vec4<u32>, lo: XQ16, hi: XQ16, sum: i32) -> i32 {
  return planeDot(w, 0u, 4u, lo) + planeDot(w, 4u, 4u, hi) - 8 * sum;
}

// A Q8_0 block's Σ v·q: its signed bytes (values 0..15 in a, 16..31 in b), their activations and the activations' sum.
fn q8_0BlockDot(a: vec4<u32>, b: vec4<u32>, xa: XQ16, xb: XQ16, sum: i32) -> i32 {
  if (DOT == DOT_I8_PACKED) { return planeDot(a, 0u, 8u, xa) + planeDot(b, 0u, 8u, xb); }
  // PAIRS takes fields up to 15: the bytes made unsigned (v + 128) and split into nibbles, lo + 16·hi.
  let ua = a ^ vec4<u32>(0x80808080u);
  let ub = b ^ vec4<u32>(0x80808080u);
  let lo = planeDot(ua, 0u, 4u, xa) + planeDot(ub, 0u, 4u, xb);
  let hi = planeDot(ua, 4u, 4u, xa) + planeDot(ub, 4u, 4u, xb);
  return lo + 16 * hi - 128 * sum;
}

// One activation row's sum over one weight row's unit with integer dot products: per block, d_b times the exact
// integer sum Σ w·q (with the format's offset or minimum taken out through Σ q), times the weight's coefficient.
fn unitDotI8(format: u32, w: Unit, x: XQUnit) -> f32 {
  let q = w.q;
  if (FORMAT == Q4_0) {
    let first = (w.c.x * x.dx.x) * f32(q4_0BlockDot(q.a, x.a, x.b, x.s.x));
    if (PAIRED) { return first + (w.c.y * x.dx.y) * f32(q4_0BlockDot(q.b, x.c, x.d, x.s.y)); }
    return first;
  }
  if (FORMAT == Q8_0) {
    let first = (w.c.x * x.dx.x) * f32(q8_0BlockDot(q.a, q.b, x.a, x.b, x.s.x));
    if (PAIRED) { return first + (w.c.y * x.dx.y) * f32(q8_0BlockDot(q.c, q.d, x.c, x.d, x.s.y)); }
    return first;
  }
  if (READS_Q6_K) {
    if (format == Q6_K) {
      // Quarter qq's q = (its nibble of ql) + 16·(bits 2qq, 2qq + 1 of qh), each part a field up to 15.
      let s = vec4<i32>(planeDot(q.a, 0u, 4u, x.a) + 16 * planeDot(q.c, 0u, 2u, x.a),
                        planeDot(q.b, 0u, 4u, x.b) + 16 * planeDot(q.c, 2u, 2u, x.b),
                        planeDot(q.a, 4u, 4u, x.c) + 16 * planeDot(q.c, 4u, 2u, x.c),
                        planeDot(q.b, 4u, 4u, x.d) + 16 * planeDot(q.c, 6u, 2u, x.d));
      return dot(w.c * x.dx, vec4<f32>(s - 32 * x.s));
    }
  }
  // Q4_K (the integer dot products read no other format).
  let sa = planeDot(q.a, 0u, 4u, x.a) + planeDot(q.b, 0u, 4u, x.b);
  let sb = planeDot(q.a, 4u, 4u, x.c) + planeDot(q.b, 4u, 4u, x.d);
  return x.dx.x * (w.c.x * f32(sa) - w.c.z * f32(x.s.x)) + x.dx.y * (w.c.y * f32(sb) - w.c.w * f32(x.s.y));
}

// The unit's sums of activation row m with the ROWS decoded weight rows.
fn rowDots(format: u32, quantizedX: ptr<storage, array<u32>, read>, w0: Unit, w1: Unit, w2: Unit, w3: Unit, m: u32, u: u32) -> vec4<f32> {
  if (DOT != DOT_F32) {
    let x = loadUnitXQ(format, quantizedX, m, u);
    return vec4<f32>(unitDotI8(format, w0, x), unitDotI8(format, w1, x), unitDotI8(format, w2, x), unitDotI8(format, w3, x));
  }
  let x = loadUnitX(format, m * (p.K / 4u), u);
  return vec4<f32>(unitDot(format, w0, x), unitDot(format, w1, x), unitDot(format, w2, x), unitDot(format, w3, x));
}

// Thread t's share of Σ x² over activation row m (NORM): all of it without SPLIT_K. The integer dot products sum
// the per-block squares XQ holds; the f32 one reads the row.
fn squares(quantizedX: ptr<storage, array<u32>, read>, m: u32, t: u32) -> f32 {
  var sum = 0.0;
  if (DOT != DOT_F32) {
    let at = m * xqRowWords(p.K) + xqSquaresAt(p.K);
    for (var b = select(0u, t, SPLIT_K); b < p.K / 32u; b += select(1u, WG, SPLIT_K)) { sum += bitcast<f32>((*quantizedX)[at + b]); }
    return sum;
  }
  let xq = m * (p.K / 4u);
  for (var j = select(0u, t, SPLIT_K); j < p.K / 4u; j += select(1u, WG, SPLIT_K)) {
    let x = vec4<f32>(X[xq + j]);
    sum += dot(x, x);
  }
  return sum;
}

// Activation row r's sum for weight row c of thread t's group: the thread partials (SPLIT_K: every thread's; else
// thread t's alone), times rstd with NORM.
fn outputSum(t: u32, r: u32, c: u32) -> f32 {
  let first = select(t, 0u, SPLIT_K);
  let end = select(t + 1u, WG, SPLIT_K);
  var value = 0.0;
  for (var i = first; i < end; i++) { value += partial[i * R + r][c]; }
  if (NORM) {
    var total = 0.0;
    for (var i = first; i < end; i++) { total += partialSquares[i * R + r]; }
    value *= 1.0 / sqrt(total / f32(p.K) + p.eps);
  }
  return value;
}

// Output column n of activation row m from weight row c of thread t's group (with SwiGLU, gate row c and up row c + 2);
// returns the value stored (0 for a column or row past the product's).
fn store(t: u32, r: u32, c: u32, m: u32, n: u32) -> f32 {
  if (n >= p.N || m >= p.M) { return 0.0; }
  let index = m * p.yStride + p.yOffset + n;
  var value = outputSum(t, r, c);
  if (EPILOGUE == EPILOGUE_SWIGLU) {
    value = swiglu(value, outputSum(t, r, c + 2u));
  } else {
    if (ACCUMULATE) { value += f32(Y[index]); }
    if (EPILOGUE == EPILOGUE_BIAS) { value += B[p.yOffset + n]; }
  }
  Y[index] = value;
  return value;
}

// Byte offsets of group g's ROWS weight rows: columns n0 .. n0 + 3 (rows past N repeat the last row: read, then
// discarded), with SwiGLU the gate rows of columns n0, n0 + 1 and then their up rows, with qkv `qkvColumns`.
fn weightRows(g: u32) -> Rows {
  if (EPILOGUE == EPILOGUE_QKV) {
    let n = qkvColumns(g);
    return Rows(qkvRowByte(n.x), qkvRowByte(n.y), qkvRowByte(n.z), qkvRowByte(n.w));
  }
  let last = p.N - 1u;
  if (EPILOGUE == EPILOGUE_SWIGLU) {
    let a = min(2u * g, last) * p.rowBytes;
    let b = min(2u * g + 1u, last) * p.rowBytes;
    return Rows(a, b, p.section1Bytes + a, p.section1Bytes + b);
  }
  let n0 = g * ROWS;
  return Rows(min(n0, last) * p.rowBytes, min(n0 + 1u, last) * p.rowBytes, min(n0 + 2u, last) * p.rowBytes, min(n0 + 3u, last) * p.rowBytes);
}

// The first column of the q, k or v section holding column n.
fn qkvSectionStart(n: u32) -> u32 {
  return select(select(p.nQ + p.nKv, p.nQ, n < p.nQ + p.nKv), 0u, n < p.nQ);
}

fn qkvRowByte(n: u32) -> u32 {
  let start = qkvSectionStart(n);
  let section = select(select(p.section2Bytes, p.section1Bytes, start == p.nQ), 0u, start == 0u);
  return section + (n - start) * select(p.rowBytes, p.rowBytesV, start == p.nQ + p.nKv);
}

// Whether column n is rotated: in q or k, within the first nRot of its head.
fn qkvRotated(n: u32) -> bool {
  let start = qkvSectionStart(n);
  return start < p.nQ + p.nKv && (n - start) % p.headDim < p.nRot;
}

// Group g's 4 output columns: 4g .. 4g + 3, except in neox mode within a head's rotated columns, where the
// group takes two pairs (i, i + nRot/2) instead.
fn qkvColumns(g: u32) -> vec4<u32> {
  let n0 = 4u * g;
  if (!ROPE_NEOX || !qkvRotated(n0)) { return n0 + vec4<u32>(0u, 1u, 2u, 3u); }
  let j0 = (n0 - qkvSectionStart(n0)) % p.headDim;
  let head = n0 - j0;
  let i = j0 / 2u;
  let half = p.nRot / 2u;
  return head + vec4<u32>(i, i + 1u, i + half, i + half + 1u);
}

// Activation row m's 4 columns of group g (thread t's without SPLIT_K), through the qkv epilogue (see the header).
fn storeQkv(t: u32, r: u32, m: u32, g: u32) {
  if (m >= p.M) { return; }
  let n = qkvColumns(g);
  var x = vec4<f32>(outputSum(t, r, 0u), outputSum(t, r, 1u), outputSum(t, r, 2u), outputSum(t, r, 3u));
  if (BIASED) {
    let bias = vec4<f32>(B[p.biasAt + n.x], B[p.biasAt + n.y], B[p.biasAt + n.z], B[p.biasAt + n.w]);
    x += bias;
  }
  let at = AT[m];
  let position = select(at, 0u, at == SKIP);
  if (qkvRotated(n.x)) {
    // The pairs' indices i into the frequency table, and which of the 4 columns each pair's members are.
    let j = (n.x - qkvSectionStart(n.x)) % p.headDim;
    let i = select(j / 2u, j, ROPE_NEOX);
    let a = select(x.xz, x.xy, ROPE_NEOX);
    let b = select(x.yw, x.zw, ROPE_NEOX);
    let sc0 = sinCos(f32(position) * B[i]);
    let sc1 = sinCos(f32(position) * B[i + 1u]);
    let p0 = rotatePair(a.x, b.x, sc0.x, sc0.y);
    let p1 = rotatePair(a.y, b.y, sc1.x, sc1.y);
    x = select(vec4<f32>(p0.x, p0.y, p1.x, p1.y), vec4<f32>(p0.x, p1.x, p0.y, p1.y), ROPE_NEOX);
  }
  let start = qkvSectionStart(n.x);
  if (start == 0u) {
    let row = m * p.nQ;
    Y[row + n.x] = x.x;
    Y[row + n.y] = x.y;
    Y[row + n.z] = x.z;
    Y[row + n.w] = x.w;
    return;
  }
  if (at == SKIP) { return; }
  let row = (p.kvFirstSlot + m) * p.kvSlotValues + position * p.nKv - start;
  // Pairs start at even columns (nQ, nKv, headDim multiples of 4), so each stored word has one writer.
  if (start == p.nQ) {
    storeStoredPair(&Kc, row + n.x, x.xy, KV_F16);
    storeStoredPair(&Kc, row + n.z, x.zw, KV_F16);
  } else {
    storeStoredPair(&Vc, row + n.x, x.xy, KV_F16);
    storeStoredPair(&Vc, row + n.z, x.zw, KV_F16);
  }
}

// The groups of COLUMNS output columns: every column of the product.
fn groups() -> u32 {
  return (p.N + COLUMNS - 1u) / COLUMNS;
}

// Without SPLIT_K, the group of output columns thread t of workgroup wid owns (past the last group: none).
fn ownGroup(wid: vec3<u32>, t: u32) -> u32 {
  return wid.x * WG + t;
}

// The group of output columns thread t of workgroup wid sums: the workgroup's with SPLIT_K, else its own (past the
// last group, the last: computed, then discarded).
fn groupOf(wid: vec3<u32>, t: u32) -> u32 {
  if (SPLIT_K) { return wid.x; }
  return min(ownGroup(wid, t), groups() - 1u);
}

// Every thread's partial sums of its group into `partial` (and, with NORM, `partialSquares`), then with SPLIT_K a
// barrier. quantizedX is XQ, read by DOT_I8_* only: passed in so that an entry point taking DOT_F32 alone (`qkv`)
// binds no XQ.
fn sums(quantizedX: ptr<storage, array<u32>, read>, wid: vec3<u32>, t: u32) {
  groupSums(quantizedX, groupOf(wid, t), wid, t);
  rowSquares(quantizedX, wid, t);
  if (SPLIT_K) { workgroupBarrier(); }
}

// With NORM, thread t's share of each activation row's Σ x² into `partialSquares` (it does not depend on the group).
fn rowSquares(quantizedX: ptr<storage, array<u32>, read>, wid: vec3<u32>, t: u32) {
  if (NORM) {
    for (var r = 0u; r < R; r++) { partialSquares[t * R + r] = squares(quantizedX, min(wid.y * R + r, p.M - 1u), t); }
  }
}

// Thread t's partial sums of group g into `partial`.
fn groupSums(quantizedX: ptr<storage, array<u32>, read>, g: u32, wid: vec3<u32>, t: u32) {
  // A constant condition, so that a pipeline whose FORMAT_V is FORMAT never holds a second copy of the loop. A group's
  // rows lie in one section, so a thread reads one format throughout.
  if (FORMAT_V != FORMAT) {
    if (qkvV(g)) {
      sumUnits(FORMAT_V, quantizedX, wid.y * R, t, weightRows(g));
    } else {
      sumUnits(FORMAT, quantizedX, wid.y * R, t, weightRows(g));
    }
  } else {
    sumUnits(FORMAT, quantizedX, wid.y * R, t, weightRows(g));
  }
}

// Whether group g's columns are the qkv entry point's v section.
fn qkvV(g: u32) -> bool {
  return EPILOGUE == EPILOGUE_QKV && qkvSectionStart(4u * g) == p.nQ + p.nKv;
}

// Values per unit of work of a format (see the header).
fn unitValues(format: u32) -> u32 {
  if (format == Q4_K || format == Q6_K) { return 64u; }
  if (format == Q4_0 || format == Q8_0) { return select(32u, 64u, PAIRED); }
  return 8u;
}

// Thread t's sums of the weight rows at `rows`, of `format`, with activation rows m0 .. m0 + R − 1, into `partial`.
fn sumUnits(format: u32, quantizedX: ptr<storage, array<u32>, read>, m0: u32, t: u32, rows: Rows) {
  // Activation rows past M repeat the last row (computed, then discarded).
  let lastM = p.M - 1u;
  let units = p.K / unitValues(format);
  var acc0 = vec4<f32>(0.0);
  var acc1 = vec4<f32>(0.0);
  var acc2 = vec4<f32>(0.0);
  var acc3 = vec4<f32>(0.0);
  var acc4 = vec4<f32>(0.0);
  var acc5 = vec4<f32>(0.0);
  var acc6 = vec4<f32>(0.0);
  var acc7 = vec4<f32>(0.0);
  for (var u = select(0u, t, SPLIT_K); u < units; u += select(1u, WG, SPLIT_K)) {
    let w0 = decodeUnit(format, rows.r0, u);
    let w1 = decodeUnit(format, rows.r1, u);
    let w2 = decodeUnit(format, rows.r2, u);
    let w3 = decodeUnit(format, rows.r3, u);
    acc0 += rowDots(format, quantizedX, w0, w1, w2, w3, min(m0, lastM), u);
    if (R > 1u) { acc1 += rowDots(format, quantizedX, w0, w1, w2, w3, min(m0 + 1u, lastM), u); }
    if (R > 2u) { acc2 += rowDots(format, quantizedX, w0, w1, w2, w3, min(m0 + 2u, lastM), u); }
    if (R > 3u) { acc3 += rowDots(format, quantizedX, w0, w1, w2, w3, min(m0 + 3u, lastM), u); }
    if (R > 4u) { acc4 += rowDots(format, quantizedX, w0, w1, w2, w3, min(m0 + 4u, lastM), u); }
    if (R > 5u) { acc5 += rowDots(format, quantizedX, w0, w1, w2, w3, min(m0 + 5u, lastM), u); }
    if (R > 6u) { acc6 += rowDots(format, quantizedX, w0, w1, w2, w3, min(m0 + 6u, lastM), u); }
    if (R > 7u) { acc7 += rowDots(format, quantizedX, w0, w1, w2, w3, min(m0 + 7u, lastM), u); }
  }
  partial[t * R] = acc0;
  if (R > 1u) { partial[t * R + 1u] = acc1; }
  if (R > 2u) { partial[t * R + 2u] = acc2; }
  if (R > 3u) { partial[t * R + 3u] = acc3; }
  if (R > 4u) { partial[t * R + 4u] = acc4; }
  if (R > 5u) { partial[t * R + 5u] = acc5; }
  if (R > 6u) { partial[t * R + 6u] = acc6; }
  if (R > 7u) { partial[t * R + 7u] = acc7; }
}

// With SPLIT_K, one barrier (in `sums`), then each output is summed serially by one thread: for the small WG used,
// cheaper than a log-step tree whose every step is a barrier. Without, each thread stores its own group's outputs.
@compute @workgroup_size(WG, 1, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let t = lid.x;
  sums(&XQ, wid, t);
  if (SPLIT_K) {
    for (var j = t; j < COLUMNS * R; j += WG) { _ = store(t, j / COLUMNS, j % COLUMNS, wid.y * R + j / COLUMNS, wid.x * COLUMNS + j % COLUMNS); }
    return;
  }
  let g = ownGroup(wid, t);
  if (g >= groups()) { return; }
  for (var j = 0u; j < COLUMNS * R; j++) { _ = store(t, j / COLUMNS, j % COLUMNS, wid.y * R + j / COLUMNS, g * COLUMNS + j % COLUMNS); }
}

// `main` without SPLIT_K that also writes Y's rows quantized to 8 bits into XQO (with NORM_OUT, of Y·NWO), for the next
// product's integer dot product, in place of a quantize_activations.wgsl dispatch and with the same bits (the block
// arithmetic is shaders/quantize_block.wgsl's). Each workgroup owns one 32-value block of every row, the
// 32 / COLUMNS groups from wid.x·32 / COLUMNS, thread t groups t, t + WG, ... of them (WG divides 32 / COLUMNS; a
// workgroup of one SIMD group keeps SwiftShader's barrier cheap); Y's rows are the product's N = yStride columns
// (yOffset 0), N % 32 == 0. After one barrier, thread t quantizes the block of activation rows wid.y·R + r for
// r = t, t + WG, ... < R.
@compute @workgroup_size(WG, 1, 1)
fn mainQuantizing(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let t = lid.x;
  let perBlock = 32u / COLUMNS;
  rowSquares(&XQ, wid, t);
  for (var k = t; k < perBlock; k += WG) {
    let g = wid.x * perBlock + k;
    groupSums(&XQ, g, wid, t);
    for (var j = 0u; j < COLUMNS * R; j++) {
      let r = j / COLUMNS;
      let c = j % COLUMNS;
      outBlock[32u * r + k * COLUMNS + c] = store(t, r, c, wid.y * R + r, g * COLUMNS + c);
    }
  }
  workgroupBarrier();
  for (var r = t; r < R; r += WG) {
    let m = wid.y * R + r;
    if (m >= p.M) { return; }
    var raw: array<vec4<f32>, 8>;
    var scaled: array<vec4<f32>, 8>;
    for (var i = 0u; i < 8u; i++) {
      let at = 32u * r + 4u * i;
      raw[i] = vec4<f32>(outBlock[at], outBlock[at + 1u], outBlock[at + 2u], outBlock[at + 3u]);
      scaled[i] = raw[i];
      if (NORM_OUT) { scaled[i] = raw[i] * NWO[8u * wid.x + i]; }
    }
    storeQuantizedBlock(&XQO, p.yStride, m, wid.x, raw, scaled);
  }
}

@compute @workgroup_size(WG, 1, 1)
fn qkv(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  // DOT_F32 (binding limit, see the header): W stands in for XQ, which the f32 dot never reads.
  sums(&W, wid, lid.x);
  storeQkvGroup(wid, lid.x);
}

@compute @workgroup_size(WG, 1, 1)
fn qkvQuantized(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  sums(&XQ9, wid, lid.x);
  storeQkvGroup(wid, lid.x);
}

// Thread t's outputs through the qkv epilogue: its share of the workgroup's group (SPLIT_K), else its own group's.
fn storeQkvGroup(wid: vec3<u32>, t: u32) {
  if (SPLIT_K) {
    for (var r = t; r < R; r += WG) { storeQkv(t, r, wid.y * R + r, wid.x); }
    return;
  }
  let g = ownGroup(wid, t);
  if (g >= groups()) { return; }
  for (var r = 0u; r < R; r++) { storeQkv(t, r, wid.y * R + r, g); }
}
