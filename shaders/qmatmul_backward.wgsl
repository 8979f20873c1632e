// Backward through a frozen quantized weight:  dX[m, k] (+)= Σ_n dY[m, yOffset + n] · W[n, k]   (dX = dY·W).
//
//   dY is [M, yStride] (act_t); this dispatch reads its columns yOffset .. yOffset + N − 1. W is one row-range of
//   a GGUF weight tensor with dims [ne0 = K, ne1 = N] as stored in the file (N rows of `rowBytes` bytes of FORMAT
//   blocks, read as array<u32>). dX is [M, K]. A weight split across several bindings is one dispatch per part;
//   every part after the first accumulates into dX.
//
// Dispatch: (ceil(K / BK), ceil(M / BM)) workgroups of 16×16 threads, BM = BK = 64, the reduction over n stepped
// by BN = 32. Per step a workgroup stages a BM×BN tile of dY and dequantises a BN×BK tile of W into workgroup
// memory (each thread decodes one 8-value chunk of one weight row); each thread accumulates 4 rows (strided by 16)
// × 4 consecutive columns of dX in vec4 registers. No f32 copy of W is ever written.
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
@group(0) @binding(1) var<storage, read> dY: array<act_t>;
@group(0) @binding(2) var<storage, read> W: array<u32>;
@group(0) @binding(3) var<storage, read_write> dX: array<vec4<act_t>>; // [M, K], written 4 values at a time

override ACCUMULATE: bool = false;

const WG_X = 16u;
const WG_Y = 16u;
const BM = 64u; // WG_Y · 4 rows per thread
const BK = 64u; // WG_X · 4 columns per thread
const BN = 32u; // BN · BK / 8 = 256 chunks: one per thread

var<workgroup> tileY: array<f32, BN * BM>; // [n][m]
var<workgroup> tileW: array<vec4<f32>, BN * BK / 4u>; // [n][k / 4]: a decoded chunk is two elements

//! include gguf_blocks

@compute @workgroup_size(WG_X, WG_Y, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let row0 = wid.y * BM;
  let col0 = wid.x * BK;
  let t = lid.y * WG_X + lid.x;
  // This thread's chunk of the W tile: row wn of the step, values col0 + wk .. +7.
  let wn = t / (BK / 8u);
  let wk = (t % (BK / 8u)) * 8u;

  // acc_i: dX row row0 + lid.y + 16i, columns col0 + 4·lid.x .. +3.
  var acc0 = vec4<f32>(0.0);
  var acc1 = vec4<f32>(0.0);
  var acc2 = vec4<f32>(0.0);
  var acc3 = vec4<f32>(0.0);

  for (var n0 = 0u; n0 < p.N; n0 += BN) {
    for (var e = t; e < BM * BN; e += WG_X * WG_Y) {
      let n = e % BN;
      let m = e / BN;
      var g = 0.0;
      if (row0 + m < p.M && n0 + n < p.N) { g = f32(dY[(row0 + m) * p.yStride + p.yOffset + n0 + n]); }
      tileY[n * BM + m] = g;
    }
    let n = n0 + wn;
    var w = Chunk(vec4<f32>(0.0), vec4<f32>(0.0));
    if (n < p.N && col0 + wk < p.K) { w = dequant8(n * p.rowBytes, col0 + wk); }
    tileW[wn * (BK / 4u) + wk / 4u] = w.lo;
    tileW[wn * (BK / 4u) + wk / 4u + 1u] = w.hi;
    workgroupBarrier();

    for (var r = 0u; r < BN; r++) {
      let b = tileW[r * (BK / 4u) + lid.x];
      let a = r * BM + lid.y;
      acc0 = fma(vec4<f32>(tileY[a]), b, acc0);
      acc1 = fma(vec4<f32>(tileY[a + 16u]), b, acc1);
      acc2 = fma(vec4<f32>(tileY[a + 32u]), b, acc2);
      acc3 = fma(vec4<f32>(tileY[a + 48u]), b, acc3);
    }
    workgroupBarrier();
  }

  let col = col0 + 4u * lid.x;
  store(row0 + lid.y, col, acc0);
  store(row0 + lid.y + 16u, col, acc1);
  store(row0 + lid.y + 32u, col, acc2);
  store(row0 + lid.y + 48u, col, acc3);
}

// Writes dX[row, col .. col+3]; K % 8 == 0, so the 4 columns are all inside or all past the end.
fn store(row: u32, col: u32, value: vec4<f32>) {
  if (row >= p.M || col >= p.K) { return; }
  let index = (row * p.K + col) / 4u;
  var v = value;
  if (ACCUMULATE) { v += vec4<f32>(dX[index]); }
  dX[index] = vec4<act_t>(v);
}
