// Global gradient L2 norm, stage 1 of 2: partial sums of squares of one gradient buffer.
//
//   partials[offset + g] = Σ grad[i]²  over i ≡ g·WG + lid (mod groups·WG), for workgroup g of `groups`
//
// Each gradient buffer gets its own dispatch and its own run of `groups` slots in `partials`, so one finishing pass
// (grad_norm_finish.wgsl) sums any number of buffers of any lengths in a fixed order: no atomics, the same result
// every run.
// Layout: grad [n] f32; partials [total slots] f32.
// Dispatch: `groups` workgroups (at most 65535) of WG threads, each striding over the buffer.

struct Params {
  n: u32,
  offset: u32,
  _pad0: u32,
  _pad1: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> grad: array<f32>;
@group(0) @binding(2) var<storage, read_write> partials: array<f32>;

override WG: u32 = 256u;

var<workgroup> sums: array<f32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  var s = 0.0;
  for (var i = wid.x * WG + lid; i < p.n; i += groups.x * WG) {
    let g = grad[i];
    s = fma(g, g, s);
  }
  sums[lid] = s;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride /= 2u) {
    if (lid < stride) { sums[lid] += sums[lid + stride]; }
    workgroupBarrier();
  }
  if (lid == 0u) { partials[p.offset + wid.x] = sums[0]; }
}
