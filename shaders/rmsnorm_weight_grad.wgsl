// RMSNorm backward with respect to the weight, accumulated (the norm weight is frozen under LoRA, so this runs
// only when a caller trains it):
//
//   dw[j] += Σ_r dy[r, j] · x[r, j] · rstd[r]
//
// One thread per column j, looping over rows, so neighbouring threads read neighbouring addresses.
// Layout: x, dy [rows, n] f32; rstd [rows] f32; dw [n] f32.
// Dispatch: ceil(n / WG) workgroups of WG threads, spread over x and y.

struct Params {
  rows: u32,
  n: u32,
  _pad0: u32,
  _pad1: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read> rstd: array<f32>;
@group(0) @binding(4) var<storage, read_write> dw: array<f32>;

override WG: u32 = 256u;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let j = (wid.y * groups.x + wid.x) * WG + lid;
  if (j >= p.n) { return; }
  var sum = 0.0;
  for (var r = 0u; r < p.rows; r++) {
    sum = fma(f32(dy[r * p.n + j]) * f32(x[r * p.n + j]), rstd[r], sum);
  }
  dw[j] += sum;
}
