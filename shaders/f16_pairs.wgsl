// Conversion between f32 activations and a stored tensor in f16 pairs (shaders/stored_values.wgsl), elementwise
// over n values:
//
//   pack:    words[i] = pack2x16float(x[2i], x[2i + 1])   (x[n] read as 0 when n is odd)
//   unpack:  x[e] = value e of words                       (e < n)
//
// Layout: x is [n] f32; words is [ceil(n / 2)] u32. Each entry point binds its input at 1 and its output at 2.
// Dispatch: ceil(ceil(n / 2) / WG) workgroups of WG threads, spread over x and y (src/kernels/flatGrid.ts), thread i
// owning pair i (values 2i and 2i + 1), so every word has one writer.

struct Params {
  n: u32,
  _pad0: u32,
  _pad1: u32,
  _pad2: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> words: array<u32>;
@group(0) @binding(1) var<storage, read> wordsIn: array<u32>;
@group(0) @binding(2) var<storage, read_write> xOut: array<f32>;

override WG: u32 = 256u;

//! include stored_values

fn pairIndex(wid: vec3<u32>, groups: vec3<u32>, lid: u32) -> u32 {
  return (wid.y * groups.x + wid.x) * WG + lid;
}

@compute @workgroup_size(WG)
fn pack(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let e = 2u * pairIndex(wid, groups, lid);
  if (e >= p.n) { return; }
  let second = select(0.0, x[min(e + 1u, p.n - 1u)], e + 1u < p.n);
  storeStoredPair(&words, e, vec2<f32>(x[e], second), true);
}

@compute @workgroup_size(WG)
fn unpack(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let e = 2u * pairIndex(wid, groups, lid);
  if (e >= p.n) { return; }
  xOut[e] = loadStored(&wordsIn, e, true);
  if (e + 1u < p.n) { xOut[e + 1u] = loadStored(&wordsIn, e + 1u, true); }
}
