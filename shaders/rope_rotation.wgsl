// RoPE's rotation of one pair by θ = f32(position)·invFreq[i], the one piece of code shaders/rope.wgsl and the
// fused q, k, v epilogue of shaders/qmatvec.wgsl share, so both give the same bits. Included (`//! include
// rope_rotation`), not a kernel.
//
// sin and cos to about one f32 ulp, independent of the GPU: WGSL only promises 2^-11 absolute for the built-ins
// (SwiftShader's are off by ~5e-5 at θ = 1), and rotary angles reach thousands of radians late in a sequence.
// θ is reduced by k·π/2 with π/2 split into three parts (PIO2_1 and PIO2_2 have 8 significant bits, so k·PIO2_1 and
// k·PIO2_2 are exact for k < 2^16, i.e. θ < 1e5), then minimax polynomials on [−π/4, π/4] (Cephes sinf/cosf
// coefficients) give sin and cos of the remainder, swapped and negated by the quadrant k mod 4.
const TWO_OVER_PI = 0.6366197466850281;
const PIO2_1 = 1.5703125;
const PIO2_2 = 0.000484466552734375;
const PIO2_3 = -6.397578431460715e-7;

fn sinCos(theta: f32) -> vec2<f32> {
  let k = round(theta * TWO_OVER_PI);
  let r = ((theta - k * PIO2_1) - k * PIO2_2) - k * PIO2_3;
  let z = r * r;
  let s = r + r * z * ((-1.9515295891e-4 * z + 8.3321608736e-3) * z - 1.6666654611e-1);
  let c = 1.0 - 0.5 * z + z * z * ((2.443315711809948e-5 * z - 1.388731625493765e-3) * z + 4.166664568298827e-2);
  switch (i32(k) & 3) {
    case 0: { return vec2<f32>(s, c); }
    case 1: { return vec2<f32>(c, -s); }
    case 2: { return vec2<f32>(-s, -c); }
    default: { return vec2<f32>(-c, s); }
  }
}

// (a, b) rotated by the angle whose sine and cosine are s and c: (a·c − b·s, a·s + b·c).
fn rotatePair(a: f32, b: f32, s: f32, c: f32) -> vec2<f32> {
  return vec2<f32>(a * c - b * s, a * s + b * c);
}
