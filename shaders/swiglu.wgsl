// SwiGLU, the gate of Llama's feed-forward block, elementwise over n = tokens·ffn activations:
//
//   out = silu(gate) · up,   silu(g) = g · σ(g),   σ(g) = 1 / (1 + e^(−g))
//
// Layout: gate, up and out are flat [tokens, ffn] arrays of act_t; arithmetic in f32.
// Dispatch: ceil(n / WG) workgroups of WG threads, spread over x and y (src/kernels/flatGrid.ts).

struct Params {
  n: u32,
  _pad0: u32,
  _pad1: u32,
  _pad2: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> gate: array<act_t>;
@group(0) @binding(2) var<storage, read> up: array<act_t>;
@group(0) @binding(3) var<storage, read_write> out: array<act_t>;

override WG: u32 = 256u;

//! include swiglu_value

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = (wid.y * groups.x + wid.x) * WG + lid;
  if (i >= p.n) { return; }
  out[i] = swiglu(f32(gate[i]), f32(up[i]));
}
