// f32 FMA roof: every thread runs ITERATIONS steps of four independent vec4 chains a ← fma(a, m, c) in registers
// (16 FMAs a step, no memory traffic) and writes their sum, so the kernel does nothing but arithmetic (the device
// report's GFLOP/s roof, src/kernels/roofline.ts; 2 flops per FMA):
//   a_k ← a_k·m + c  ITERATIONS times from a_k = start + k, then O[i] = Σ_k (a_k.x + a_k.y + a_k.z + a_k.w)
// With |m| < 1 the chains converge to c / (1 − m), so no value overflows whatever ITERATIONS is.
//
// Layout: O [threads] f32. Dispatch: `groups` workgroups of WG threads along x.

struct Params {
  iterations: u32,
  m: f32,
  c: f32,
  start: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> O: array<f32>;

override WG: u32 = 256u;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let m = vec4<f32>(p.m);
  let c = vec4<f32>(p.c);
  var a0 = vec4<f32>(p.start);
  var a1 = vec4<f32>(p.start + 1.0);
  var a2 = vec4<f32>(p.start + 2.0);
  var a3 = vec4<f32>(p.start + 3.0);
  for (var i = 0u; i < p.iterations; i++) {
    a0 = fma(a0, m, c);
    a1 = fma(a1, m, c);
    a2 = fma(a2, m, c);
    a3 = fma(a3, m, c);
  }
  let s = (a0 + a1) + (a2 + a3);
  O[gid.x] = (s.x + s.y) + (s.z + s.w);
}
