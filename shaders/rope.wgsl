// Rotary position embedding, in place, forward or backward (llama.cpp's conventions):
//
//   for each token t, head h and pair i < nRot/2:  θ = f32(pos[t]) · invFreq[i]
//     normal (Llama, Mistral): rotates (x[2i], x[2i+1])        neox (Qwen2): rotates (x[i], x[i + nRot/2])
//     (a, b) ← (a·cos θ − b·sin θ,  a·sin θ + b·cos θ)         dims ≥ nRot pass through unchanged
//   invFreq[i] = freqScale · freqBase^(−2i/nRot) comes from a table built on the CPU (src/kernels/rope.ts), so the
//   angle is one correctly rounded f32 product. The backward pass rotates by −θ (direction = −1): a rotation's
//   transpose is its inverse.
//
// Layout: x is [tokens, nHeads, headDim] f32 (Q or K); pos is [tokens] u32 (packed sequences restart at 0);
// invFreq is [nRot/2] f32.
// Dispatch: one thread per (token, head, pair): ceil(tokens·nHeads·nRot/2 / WG) workgroups, spread over x and y.

struct Params {
  tokens: u32,
  nHeads: u32,
  headDim: u32,
  nRot: u32,
  direction: f32,
  _pad0: u32,
  _pad1: u32,
  _pad2: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> x: array<f32>;
@group(0) @binding(2) var<storage, read> pos: array<u32>;
@group(0) @binding(3) var<storage, read> invFreq: array<f32>;

override WG: u32 = 256u;
override NEOX: bool = false;

//! include rope_rotation

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let item = (wid.y * groups.x + wid.x) * WG + lid;
  let half = p.nRot / 2u;
  if (item >= p.tokens * p.nHeads * half) { return; }
  let i = item % half;
  let head = item / half; // token · nHeads + h
  let token = head / p.nHeads;

  let base = head * p.headDim;
  var ia: u32;
  var ib: u32;
  if (NEOX) { ia = base + i; ib = base + i + half; } else { ia = base + 2u * i; ib = ia + 1u; }

  let sc = sinCos(f32(pos[token]) * invFreq[i]);
  let s = p.direction * sc.x;
  let c = sc.y;
  let rotated = rotatePair(x[ia], x[ib], s, c);
  x[ia] = rotated.x;
  x[ib] = rotated.y;
}
