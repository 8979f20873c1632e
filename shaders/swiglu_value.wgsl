// silu(g)·u = g·σ(g)·u, σ(g) = 1 / (1 + e^(−g)), in f32: the one expression shaders/swiglu.wgsl and
// the SwiGLU epilogue of shaders/qmatvec.wgsl share, so the fused and the separate path give the same bits.
// Included (`//! include swiglu_value`), not a kernel.

fn swiglu(g: f32, u: f32) -> f32 {
  // e^(−g) overflows to +inf for g < −88, and 1 / (1 + inf) = 0 is the right limit.
  let sigmoid = 1.0 / (1.0 + exp(-g));
  return f32(g * sigmoid * u);
}
