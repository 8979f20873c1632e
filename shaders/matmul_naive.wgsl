// Naive f32 matrix multiply, one output per thread: C[M, N] = A[M, K] · B[K, N], all row-major.
// The baseline the tiled kernel (matmul.wgsl) is benchmarked against: every operand is read straight from
// storage, K times per output. Dispatch: (ceil(N / 16), ceil(M / 16), 1) workgroups of 16×16 threads.

struct Params {
  M: u32,
  N: u32,
  K: u32,
  _pad: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> A: array<f32>;
@group(0) @binding(2) var<storage, read> B: array<f32>;
@group(0) @binding(3) var<storage, read_write> C: array<f32>;

@compute @workgroup_size(16, 16, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let row = gid.y;
  let col = gid.x;
  if (row >= p.M || col >= p.N) { return; }
  var sum = 0.0;
  for (var k = 0u; k < p.K; k++) {
    sum = fma(A[row * p.K + k], B[k * p.N + col], sum);
  }
  C[row * p.N + col] = sum;
}
