// Backward of SwiGLU (out = silu(gate) · up), elementwise over n activations:
//
//   dup   = dout · silu(g)
//   dgate = dout · up · σ(g) · (1 + g · (1 − σ(g)))      (d silu / dg)
//
// Layout: dout, gate, up, dgate, dup are flat [tokens, ffn] arrays of act_t; arithmetic in f32.
// Dispatch: ceil(n / WG) workgroups of WG threads, spread over x and y (src/kernels/flatGrid.ts).

struct Params {
  n: u32,
  _pad0: u32,
  _pad1: u32,
  _pad2: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> dout: array<act_t>;
@group(0) @binding(2) var<storage, read> gate: array<act_t>;
@group(0) @binding(3) var<storage, read> up: array<act_t>;
@group(0) @binding(4) var<storage, read_write> dgate: array<act_t>;
@group(0) @binding(5) var<storage, read_write> dup: array<act_t>;

override WG: u32 = 256u;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = (wid.y * groups.x + wid.x) * WG + lid;
  if (i >= p.n) { return; }
  let g = f32(gate[i]);
  let d = f32(dout[i]);
  let sigmoid = 1.0 / (1.0 + exp(-g));
  dup[i] = act_t(d * g * sigmoid);
  dgate[i] = act_t(d * f32(up[i]) * sigmoid * (1.0 + g * (1.0 - sigmoid)));
}
