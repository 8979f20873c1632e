// Backward of SwiGLU (out = silu(gate) · up), elementwise over n activations, dup written over dout:
//
//   dup   = dout · silu(g)
//   dgate = dout · up · σ(g) · (1 + g · (1 − σ(g)))      (d silu / dg)
//
// Layout: doutDup, dgate are flat [tokens, ffn] arrays of f32 (doutDup: dout on entry, dup on exit, each thread
// reading its element before writing it, so training needs no separate dup buffer); gate and up are stored tensors
// of the same shape (shaders/stored_values.wgsl: f16 pairs with GATE_UP_F16, else f32), as training keeps them.
// Dispatch: ceil(n / WG) workgroups of WG threads, spread over x and y (src/kernels/flatGrid.ts).

struct Params {
  n: u32,
  _pad0: u32,
  _pad1: u32,
  _pad2: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> doutDup: array<f32>;
@group(0) @binding(2) var<storage, read> gate: array<u32>;
@group(0) @binding(3) var<storage, read> up: array<u32>;
@group(0) @binding(4) var<storage, read_write> dgate: array<f32>;

override WG: u32 = 256u;
override GATE_UP_F16: bool = false;

//! include stored_values

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = (wid.y * groups.x + wid.x) * WG + lid;
  if (i >= p.n) { return; }
  let g = loadStored(&gate, i, GATE_UP_F16);
  let d = doutDup[i];
  let sigmoid = 1.0 / (1.0 + exp(-g));
  doutDup[i] = d * g * sigmoid;
  dgate[i] = d * loadStored(&up, i, GATE_UP_F16) * sigmoid * (1.0 + g * (1.0 - sigmoid));
}
