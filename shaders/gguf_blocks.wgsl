// GGUF block decoding, shared by every kernel that reads quantized weights (qmatvec, qmatmul,
// qmatmul_backward, embedding). Not a kernel: kernels pull it in with a line `//! include gguf_blocks`
// (src/gpu/shaderLibrary.ts), and must declare the weight binding `W: array<u32>` that it reads.
//
// FORMAT is the ggml type id, one of the constants below (src/formats/ggmlTypes.ts; tests/kernels/formatIds.test.ts
// holds them equal). Each block layout is documented in src/formats/quant/; in short (bytes, little-endian):
//   F32  (0):  4 per value.          F16 (1): 2 per value (IEEE half).
//   Q4_0 (2):  32 values in 18: d:f16, qs[16]; value j = ((qs[j%16] >> 4·(j/16)) & 15) − 8) · d.
//   Q8_0 (8):  32 values in 34: d:f16, qs[32]:i8; value j = qs[j] · d.
//   Q4_K (12): 256 values in 144: d:f16, dmin:f16, scales[12] (eight 6-bit scale/min pairs), qs[128]; value i of
//              64-chunk c, position r: sub-block s = 2c + r/32, q = nibble (r/32) of qs[32c + r%32],
//              value = (d·sc_s)·q − dmin·m_s.
//   Q6_K (14): 256 values in 210: ql[128], qh[64], scales[16]:i8, d:f16; value i of half h (128 each), quarter
//              qq, position l: q = (nibble (qq/2) of ql[64h + 32(qq%2) + l]) | (bits 2qq.. of qh[32h + l]) << 4,
//              value = (d·scales[8h + l/16 + 2qq])·(q − 32).
// Every product of a scale and a small integer is exact in f32 (at most one rounding, as in ggml's f32 code), so
// these decoders are bit-exact against the reference decoder. Values are handled as vec4 (registers, not arrays).
const F32 = 0u;
const F16 = 1u;
const Q4_0 = 2u;
const Q8_0 = 8u;
const Q4_K = 12u;
const Q6_K = 14u;
override FORMAT: u32 = Q4_0;

// Block sizes of Q4_0 (18 B), Q8_0 (34 B) and Q6_K (210 B) leave half their blocks 2 bytes off a word boundary;
// every multi-byte field still starts at an even byte, so reads take the word pair straddling it.
fn wordAt(byte: u32) -> u32 {
  let i = byte >> 2u;
  let straddle = (W[i] >> 16u) | (W[i + 1u] << 16u);
  return select(W[i], straddle, (byte & 2u) != 0u);
}

fn halfAt(byte: u32) -> u32 {
  return (W[byte >> 2u] >> ((byte & 2u) * 8u)) & 0xffffu;
}

fn byteAt(byte: u32) -> u32 {
  return (W[byte >> 2u] >> ((byte & 3u) * 8u)) & 0xffu;
}

// IEEE half bits to f32, exact for subnormals, infinities and NaN (no reliance on the driver's f16 handling).
fn halvesToF32(h: vec4<u32>) -> vec4<f32> {
  let sign = (h & vec4<u32>(0x8000u)) << vec4<u32>(16u);
  let e = (h >> vec4<u32>(10u)) & vec4<u32>(0x1fu);
  let m = h & vec4<u32>(0x3ffu);
  let normal = sign | ((e + vec4<u32>(112u)) << vec4<u32>(23u)) | (m << vec4<u32>(13u));
  let subnormal = sign | bitcast<vec4<u32>>(vec4<f32>(m) * 5.9604644775390625e-8);
  let special = sign | vec4<u32>(0x7f800000u) | (m << vec4<u32>(13u));
  return bitcast<vec4<f32>>(select(select(normal, special, e == vec4<u32>(31u)), subnormal, e == vec4<u32>(0u)));
}

// The same for one half in scalar ops: through the vec4 version a block scale would cost four conversions (a CPU
// adapter such as SwiftShader computes every component).
fn halfToF32(h: u32) -> f32 {
  let sign = (h & 0x8000u) << 16u;
  let e = (h >> 10u) & 0x1fu;
  let m = h & 0x3ffu;
  let normal = sign | ((e + 112u) << 23u) | (m << 13u);
  let subnormal = sign | bitcast<u32>(f32(m) * 5.9604644775390625e-8);
  let special = sign | 0x7f800000u | (m << 13u);
  return bitcast<f32>(select(select(normal, special, e == 31u), subnormal, e == 0u));
}

// The 4 bytes of a word, low byte first.
fn bytesOf(w: u32) -> vec4<u32> {
  return (vec4<u32>(w) >> vec4<u32>(0u, 8u, 16u, 24u)) & vec4<u32>(0xffu);
}

// The 4 bytes of a word as signed 8-bit integers.
fn signedBytesOf(w: u32) -> vec4<f32> {
  return vec4<f32>(bitcast<vec4<i32>>(vec4<u32>(w) << vec4<u32>(24u, 16u, 8u, 0u)) >> vec4<u32>(24u));
}

// Values k .. k+3 (lo) and k+4 .. k+7 (hi) of one weight row.
struct Chunk {
  lo: vec4<f32>,
  hi: vec4<f32>,
}

// The 8 values k .. k+7 (k % 8 == 0) of the weight row starting at byte `row`. All 8 share one block scale.
fn dequant8(row: u32, k: u32) -> Chunk {
  if (FORMAT == F32) {
    let w = (row >> 2u) + k;
    return Chunk(bitcast<vec4<f32>>(vec4<u32>(W[w], W[w + 1u], W[w + 2u], W[w + 3u])),
                 bitcast<vec4<f32>>(vec4<u32>(W[w + 4u], W[w + 5u], W[w + 6u], W[w + 7u])));
  }
  if (FORMAT == F16) {
    let w = (row >> 2u) + (k >> 1u);
    let a = W[w];
    let b = W[w + 1u];
    let c = W[w + 2u];
    let d = W[w + 3u];
    let low = vec4<u32>(0xffffu);
    return Chunk(halvesToF32(vec4<u32>(a, a >> 16u, b, b >> 16u) & low), halvesToF32(vec4<u32>(c, c >> 16u, d, d >> 16u) & low));
  }
  if (FORMAT == Q4_0) {
    let block = row + (k >> 5u) * 18u;
    let d = halfToF32(halfAt(block));
    let i = k & 31u;
    let q = block + 2u + (i & 15u);
    let shift = vec4<u32>(select(0u, 4u, i >= 16u));
    let n0 = (bytesOf(wordAt(q)) >> shift) & vec4<u32>(15u);
    let n1 = (bytesOf(wordAt(q + 4u)) >> shift) & vec4<u32>(15u);
    return Chunk((vec4<f32>(n0) - 8.0) * d, (vec4<f32>(n1) - 8.0) * d);
  }
  if (FORMAT == Q8_0) {
    let block = row + (k >> 5u) * 34u;
    let d = halfToF32(halfAt(block));
    let q = block + 2u + (k & 31u);
    return Chunk(signedBytesOf(wordAt(q)) * d, signedBytesOf(wordAt(q + 4u)) * d);
  }
  if (FORMAT == Q4_K) {
    let block = row + (k >> 8u) * 144u;
    let dd = W[block >> 2u];
    let d = halfToF32(dd & 0xffffu);
    let dmin = halfToF32(dd >> 16u);
    let i = k & 255u;
    let c = i >> 6u;
    let r = i & 63u;
    let s = 2u * c + (r >> 5u);
    let scales = block + 4u;
    var sc: u32;
    var mn: u32;
    if (s < 4u) {
      sc = byteAt(scales + s) & 63u;
      mn = byteAt(scales + s + 4u) & 63u;
    } else {
      let packed = byteAt(scales + s + 4u);
      sc = (packed & 15u) | ((byteAt(scales + s - 4u) >> 6u) << 4u);
      mn = (packed >> 4u) | ((byteAt(scales + s) >> 6u) << 4u);
    }
    let d1 = d * f32(sc);
    let m1 = vec4<f32>(dmin * f32(mn));
    let q = (block + 16u + 32u * c + (r & 31u)) >> 2u;
    let shift = vec4<u32>(select(0u, 4u, r >= 32u));
    let n0 = (bytesOf(W[q]) >> shift) & vec4<u32>(15u);
    let n1 = (bytesOf(W[q + 1u]) >> shift) & vec4<u32>(15u);
    return Chunk(d1 * vec4<f32>(n0) - m1, d1 * vec4<f32>(n1) - m1);
  }
  // Q6_K
  let block = row + (k >> 8u) * 210u;
  let i = k & 255u;
  let h = i >> 7u;
  let qq = (i >> 5u) & 3u;
  let l = i & 31u;
  let lowAt = block + 64u * h + 32u * (qq & 1u) + l;
  let highAt = block + 128u + 32u * h + l;
  let scaleByte = byteAt(block + 192u + 8u * h + (l >> 4u) + 2u * qq);
  let scale = f32(bitcast<i32>(scaleByte << 24u) >> 24u);
  let ds = halfToF32(halfAt(block + 208u)) * scale;
  let lowShift = vec4<u32>(select(0u, 4u, qq >= 2u));
  let highShift = vec4<u32>(2u * qq);
  let q0 = ((bytesOf(wordAt(lowAt)) >> lowShift) & vec4<u32>(15u)) | (((bytesOf(wordAt(highAt)) >> highShift) & vec4<u32>(3u)) << vec4<u32>(4u));
  let q1 = ((bytesOf(wordAt(lowAt + 4u)) >> lowShift) & vec4<u32>(15u)) | (((bytesOf(wordAt(highAt + 4u)) >> highShift) & vec4<u32>(3u)) << vec4<u32>(4u));
  return Chunk(ds * (vec4<f32>(q0) - 32.0), ds * (vec4<f32>(q1) - 32.0));
}
