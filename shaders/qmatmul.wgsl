// Tiled quantized matrix multiply (prefill, training):  Y[m, yOffset + n] (+)= Σ_k X[m, k] · W[n, k]   for n < N.
//
//   X is [M, K] activations (f32). W is one row-range of a GGUF weight tensor with dims [ne0 = K, ne1 = N] as
//   stored in the file: N rows of K values, each row `rowBytes` bytes of FORMAT blocks, read as array<u32>.
//   Y is [M, yStride]; this dispatch writes columns yOffset .. yOffset + N − 1 (one dispatch per part of a
//   weight split across several bindings).
//
// Dispatch: (ceil(N / BN), ceil(M / BM)) workgroups of WG_X×WG_Y threads, BM = 8·WG_Y, BN = 8·WG_X, K stepped by
// BK = 32. The wrapper uses WG_X = 8 and the fewest of WG_Y = 1, 2, 4, 8 that cover M (up to a 64×64 tile).
// Per K step a workgroup stages a BM×BK tile of X and dequantises a BN×BK tile of W into workgroup memory (each
// thread decodes BN·BK / 8 / (WG_X·WG_Y) 8-value chunks: four at 8×8), so each weight value is decoded once per BM
// activation rows rather than once per row; each thread then accumulates an 8×8 block of outputs, strided by WG_Y
// rows and WG_X columns, as dot products of 4-value runs of k in vec4 registers (SwiftShader spills private arrays
// to memory). 8×8 threads with 8×8 outputs each rather than 16×16 threads with 4×4: fewer invocations to switch
// between at each barrier on a CPU adapter, 16 FMAs per workgroup-memory load.
// The f32 weight tile lives only in workgroup memory: no f32 copy of W is ever written.
//
// `direct` (CPU adapters, where a barrier switches between a workgroup's invocations and the caches do what the
// tiles do): no workgroup memory, no barrier. Dispatch: (ceil(N / 16), ceil(M / 32)) workgroups of 4×4 threads;
// each thread decodes 8-value chunks of 4 weight rows (output columns) and takes their dot products with 8
// activation rows read straight from storage, so each weight value is decoded once per 8 rows. Rows and columns past
// the edge read the last valid one and are dropped at the store.
//
// Requires K % 8 == 0 (and K a whole number of blocks: 32 for Q4_0/Q8_0, 256 for Q4_K/Q6_K).

struct Params {
  M: u32,
  N: u32,
  K: u32,
  rowBytes: u32,
  yStride: u32,
  yOffset: u32,
  _pad0: u32,
  _pad1: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> X: array<vec4<f32>>; // [M, K], read 4 values at a time
@group(0) @binding(2) var<storage, read> W: array<u32>;
@group(0) @binding(3) var<storage, read_write> Y: array<f32>;

override ACCUMULATE: bool = false;

override WG_X: u32 = 8u;
override WG_Y: u32 = 8u;
override BM: u32 = WG_Y * 8u; // 8 rows per thread
override BN: u32 = WG_X * 8u; // 8 columns per thread
const BK = 32u;

var<workgroup> tileX: array<vec4<f32>, BM * BK / 4u>; // [m][k / 4]: 4 consecutive k per element
var<workgroup> tileW: array<vec4<f32>, BN * BK / 4u>; // [n][k / 4]: a decoded chunk is two elements

//! include gguf_blocks

// x · w0, x · w1, x · w2, x · w3.
fn dots(x: vec4<f32>, w0: vec4<f32>, w1: vec4<f32>, w2: vec4<f32>, w3: vec4<f32>) -> vec4<f32> {
  return vec4<f32>(dot(x, w0), dot(x, w1), dot(x, w2), dot(x, w3));
}

@compute @workgroup_size(WG_X, WG_Y, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let row0 = wid.y * BM;
  let col0 = wid.x * BN;
  let t = lid.y * WG_X + lid.x;
  let kq = p.K / 4u;
  const Q = BK / 4u;

  // a{i}{h}: output row row0 + lid.y + WG_Y·i, columns col0 + lid.x + WG_X·(4h + j) for component j.
  var a00 = vec4<f32>(0.0); var a01 = vec4<f32>(0.0);
  var a10 = vec4<f32>(0.0); var a11 = vec4<f32>(0.0);
  var a20 = vec4<f32>(0.0); var a21 = vec4<f32>(0.0);
  var a30 = vec4<f32>(0.0); var a31 = vec4<f32>(0.0);
  var a40 = vec4<f32>(0.0); var a41 = vec4<f32>(0.0);
  var a50 = vec4<f32>(0.0); var a51 = vec4<f32>(0.0);
  var a60 = vec4<f32>(0.0); var a61 = vec4<f32>(0.0);
  var a70 = vec4<f32>(0.0); var a71 = vec4<f32>(0.0);

  for (var k0 = 0u; k0 < p.K; k0 += BK) {
    for (var e = t; e < BM * Q; e += WG_X * WG_Y) {
      let m = e / Q;
      let q = e % Q;
      var x = vec4<f32>(0.0);
      if (row0 + m < p.M && k0 + 4u * q < p.K) { x = vec4<f32>(X[(row0 + m) * kq + k0 / 4u + q]); }
      tileX[e] = x;
    }
    for (var c = t; c < BN * BK / 8u; c += WG_X * WG_Y) {
      let n = col0 + c / (BK / 8u);
      let k = k0 + (c % (BK / 8u)) * 8u;
      var w = Chunk(vec4<f32>(0.0), vec4<f32>(0.0));
      if (n < p.N && k < p.K) { w = dequant8(n * p.rowBytes, k); }
      tileW[2u * c] = w.lo;
      tileW[2u * c + 1u] = w.hi;
    }
    workgroupBarrier();

    for (var q = 0u; q < Q; q++) {
      let w0 = tileW[lid.x * Q + q];
      let w1 = tileW[(lid.x + 1u * WG_X) * Q + q];
      let w2 = tileW[(lid.x + 2u * WG_X) * Q + q];
      let w3 = tileW[(lid.x + 3u * WG_X) * Q + q];
      let w4 = tileW[(lid.x + 4u * WG_X) * Q + q];
      let w5 = tileW[(lid.x + 5u * WG_X) * Q + q];
      let w6 = tileW[(lid.x + 6u * WG_X) * Q + q];
      let w7 = tileW[(lid.x + 7u * WG_X) * Q + q];
      var x = tileX[lid.y * Q + q];
      a00 += dots(x, w0, w1, w2, w3); a01 += dots(x, w4, w5, w6, w7);
      x = tileX[(lid.y + 1u * WG_Y) * Q + q];
      a10 += dots(x, w0, w1, w2, w3); a11 += dots(x, w4, w5, w6, w7);
      x = tileX[(lid.y + 2u * WG_Y) * Q + q];
      a20 += dots(x, w0, w1, w2, w3); a21 += dots(x, w4, w5, w6, w7);
      x = tileX[(lid.y + 3u * WG_Y) * Q + q];
      a30 += dots(x, w0, w1, w2, w3); a31 += dots(x, w4, w5, w6, w7);
      x = tileX[(lid.y + 4u * WG_Y) * Q + q];
      a40 += dots(x, w0, w1, w2, w3); a41 += dots(x, w4, w5, w6, w7);
      x = tileX[(lid.y + 5u * WG_Y) * Q + q];
      a50 += dots(x, w0, w1, w2, w3); a51 += dots(x, w4, w5, w6, w7);
      x = tileX[(lid.y + 6u * WG_Y) * Q + q];
      a60 += dots(x, w0, w1, w2, w3); a61 += dots(x, w4, w5, w6, w7);
      x = tileX[(lid.y + 7u * WG_Y) * Q + q];
      a70 += dots(x, w0, w1, w2, w3); a71 += dots(x, w4, w5, w6, w7);
    }
    workgroupBarrier();
  }

  let col = col0 + lid.x;
  store(row0 + lid.y, col, a00, a01);
  store(row0 + lid.y + 1u * WG_Y, col, a10, a11);
  store(row0 + lid.y + 2u * WG_Y, col, a20, a21);
  store(row0 + lid.y + 3u * WG_Y, col, a30, a31);
  store(row0 + lid.y + 4u * WG_Y, col, a40, a41);
  store(row0 + lid.y + 5u * WG_Y, col, a50, a51);
  store(row0 + lid.y + 6u * WG_Y, col, a60, a61);
  store(row0 + lid.y + 7u * WG_Y, col, a70, a71);
}

// Writes outputs (row, col + WG_X·j) for j < 8 (lo holds j < 4), skipping those past M or N.
fn store(row: u32, col: u32, lo: vec4<f32>, hi: vec4<f32>) {
  if (row >= p.M) { return; }
  for (var j = 0u; j < 8u; j++) {
    let c = col + WG_X * j;
    if (c >= p.N) { return; }
    let index = row * p.yStride + p.yOffset + c;
    var v = select(hi[j & 3u], lo[j & 3u], j < 4u);
    if (ACCUMULATE) { v += f32(Y[index]); }
    Y[index] = f32(v);
  }
}

@compute @workgroup_size(4, 4, 1)
fn direct(@builtin(global_invocation_id) gid: vec3<u32>) {
  let col = gid.x * 4u;
  let row = gid.y * 8u;
  if (col >= p.N || row >= p.M) { return; }
  let kq = p.K / 4u;
  let lastRow = p.M - 1u;
  let lastCol = p.N - 1u;
  let w0 = min(col, lastCol) * p.rowBytes;
  let w1 = min(col + 1u, lastCol) * p.rowBytes;
  let w2 = min(col + 2u, lastCol) * p.rowBytes;
  let w3 = min(col + 3u, lastCol) * p.rowBytes;
  let x0 = min(row, lastRow) * kq;
  let x1 = min(row + 1u, lastRow) * kq;
  let x2 = min(row + 2u, lastRow) * kq;
  let x3 = min(row + 3u, lastRow) * kq;
  let x4 = min(row + 4u, lastRow) * kq;
  let x5 = min(row + 5u, lastRow) * kq;
  let x6 = min(row + 6u, lastRow) * kq;
  let x7 = min(row + 7u, lastRow) * kq;

  // acc{i}: row + i, columns col .. col + 3.
  var acc0 = vec4<f32>(0.0);
  var acc1 = vec4<f32>(0.0);
  var acc2 = vec4<f32>(0.0);
  var acc3 = vec4<f32>(0.0);
  var acc4 = vec4<f32>(0.0);
  var acc5 = vec4<f32>(0.0);
  var acc6 = vec4<f32>(0.0);
  var acc7 = vec4<f32>(0.0);
  for (var k = 0u; k < p.K; k += 8u) {
    let c0 = dequant8(w0, k);
    let c1 = dequant8(w1, k);
    let c2 = dequant8(w2, k);
    let c3 = dequant8(w3, k);
    let q = k / 4u;
    acc0 += dots(vec4<f32>(X[x0 + q]), c0.lo, c1.lo, c2.lo, c3.lo) + dots(vec4<f32>(X[x0 + q + 1u]), c0.hi, c1.hi, c2.hi, c3.hi);
    acc1 += dots(vec4<f32>(X[x1 + q]), c0.lo, c1.lo, c2.lo, c3.lo) + dots(vec4<f32>(X[x1 + q + 1u]), c0.hi, c1.hi, c2.hi, c3.hi);
    acc2 += dots(vec4<f32>(X[x2 + q]), c0.lo, c1.lo, c2.lo, c3.lo) + dots(vec4<f32>(X[x2 + q + 1u]), c0.hi, c1.hi, c2.hi, c3.hi);
    acc3 += dots(vec4<f32>(X[x3 + q]), c0.lo, c1.lo, c2.lo, c3.lo) + dots(vec4<f32>(X[x3 + q + 1u]), c0.hi, c1.hi, c2.hi, c3.hi);
    acc4 += dots(vec4<f32>(X[x4 + q]), c0.lo, c1.lo, c2.lo, c3.lo) + dots(vec4<f32>(X[x4 + q + 1u]), c0.hi, c1.hi, c2.hi, c3.hi);
    acc5 += dots(vec4<f32>(X[x5 + q]), c0.lo, c1.lo, c2.lo, c3.lo) + dots(vec4<f32>(X[x5 + q + 1u]), c0.hi, c1.hi, c2.hi, c3.hi);
    acc6 += dots(vec4<f32>(X[x6 + q]), c0.lo, c1.lo, c2.lo, c3.lo) + dots(vec4<f32>(X[x6 + q + 1u]), c0.hi, c1.hi, c2.hi, c3.hi);
    acc7 += dots(vec4<f32>(X[x7 + q]), c0.lo, c1.lo, c2.lo, c3.lo) + dots(vec4<f32>(X[x7 + q + 1u]), c0.hi, c1.hi, c2.hi, c3.hi);
  }
  storeAdjacent(row, col, acc0);
  storeAdjacent(row + 1u, col, acc1);
  storeAdjacent(row + 2u, col, acc2);
  storeAdjacent(row + 3u, col, acc3);
  storeAdjacent(row + 4u, col, acc4);
  storeAdjacent(row + 5u, col, acc5);
  storeAdjacent(row + 6u, col, acc6);
  storeAdjacent(row + 7u, col, acc7);
}

// Writes outputs (row, col + j) for j < 4, skipping those past M or N.
fn storeAdjacent(row: u32, col: u32, value: vec4<f32>) {
  if (row >= p.M) { return; }
  for (var j = 0u; j < 4u; j++) {
    if (col + j >= p.N) { return; }
    let index = row * p.yStride + p.yOffset + col + j;
    var v = value[j];
    if (ACCUMULATE) { v += f32(Y[index]); }
    Y[index] = f32(v);
  }
}
