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
  let a = f32(x[ia]);
  let b = f32(x[ib]);
  x[ia] = f32(a * c - b * s);
  x[ib] = f32(a * s + b * c);
}
