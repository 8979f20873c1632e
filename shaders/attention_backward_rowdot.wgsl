// First step of the attention backward pass: D = rowsum(dO ∘ O) for every query row and head. With P the attention
// probabilities and dP = dO·Vᵀ, rowsum(P ∘ dP) equals rowsum(dO ∘ O) because O = P·V, so the softmax backward
// dS = P ∘ (dP − D) needs no pass over the keys to get D.
//
// Layouts: O [batch, qLen, nHeads, HEAD_DIM] f32; dO the same in f32; D [batch, nHeads, qLen] f32 (like LSE).
// Dispatch: ceil(batch·qLen·nHeads / 64) workgroups of 64 threads, spread over x and y (gpu/grid.ts grid2d);
// one thread per row.

struct Params {
  rows: u32, // batch · qLen · nHeads
  qLen: u32,
  nHeads: u32,
  _pad: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> O: array<f32>;
@group(0) @binding(2) var<storage, read> dO: array<f32>;
@group(0) @binding(3) var<storage, read_write> D: array<f32>;

override HEAD_DIM: u32 = 128u;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let r = (wid.y * groups.x + wid.x) * 64u + lid; // token-major row: (b · qLen + i) · nHeads + h
  if (r >= p.rows) { return; }
  var sum = 0.0;
  for (var d = 0u; d < HEAD_DIM; d++) { sum = fma(f32(O[r * HEAD_DIM + d]), dO[r * HEAD_DIM + d], sum); }
  let h = r % p.nHeads;
  let bi = r / p.nHeads;
  let b = bi / p.qLen;
  let i = bi % p.qLen;
  D[(b * p.nHeads + h) * p.qLen + i] = sum;
}
