// Streaming-read roof: every thread sums a grid-strided share of a large array and writes its sum, so the kernel does
// nothing but read memory once (the device report's GB/s roof, src/kernels/roofline.ts):
//   S[i] = Σ_j X[i + j·stride],   stride = threads in the grid, for every i < stride
//
// Layout: X [n4] vec4<f32>; S [threads] f32 (thread i at i). n4 + 3·stride must fit in u32.
// Dispatch: `groups` workgroups of WG threads along x; stride = groups·WG.

struct Params {
  n4: u32,
  stride: u32,
  _pad0: u32,
  _pad1: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> X: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> S: array<f32>;

override WG: u32 = 256u;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  let s = p.stride;
  // Four independent sums, so consecutive loads do not wait on one chain of adds; then the ragged tail.
  var a0 = vec4<f32>(0.0);
  var a1 = vec4<f32>(0.0);
  var a2 = vec4<f32>(0.0);
  var a3 = vec4<f32>(0.0);
  var j = i;
  for (; j + 3u * s < p.n4; j += 4u * s) {
    a0 += X[j];
    a1 += X[j + s];
    a2 += X[j + 2u * s];
    a3 += X[j + 3u * s];
  }
  for (; j < p.n4; j += s) { a0 += X[j]; }
  let acc = (a0 + a1) + (a2 + a3);
  S[i] = (acc.x + acc.y) + (acc.z + acc.w);
}
