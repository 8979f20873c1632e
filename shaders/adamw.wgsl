// AdamW (decoupled weight decay, bias-corrected; PyTorch's torch.optim.AdamW), one thread per parameter:
//
//   g = grad · clip                                   (clip = clipFactor[1] from grad_norm_finish.wgsl, or 1)
//   p ← p · (1 − lr·weightDecay)
//   m ← β1·m + (1 − β1)·g
//   v ← β2·v + (1 − β2)·g²
//   p ← p − (lr / bc1) · m / (sqrt(v) / sqrt(bc2) + eps),    bc1 = 1 − β1^step, bc2 = 1 − β2^step
//
// lr, the bias corrections and the rest are uniforms, so a schedule changes them every step without recompiling.
// Entry points: `step` (no clipping) and `step_clipped` (reads the clip factor the GPU computed from the norm).
// Layout: param, grad, m, v [n] f32; clipFactor [2] f32 (norm, factor).
// Dispatch: ceil(n / WG) workgroups of WG threads, spread over x and y.

struct Params {
  n: u32,
  lr: f32,
  beta1: f32,
  beta2: f32,
  eps: f32,
  weightDecay: f32,
  bc1: f32,
  sqrtBc2: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> param: array<f32>;
@group(0) @binding(2) var<storage, read> grad: array<f32>;
@group(0) @binding(3) var<storage, read_write> m: array<f32>;
@group(0) @binding(4) var<storage, read_write> v: array<f32>;
@group(0) @binding(5) var<storage, read> clipFactor: array<f32>;

override WG: u32 = 256u;

fn update(i: u32, clip: f32) {
  let g = grad[i] * clip;
  let mi = p.beta1 * m[i] + (1.0 - p.beta1) * g;
  let vi = p.beta2 * v[i] + (1.0 - p.beta2) * g * g;
  m[i] = mi;
  v[i] = vi;
  let decayed = param[i] * (1.0 - p.lr * p.weightDecay);
  param[i] = decayed - (p.lr / p.bc1) * mi / (sqrt(vi) / p.sqrtBc2 + p.eps);
}

@compute @workgroup_size(WG)
fn step(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = (wid.y * groups.x + wid.x) * WG + lid;
  if (i >= p.n) { return; }
  update(i, 1.0);
}

@compute @workgroup_size(WG)
fn step_clipped(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = (wid.y * groups.x + wid.x) * WG + lid;
  if (i >= p.n) { return; }
  update(i, clipFactor[1]);
}
