// SwiGLU, the gate of Llama's feed-forward block, elementwise over n = tokens·ffn activations:
//
//   out = silu(gate) · up,   silu(g) = g · σ(g),   σ(g) = 1 / (1 + e^(−g))
//
// Layout: out is a flat [tokens, ffn] array of f32; gate and up are stored tensors of the same shape
// (shaders/stored_values.wgsl: f16 pairs with GATE_UP_F16, as training keeps them for the backward pass; else f32).
// Dispatch: ceil(n / WG) workgroups of WG threads, spread over x and y (src/kernels/flatGrid.ts).

struct Params {
  n: u32,
  _pad0: u32,
  _pad1: u32,
  _pad2: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> gate: array<u32>;
@group(0) @binding(2) var<storage, read> up: array<u32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

override WG: u32 = 256u;
override GATE_UP_F16: bool = false;

//! include swiglu_value
//! include stored_values

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = (wid.y * groups.x + wid.x) * WG + lid;
  if (i >= p.n) { return; }
  out[i] = swiglu(loadStored(&gate, i, GATE_UP_F16), loadStored(&up, i, GATE_UP_F16));
}
