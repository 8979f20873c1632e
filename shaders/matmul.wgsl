// Tiled f32 matrix multiply:  C = alpha · op(A) · op(B)  (+ C when ACCUMULATE), for `batch` independent problems.
//
//   op(A) is M×K: A stored row-major as [M, K], or as [K, M] when TRANS_A.
//   op(B) is K×N: B stored row-major as [K, N], or as [N, K] when TRANS_B.
//   C is row-major [M, N]. Batch b reads A + b·strideA, B + b·strideB and writes C + b·strideC (in elements).
//
// Dispatch: (ceil(N / (WG_X·TN)), ceil(M / (WG_Y·TM)), batch) workgroups of WG_X×WG_Y threads.
// Each workgroup stages a BM×BK tile of op(A) and a BK×BN tile of op(B) in workgroup memory per K step;
// each thread accumulates a TM×TN block of outputs, strided by WG_Y rows and WG_X columns so that
// neighbouring threads touch neighbouring addresses. Out-of-range rows, columns and K are zero-filled.

struct Params {
  M: u32,
  N: u32,
  K: u32,
  alpha: f32,
  strideA: u32,
  strideB: u32,
  strideC: u32,
  _pad: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> A: array<f32>;
@group(0) @binding(2) var<storage, read> B: array<f32>;
@group(0) @binding(3) var<storage, read_write> C: array<f32>;

override TRANS_A: bool = false;
override TRANS_B: bool = false;
override ACCUMULATE: bool = false;
override WG_X: u32 = 16u;
override WG_Y: u32 = 16u;
override BK: u32 = 16u;

const TM = 4u; // outputs per thread along M
const TN = 4u; // outputs per thread along N
override BM: u32 = WG_Y * TM;
override BN: u32 = WG_X * TN;

var<workgroup> tileA: array<f32, BM * BK>; // [k][m]
var<workgroup> tileB: array<f32, BK * BN>; // [k][n]

fn loadA(batch: u32, m: u32, k: u32) -> f32 {
  if (m >= p.M || k >= p.K) { return 0.0; }
  if (TRANS_A) { return A[batch * p.strideA + k * p.M + m]; }
  return A[batch * p.strideA + m * p.K + k];
}

fn loadB(batch: u32, k: u32, n: u32) -> f32 {
  if (k >= p.K || n >= p.N) { return 0.0; }
  if (TRANS_B) { return B[batch * p.strideB + n * p.K + k]; }
  return B[batch * p.strideB + k * p.N + n];
}

@compute @workgroup_size(WG_X, WG_Y, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let batch = wid.z;
  let row0 = wid.y * BM;
  let col0 = wid.x * BN;
  let threads = WG_X * WG_Y;
  let t = lid.y * WG_X + lid.x;

  var acc: array<array<f32, TN>, TM>;
  var a: array<f32, TM>;
  var b: array<f32, TN>;

  for (var k0 = 0u; k0 < p.K; k0 += BK) {
    // Stage the tiles; the element order follows the storage order so that loads coalesce.
    for (var e = t; e < BM * BK; e += threads) {
      var m: u32; var k: u32;
      if (TRANS_A) { m = e % BM; k = e / BM; } else { k = e % BK; m = e / BK; }
      tileA[k * BM + m] = loadA(batch, row0 + m, k0 + k);
    }
    for (var e = t; e < BK * BN; e += threads) {
      var n: u32; var k: u32;
      if (TRANS_B) { k = e % BK; n = e / BK; } else { n = e % BN; k = e / BN; }
      tileB[k * BN + n] = loadB(batch, k0 + k, col0 + n);
    }
    workgroupBarrier();

    for (var k = 0u; k < BK; k++) {
      for (var i = 0u; i < TM; i++) { a[i] = tileA[k * BM + lid.y + i * WG_Y]; }
      for (var j = 0u; j < TN; j++) { b[j] = tileB[k * BN + lid.x + j * WG_X]; }
      for (var i = 0u; i < TM; i++) {
        for (var j = 0u; j < TN; j++) { acc[i][j] = fma(a[i], b[j], acc[i][j]); }
      }
    }
    workgroupBarrier();
  }

  for (var i = 0u; i < TM; i++) {
    let row = row0 + lid.y + i * WG_Y;
    if (row >= p.M) { continue; }
    for (var j = 0u; j < TN; j++) {
      let col = col0 + lid.x + j * WG_X;
      if (col >= p.N) { continue; }
      let index = batch * p.strideC + row * p.N + col;
      var value = p.alpha * acc[i][j];
      if (ACCUMULATE) { value += C[index]; }
      C[index] = value;
    }
  }
}
