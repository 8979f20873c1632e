// Bias add, broadcast over rows:  y[r, c] += b[c]  for r < rows, c < n  (Qwen2's q, k, v projection biases).
//
// Layout: y is [rows, n] row-major f32; b is [n] f32.
// Dispatch: ceil(rows·n / WG) workgroups of WG threads, spread over x and y (src/kernels/flatGrid.ts).

struct Params {
  rows: u32,
  n: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;

override WG: u32 = 256u;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = (wid.y * groups.x + wid.x) * WG + lid;
  if (i >= p.rows * p.n) { return; }
  y[i] = y[i] + b[i % p.n];
}
