// Residual stream bookkeeping, elementwise over n f32 activations:
//
//   axpby:    y = alpha·x + beta·y     (residual add: alpha = beta = 1; y = a·x: READ_Y = false, so a NaN or
//                                       uninitialised y never leaks through a zero beta)
//   scale:    y = alpha·y              (in place; x is not bound)
//
// Layout: y and x are flat arrays of n elements. y is binding 1 in both entry points so that `scale`, which binds
// only y, keeps the recorder's consecutive-binding convention.
// Dispatch: ceil(n / WG) workgroups of WG threads, spread over x and y (src/kernels/flatGrid.ts).

struct Params {
  n: u32,
  alpha: f32,
  beta: f32,
  _pad: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;

override WG: u32 = 256u;
override READ_Y: bool = true;

@compute @workgroup_size(WG)
fn axpby(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = (wid.y * groups.x + wid.x) * WG + lid;
  if (i >= p.n) { return; }
  var value = p.alpha * f32(x[i]);
  if (READ_Y) { value += p.beta * f32(y[i]); }
  y[i] = f32(value);
}

@compute @workgroup_size(WG)
fn scale(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = (wid.y * groups.x + wid.x) * WG + lid;
  if (i >= p.n) { return; }
  y[i] = f32(p.alpha * f32(y[i]));
}
