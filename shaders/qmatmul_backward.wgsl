// Backward through a frozen quantized weight:  dX[m, k] (+)= Σ_n dY[m, yOffset + n] · W[n, k]   (dX = dY·W).
//
//   dY is [M, yStride] (f32); this dispatch reads its columns yOffset .. yOffset + N − 1. W is one row-range of
//   a GGUF weight tensor with dims [ne0 = K, ne1 = N] as stored in the file (N rows of `rowBytes` bytes of FORMAT
//   blocks, read as array<u32>). dX is [M, K]. A weight split across several bindings is one dispatch per part;
//   every part after the first accumulates into dX.
//
// Dispatch: (ceil(K / BK), ceil(M / BM)) workgroups of 8×8 threads, BM = BK = 64, the reduction over n stepped
// by BN = 32. Per step a workgroup stages a BM×BN tile of dY and dequantises a BN×BK tile of W into workgroup
// memory (each thread decodes four 8-value chunks of weight rows); each thread accumulates 8 rows (strided by 8)
// × 8 columns (4 consecutive, twice, 32 apart) of dX in vec4 registers: 16 vec4 FMAs per 10 workgroup-memory
// loads. 8×8 threads as in the tiled forward (shaders/qmatmul.wgsl): few invocations to switch between at each
// barrier on a CPU adapter (SwiftShader). No f32 copy of W is ever written.
//
// `direct` (CPU adapters, where a barrier switches between a workgroup's invocations and the caches do what the
// tiles do): no workgroup memory, no barrier. Dispatch: (ceil(K / 32), ceil(M / 32)) workgroups of 4×4 threads;
// each thread owns 8 rows × one 8-value chunk of dX, decodes that chunk of each weight row once and uses it for
// its 8 rows of dY, read straight from storage. Rows past the edge read the last valid one and are dropped.
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
@group(0) @binding(1) var<storage, read> dY: array<f32>;
@group(0) @binding(2) var<storage, read> W: array<u32>;
@group(0) @binding(3) var<storage, read_write> dX: array<vec4<f32>>; // [M, K], written 4 values at a time

override ACCUMULATE: bool = false;

const WG_X = 8u;
const WG_Y = 8u;
const BM = 64u; // WG_Y · 8 rows per thread
const BK = 64u; // WG_X · 8 columns per thread
const BN = 32u; // BN · BK / 8 = 256 chunks: four per thread

var<workgroup> tileY: array<f32, BN * BM>; // [n][m]
var<workgroup> tileW: array<vec4<f32>, BN * BK / 4u>; // [n][k / 4]: a decoded chunk is two elements

//! include gguf_blocks

@compute @workgroup_size(WG_X, WG_Y, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let row0 = wid.y * BM;
  let col0 = wid.x * BK;
  let t = lid.y * WG_X + lid.x;
  const Q = BK / 4u;

  // a{i}{h}: dX row row0 + lid.y + 8i, columns col0 + 4·lid.x + 32h .. +3.
  var a00 = vec4<f32>(0.0); var a01 = vec4<f32>(0.0);
  var a10 = vec4<f32>(0.0); var a11 = vec4<f32>(0.0);
  var a20 = vec4<f32>(0.0); var a21 = vec4<f32>(0.0);
  var a30 = vec4<f32>(0.0); var a31 = vec4<f32>(0.0);
  var a40 = vec4<f32>(0.0); var a41 = vec4<f32>(0.0);
  var a50 = vec4<f32>(0.0); var a51 = vec4<f32>(0.0);
  var a60 = vec4<f32>(0.0); var a61 = vec4<f32>(0.0);
  var a70 = vec4<f32>(0.0); var a71 = vec4<f32>(0.0);

  for (var n0 = 0u; n0 < p.N; n0 += BN) {
    for (var e = t; e < BM * BN; e += WG_X * WG_Y) {
      let n = e % BN;
      let m = e / BN;
      var g = 0.0;
      if (row0 + m < p.M && n0 + n < p.N) { g = f32(dY[(row0 + m) * p.yStride + p.yOffset + n0 + n]); }
      tileY[n * BM + m] = g;
    }
    for (var c = t; c < BN * BK / 8u; c += WG_X * WG_Y) {
      let wn = c / (BK / 8u);
      let wk = (c % (BK / 8u)) * 8u;
      let n = n0 + wn;
      var w = Chunk(vec4<f32>(0.0), vec4<f32>(0.0));
      if (n < p.N && col0 + wk < p.K) { w = dequant8(n * p.rowBytes, col0 + wk); }
      tileW[wn * Q + wk / 4u] = w.lo;
      tileW[wn * Q + wk / 4u + 1u] = w.hi;
    }
    workgroupBarrier();

    for (var r = 0u; r < BN; r++) {
      let b0 = tileW[r * Q + lid.x];
      let b1 = tileW[r * Q + 8u + lid.x];
      let a = r * BM + lid.y;
      var y = vec4<f32>(tileY[a]);
      a00 = fma(y, b0, a00); a01 = fma(y, b1, a01);
      y = vec4<f32>(tileY[a + 8u]);
      a10 = fma(y, b0, a10); a11 = fma(y, b1, a11);
      y = vec4<f32>(tileY[a + 16u]);
      a20 = fma(y, b0, a20); a21 = fma(y, b1, a21);
      y = vec4<f32>(tileY[a + 24u]);
      a30 = fma(y, b0, a30); a31 = fma(y, b1, a31);
      y = vec4<f32>(tileY[a + 32u]);
      a40 = fma(y, b0, a40); a41 = fma(y, b1, a41);
      y = vec4<f32>(tileY[a + 40u]);
      a50 = fma(y, b0, a50); a51 = fma(y, b1, a51);
      y = vec4<f32>(tileY[a + 48u]);
      a60 = fma(y, b0, a60); a61 = fma(y, b1, a61);
      y = vec4<f32>(tileY[a + 56u]);
      a70 = fma(y, b0, a70); a71 = fma(y, b1, a71);
    }
    workgroupBarrier();
  }

  let col = col0 + 4u * lid.x;
  let row = row0 + lid.y;
  store(row, col, a00); store(row, col + 32u, a01);
  store(row + 8u, col, a10); store(row + 8u, col + 32u, a11);
  store(row + 16u, col, a20); store(row + 16u, col + 32u, a21);
  store(row + 24u, col, a30); store(row + 24u, col + 32u, a31);
  store(row + 32u, col, a40); store(row + 32u, col + 32u, a41);
  store(row + 40u, col, a50); store(row + 40u, col + 32u, a51);
  store(row + 48u, col, a60); store(row + 48u, col + 32u, a61);
  store(row + 56u, col, a70); store(row + 56u, col + 32u, a71);
}

// Writes dX[row, col .. col+3]; K % 8 == 0, so the 4 columns are all inside or all past the end.
fn store(row: u32, col: u32, value: vec4<f32>) {
  if (row >= p.M || col >= p.K) { return; }
  let index = (row * p.K + col) / 4u;
  var v = value;
  if (ACCUMULATE) { v += vec4<f32>(dX[index]); }
  dX[index] = vec4<f32>(v);
}

@compute @workgroup_size(4, 4, 1)
fn direct(@builtin(global_invocation_id) gid: vec3<u32>) {
  let col = gid.x * 8u;
  let row = gid.y * 8u;
  if (col >= p.K || row >= p.M) { return; }
  let lastRow = p.M - 1u;
  let y0 = min(row, lastRow) * p.yStride + p.yOffset;
  let y1 = min(row + 1u, lastRow) * p.yStride + p.yOffset;
  let y2 = min(row + 2u, lastRow) * p.yStride + p.yOffset;
  let y3 = min(row + 3u, lastRow) * p.yStride + p.yOffset;
  let y4 = min(row + 4u, lastRow) * p.yStride + p.yOffset;
  let y5 = min(row + 5u, lastRow) * p.yStride + p.yOffset;
  let y6 = min(row + 6u, lastRow) * p.yStride + p.yOffset;
  let y7 = min(row + 7u, lastRow) * p.yStride + p.yOffset;

  // a{i}{h}: dX row row + i, columns col + 4h .. +3.
  var a00 = vec4<f32>(0.0); var a01 = vec4<f32>(0.0);
  var a10 = vec4<f32>(0.0); var a11 = vec4<f32>(0.0);
  var a20 = vec4<f32>(0.0); var a21 = vec4<f32>(0.0);
  var a30 = vec4<f32>(0.0); var a31 = vec4<f32>(0.0);
  var a40 = vec4<f32>(0.0); var a41 = vec4<f32>(0.0);
  var a50 = vec4<f32>(0.0); var a51 = vec4<f32>(0.0);
  var a60 = vec4<f32>(0.0); var a61 = vec4<f32>(0.0);
  var a70 = vec4<f32>(0.0); var a71 = vec4<f32>(0.0);
  for (var n = 0u; n < p.N; n++) {
    let w = dequant8(n * p.rowBytes, col);
    var y = vec4<f32>(f32(dY[y0 + n]));
    a00 = fma(y, w.lo, a00); a01 = fma(y, w.hi, a01);
    y = vec4<f32>(f32(dY[y1 + n]));
    a10 = fma(y, w.lo, a10); a11 = fma(y, w.hi, a11);
    y = vec4<f32>(f32(dY[y2 + n]));
    a20 = fma(y, w.lo, a20); a21 = fma(y, w.hi, a21);
    y = vec4<f32>(f32(dY[y3 + n]));
    a30 = fma(y, w.lo, a30); a31 = fma(y, w.hi, a31);
    y = vec4<f32>(f32(dY[y4 + n]));
    a40 = fma(y, w.lo, a40); a41 = fma(y, w.hi, a41);
    y = vec4<f32>(f32(dY[y5 + n]));
    a50 = fma(y, w.lo, a50); a51 = fma(y, w.hi, a51);
    y = vec4<f32>(f32(dY[y6 + n]));
    a60 = fma(y, w.lo, a60); a61 = fma(y, w.hi, a61);
    y = vec4<f32>(f32(dY[y7 + n]));
    a70 = fma(y, w.lo, a70); a71 = fma(y, w.hi, a71);
  }
  store(row, col, a00); store(row, col + 4u, a01);
  store(row + 1u, col, a10); store(row + 1u, col + 4u, a11);
  store(row + 2u, col, a20); store(row + 2u, col + 4u, a21);
  store(row + 3u, col, a30); store(row + 3u, col + 4u, a31);
  store(row + 4u, col, a40); store(row + 4u, col + 4u, a41);
  store(row + 5u, col, a50); store(row + 5u, col + 4u, a51);
  store(row + 6u, col, a60); store(row + 6u, col + 4u, a61);
  store(row + 7u, col, a70); store(row + 7u, col + 4u, a71);
}
