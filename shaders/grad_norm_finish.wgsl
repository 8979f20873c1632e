// Global gradient L2 norm, stage 2 of 2: sums the partial sums of squares (grad_norm.wgsl) and derives the clipping
// factor on the GPU, so the optimizer can read it without a round trip to the CPU:
//
//   out[0] = norm = sqrt(Σ partials)
//   out[1] = clip = min(1, maxNorm / (norm + 1e-6))     (PyTorch clip_grad_norm_; maxNorm ≤ 0 disables: clip = 1)
//
// Layout: partials [count] f32; out [2] f32.
// Dispatch: one workgroup of WG threads.

struct Params {
  count: u32,
  maxNorm: f32,
  _pad0: u32,
  _pad1: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> partials: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

override WG: u32 = 256u;

var<workgroup> sums: array<f32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) lid: u32) {
  var s = 0.0;
  for (var i = lid; i < p.count; i += WG) { s += partials[i]; }
  sums[lid] = s;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride /= 2u) {
    if (lid < stride) { sums[lid] += sums[lid + stride]; }
    workgroupBarrier();
  }
  if (lid == 0u) {
    let norm = sqrt(sums[0]);
    out[0] = norm;
    out[1] = select(1.0, min(1.0, p.maxNorm / (norm + 1e-6)), p.maxNorm > 0.0);
  }
}
