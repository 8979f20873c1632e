// RMSNorm backward with respect to the input, one row per workgroup. With y = x · rstd · w:
//
//   dx[r, j] = rstd · (dy[r, j] · w[j] − x[r, j] · rstd² · c),   c = mean_j(dy[r, j] · w[j] · x[r, j])
//
// (ACCUMULATE: dx += that, for the residual stream whose gradient already holds the skip connection's share.)
// Layout: x, dy, dx are [rows, n] f32; w [n] f32; rstd [rows] f32 from the forward pass. Sums in f32.
// Dispatch: `rows` workgroups of WG threads, spread over x and y. WG ≤ 64 as in the forward (shaders/rmsnorm.wgsl):
// one barrier, then every thread adds the WG partial sums itself.

struct Params {
  rows: u32,
  n: u32,
  _pad0: u32,
  _pad1: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read> dy: array<f32>;
@group(0) @binding(4) var<storage, read> rstd: array<f32>;
@group(0) @binding(5) var<storage, read_write> dx: array<f32>;

override WG: u32 = 64u;
override ACCUMULATE: bool = false;

var<workgroup> partial: array<f32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let row = wid.y * groups.x + wid.x;
  if (row >= p.rows) { return; }
  let base = row * p.n;

  var sum = 0.0;
  for (var j = lid; j < p.n; j += WG) {
    sum = fma(f32(dy[base + j]) * w[j], f32(x[base + j]), sum);
  }
  partial[lid] = sum;
  workgroupBarrier();
  var total = 0.0;
  for (var i = 0u; i < WG; i++) { total += partial[i]; }
  let r = rstd[row];
  let k = r * r * total / f32(p.n);

  for (var j = lid; j < p.n; j += WG) {
    var g = r * (f32(dy[base + j]) * w[j] - f32(x[base + j]) * k);
    if (ACCUMULATE) { g += f32(dx[base + j]); }
    dx[base + j] = f32(g);
  }
}
