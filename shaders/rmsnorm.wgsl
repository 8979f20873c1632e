// RMSNorm forward, one row (token) per workgroup:
//
//   rstd[r] = 1 / sqrt(mean_j(x[r, j]²) + eps)
//   y[r, j] = x[r, j] · rstd[r] · w[j]
//
// Layout: x, y are [rows, n] f32; w is [n] f32 (GGUF stores norm weights as F32); rstd is [rows] f32, saved for
// the backward pass. Sums in f32.
// Dispatch: `rows` workgroups of WG threads, spread over x and y (src/kernels/flatGrid.ts with one row per group).
// WG ≤ 64, chosen by the wrapper from the row length and the adapter (src/kernels/rmsnorm.ts): the partial sums
// meet after one barrier, every thread adding all WG of them itself, where a tree would cost log2(WG) barriers.

struct Params {
  rows: u32,
  n: u32,
  eps: f32,
  _pad: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(4) var<storage, read_write> rstd: array<f32>;

override WG: u32 = 64u;

var<workgroup> partial: array<f32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let row = wid.y * groups.x + wid.x;
  // Uniform per workgroup, so returning here keeps every barrier below in uniform control flow.
  if (row >= p.rows) { return; }
  let base = row * p.n;

  var sum = 0.0;
  for (var j = lid; j < p.n; j += WG) {
    let v = f32(x[base + j]);
    sum = fma(v, v, sum);
  }
  partial[lid] = sum;
  workgroupBarrier();
  var total = 0.0;
  for (var i = 0u; i < WG; i++) { total += partial[i]; }
  let r = 1.0 / sqrt(total / f32(p.n) + p.eps);

  for (var j = lid; j < p.n; j += WG) {
    y[base + j] = x[base + j] * r * w[j];
  }
  if (lid == 0u) { rstd[row] = r; }
}
