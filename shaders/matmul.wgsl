// f32 matrix multiply:  C = alpha · op(A) · op(B)  (+ C when ACCUMULATE), for `batch` independent problems.
//
//   op(A) is M×K: A stored row-major as [M, K], or as [K, M] when TRANS_A.
//   op(B) is K×N: B stored row-major as [K, N], or as [N, K] when TRANS_B.
//   C is row-major [M, N]. Batch b reads A + b·strideA, B + b·strideB and writes C + b·strideC (in elements).
//
// Two schedules of the same product, one per kind of adapter (the wrapper picks):
//
// `main` (GPUs), tiled. Dispatch: (ceil(N / (WG_X·4)), ceil(M / (WG_Y·4)), batch) workgroups of WG_X×WG_Y threads.
// Each workgroup stages a BM×BK tile of op(A) and a BK×BN tile of op(B) in workgroup memory per K step;
// each thread accumulates 4 rows (strided by WG_Y) × 4 adjacent columns as four vec4 registers. Out-of-range rows,
// columns and K are zero-filled.
//
// `direct` (CPU adapters: SwiftShader, llvmpipe, WARP), no workgroup memory and no barrier. Dispatch:
// (ceil(N / (WG_X·4)), ceil(M / (WG_Y·8)), batch). A CPU adapter runs a shader that has barriers as coroutines,
// one per SIMD group, switched at every barrier, and its caches already do what a workgroup tile does on a GPU: so
// each thread reads its operands straight from storage and accumulates 8 adjacent rows × 4 adjacent columns. Rows
// and columns past the edge read the last valid one and are dropped at the store, so the K loop has no bounds test.
//
// Named vec4 registers rather than private arrays in both: simple shader compilers (SwiftShader's Subzero) keep
// them in registers instead of spilling indexed arrays to memory.

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

const TM = 4u; // output rows per thread
const TN = 4u; // output columns per thread (one vec4)
override BM: u32 = WG_Y * TM;
override BN: u32 = WG_X * TN;

var<workgroup> tileA: array<f32, BM * BK>; // [k][m]
var<workgroup> tileB: array<vec4<f32>, BK * WG_X>; // [k][n / 4]

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

  var acc0 = vec4<f32>(0.0);
  var acc1 = vec4<f32>(0.0);
  var acc2 = vec4<f32>(0.0);
  var acc3 = vec4<f32>(0.0);

  for (var k0 = 0u; k0 < p.K; k0 += BK) {
    // Stage the tiles; the element order follows the storage order so that loads coalesce.
    for (var e = t; e < BM * BK; e += threads) {
      var m: u32; var k: u32;
      if (TRANS_A) { m = e % BM; k = e / BM; } else { k = e % BK; m = e / BK; }
      tileA[k * BM + m] = loadA(batch, row0 + m, k0 + k);
    }
    for (var e = t; e < BK * WG_X; e += threads) {
      let k = e / WG_X;
      let n = col0 + (e % WG_X) * 4u;
      tileB[e] = vec4<f32>(loadB(batch, k0 + k, n), loadB(batch, k0 + k, n + 1u),
                           loadB(batch, k0 + k, n + 2u), loadB(batch, k0 + k, n + 3u));
    }
    workgroupBarrier();

    for (var k = 0u; k < BK; k++) {
      let b = tileB[k * WG_X + lid.x];
      let a = k * BM + lid.y;
      acc0 = fma(vec4<f32>(tileA[a]), b, acc0);
      acc1 = fma(vec4<f32>(tileA[a + WG_Y]), b, acc1);
      acc2 = fma(vec4<f32>(tileA[a + 2u * WG_Y]), b, acc2);
      acc3 = fma(vec4<f32>(tileA[a + 3u * WG_Y]), b, acc3);
    }
    workgroupBarrier();
  }

  let col = col0 + lid.x * TN;
  store(batch, row0 + lid.y, col, acc0);
  store(batch, row0 + lid.y + WG_Y, col, acc1);
  store(batch, row0 + lid.y + 2u * WG_Y, col, acc2);
  store(batch, row0 + lid.y + 3u * WG_Y, col, acc3);
}

fn store(batch: u32, row: u32, col: u32, value: vec4<f32>) {
  if (row >= p.M) { return; }
  for (var j = 0u; j < TN; j++) {
    if (col + j >= p.N) { return; }
    let index = batch * p.strideC + row * p.N + col + j;
    var v = p.alpha * value[j];
    if (ACCUMULATE) { v += C[index]; }
    C[index] = v;
  }
}

@compute @workgroup_size(WG_X, WG_Y, 1)
fn direct(@builtin(global_invocation_id) gid: vec3<u32>) {
  let batch = gid.z;
  let col = gid.x * 4u;
  let row = gid.y * 8u;
  if (col >= p.N || row >= p.M) { return; }
  let lastRow = p.M - 1u;
  let lastCol = p.N - 1u;
  // Index of op(A)[r, 0] and op(B)[0, c] for the thread's clamped rows and columns, and the steps along k.
  var aStep = 1u;
  var aRow = p.K;
  if (TRANS_A) { aStep = p.M; aRow = 1u; }
  var bStep = p.N;
  var bCol = 1u;
  if (TRANS_B) { bStep = 1u; bCol = p.K; }
  let a0 = batch * p.strideA;
  var ia0 = a0 + min(row, lastRow) * aRow;
  var ia1 = a0 + min(row + 1u, lastRow) * aRow;
  var ia2 = a0 + min(row + 2u, lastRow) * aRow;
  var ia3 = a0 + min(row + 3u, lastRow) * aRow;
  var ia4 = a0 + min(row + 4u, lastRow) * aRow;
  var ia5 = a0 + min(row + 5u, lastRow) * aRow;
  var ia6 = a0 + min(row + 6u, lastRow) * aRow;
  var ia7 = a0 + min(row + 7u, lastRow) * aRow;
  let b0 = batch * p.strideB;
  var ib0 = b0 + min(col, lastCol) * bCol;
  var ib1 = b0 + min(col + 1u, lastCol) * bCol;
  var ib2 = b0 + min(col + 2u, lastCol) * bCol;
  var ib3 = b0 + min(col + 3u, lastCol) * bCol;

  var acc0 = vec4<f32>(0.0);
  var acc1 = vec4<f32>(0.0);
  var acc2 = vec4<f32>(0.0);
  var acc3 = vec4<f32>(0.0);
  var acc4 = vec4<f32>(0.0);
  var acc5 = vec4<f32>(0.0);
  var acc6 = vec4<f32>(0.0);
  var acc7 = vec4<f32>(0.0);
  for (var k = 0u; k < p.K; k++) {
    let b = vec4<f32>(B[ib0], B[ib1], B[ib2], B[ib3]);
    acc0 = fma(vec4<f32>(A[ia0]), b, acc0);
    acc1 = fma(vec4<f32>(A[ia1]), b, acc1);
    acc2 = fma(vec4<f32>(A[ia2]), b, acc2);
    acc3 = fma(vec4<f32>(A[ia3]), b, acc3);
    acc4 = fma(vec4<f32>(A[ia4]), b, acc4);
    acc5 = fma(vec4<f32>(A[ia5]), b, acc5);
    acc6 = fma(vec4<f32>(A[ia6]), b, acc6);
    acc7 = fma(vec4<f32>(A[ia7]), b, acc7);
    ia0 += aStep; ia1 += aStep; ia2 += aStep; ia3 += aStep;
    ia4 += aStep; ia5 += aStep; ia6 += aStep; ia7 += aStep;
    ib0 += bStep; ib1 += bStep; ib2 += bStep; ib3 += bStep;
  }

  store(batch, row, col, acc0);
  store(batch, row + 1u, col, acc1);
  store(batch, row + 2u, col, acc2);
  store(batch, row + 3u, col, acc3);
  store(batch, row + 4u, col, acc4);
  store(batch, row + 5u, col, acc5);
  store(batch, row + 6u, col, acc6);
  store(batch, row + 7u, col, acc7);
}
