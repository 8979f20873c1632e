// Activation rows as 8-bit integers per 32-value block, the operand of the integer dot products in
// shaders/qmatvec.wgsl (DOT_I8_*), as llama.cpp quantises its activations to Q8 before a quantized dot product:
//   d_b = max_i |x_i| / 127,   q_i = round(x_i · (127 / max_i |x_i|))  (ties to even; all 0 where max |x_i| = 0)
// over block b = values 32b .. 32b + 31 of a row, so |q_i| ≤ 127 and x_i ≈ d_b·q_i. With NORM, x is X·NW (the RMSNorm
// weight; the matvec kernel applies the row's rstd to the finished sum).
//
// XQ holds, per activation row m, ROW_WORDS = 7·K/8 words from m·ROW_WORDS, in five sections:
//   pairs  [K/2]   for values j .. j + 3 (j % 4 == 0): word j/2 = q_{j+2} + q_j·2^16 and word j/2 + 1 =
//                  q_{j+3} + q_{j+1}·2^16, as u32 (mod 2^32): multiplied by a word holding two small unsigned weights
//                  in its 16-bit halves, the high half receives their two-term dot product (shaders/qmatvec.wgsl);
//   packed [K/4]   word j/4 = q_j .. q_{j+3} as signed bytes, low byte first (dot4I8Packed's operand);
//   scales [K/32]  d_b as f32 bits;
//   sums   [K/16]  Σ q_i over values 16s .. 16s + 15, as i32 (block offsets: Σ x·(q − c) = Σ x·q − c·Σ x);
//   squares [K/32] Σ X_i² over block b of the row as given (before NW), as f32 bits: the matvec's RMSNorm prologue
//                  sums these K/32 instead of reading the whole f32 row again for every group of output columns.
//
// Dispatch: one thread per (row, block), M·K/32 items of WG per workgroup spread over x and y
// (src/kernels/flatGrid.ts).
// Requires K % 32 == 0.

struct Params {
  M: u32,
  K: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> X: array<vec4<f32>>; // [M, K]
@group(0) @binding(2) var<storage, read> NW: array<vec4<f32>>; // [K], read only with NORM
@group(0) @binding(3) var<storage, read_write> XQ: array<u32>;

override NORM: bool = false;
override WG: u32 = 64u;

//! include quantized_rows
//! include quantize_block

fn xAt(m: u32, j: u32) -> vec4<f32> {
  let x = X[m * (p.K / 4u) + j];
  if (NORM) { return x * NW[j]; }
  return x;
}

@compute @workgroup_size(WG, 1, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let blocks = p.K / 32u;
  let id = (wid.y * groups.x + wid.x) * WG + lid;
  if (id >= p.M * blocks) { return; }
  let m = id / blocks;
  let b = id % blocks;
  var raw: array<vec4<f32>, 8>;
  var scaled: array<vec4<f32>, 8>;
  for (var i = 0u; i < 8u; i++) {
    raw[i] = X[m * (p.K / 4u) + 8u * b + i];
    scaled[i] = xAt(m, 8u * b + i);
  }
  storeQuantizedBlock(&XQ, p.K, m, b, raw, scaled);
}
