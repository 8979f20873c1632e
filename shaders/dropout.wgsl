// Inverted dropout with a mask drawn from a counter hash, so the mask is a pure function of (key, element) and
// never stored: the backward pass, or a recompute, regenerates the same mask from the same key.
//
//   keep(i) = hash(i, key) ≥ threshold,   threshold = ⌊p · 2³²⌋ (P(keep) = 1 − p up to 2⁻³²)
//   out[i]  = (ACCUMULATE ? out[i] : 0) + (keep(i) ? scale · x[i] : 0),   scale = 1 / (1 − p)
//
// Forward: ACCUMULATE = 0, out = dropout(x). Backward: the same mask on the gradient, ACCUMULATE = 1, added onto
// the input's gradient (dL/dx += mask · scale · dL/d dropout(x)).
// hash(i, key) = pcg(pcg(i ^ key0) + key1) with pcg the PCG RXS-M-XS output permutation of an LCG step (Jarzynski &
// Olano, "Hash Functions for GPU Rendering", 2020); both rounds are bijections of u32, so distinct elements never
// share a draw under one key. src/kernels/reference/dropout.ts computes the identical integers.
//
// Layout: x and out are flat arrays of n f32 (element i = token · features + feature).
// Dispatch: ceil(n / WG) workgroups of WG threads, spread over x and y (src/kernels/flatGrid.ts).

struct Params {
  n: u32,
  key0: u32,
  key1: u32,
  threshold: u32,
  scale: f32,
  _pad0: u32,
  _pad1: u32,
  _pad2: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

override WG: u32 = 256u;
override ACCUMULATE: u32 = 0u;

fn pcg(v: u32) -> u32 {
  let state = v * 747796405u + 2891336453u;
  let word = ((state >> ((state >> 28u) + 4u)) ^ state) * 277803737u;
  return (word >> 22u) ^ word;
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = (wid.y * groups.x + wid.x) * WG + lid;
  if (i >= p.n) { return; }
  let bits = pcg(pcg(i ^ p.key0) + p.key1);
  var value = select(0.0, p.scale * x[i], bits >= p.threshold);
  if (ACCUMULATE != 0u) { value += out[i]; }
  out[i] = value;
}
