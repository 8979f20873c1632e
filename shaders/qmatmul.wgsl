// Tiled quantized matrix multiply (prefill, training):  Y[m, yOffset + n] (+)= Σ_k X[m, k] · W[n, k]   for n < N.
//
//   X is [M, K] activations (act_t). W is one row-range of a GGUF weight tensor with dims [ne0 = K, ne1 = N] as
//   stored in the file: N rows of K values, each row `rowBytes` bytes of FORMAT blocks, read as array<u32>.
//   Y is [M, yStride]; this dispatch writes columns yOffset .. yOffset + N − 1 (one dispatch per part of a
//   weight split across several bindings).
//
// Dispatch: (ceil(N / BN), ceil(M / BM)) workgroups of 8×8 threads, BM = BN = 64, K stepped by BK = 32.
// Per K step a workgroup stages a BM×BK tile of X and dequantises a BN×BK tile of W into workgroup memory (each
// thread decodes four 8-value chunks), so each weight value is decoded once per 64 activation rows rather than
// once per row; each thread then accumulates an 8×8 block of outputs, strided by 8 rows and 8 columns, as dot
// products of 4-value runs of k in vec4 registers (SwiftShader spills private arrays to memory). 8×8 threads with
// 8×8 outputs each measured about 1.2× faster on SwiftShader than 16×16 threads with 4×4 (Q4_0 and Q4_K,
// 1024×1024, M = 256): fewer invocations to switch between at each barrier, 16 FMAs per workgroup-memory load.
// The f32 weight tile lives only in workgroup memory: no f32 copy of W is ever written.
//
// Requires K % 8 == 0 (and K a whole number of blocks: 32 for Q4_0/Q8_0, 256 for Q4_K/Q6_K).

struct Params {
  M: u32,
  N: u32,
  K: u32,
  rowBytes: u32,
  yStride: u32,
  yOffset: u32,
  _pad0: u32,
  _pad1: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> X: array<vec4<act_t>>; // [M, K], read 4 values at a time
@group(0) @binding(2) var<storage, read> W: array<u32>;
@group(0) @binding(3) var<storage, read_write> Y: array<act_t>;

override ACCUMULATE: bool = false;

const WG_X = 8u;
const WG_Y = 8u;
const BM = 64u; // WG_Y · 8 rows per thread
const BN = 64u; // WG_X · 8 columns per thread
const BK = 32u; // BN · BK / 8 = 256 chunks: four per thread

var<workgroup> tileX: array<vec4<f32>, BM * BK / 4u>; // [m][k / 4]: 4 consecutive k per element
var<workgroup> tileW: array<vec4<f32>, BN * BK / 4u>; // [n][k / 4]: a decoded chunk is two elements

// ---- begin GGUF block decoding (kept identical in every quantized kernel; tests/kernels/qshaders.test.ts checks) ----
// FORMAT is the ggml type id. Each block layout is documented in src/formats/quant/; in short (bytes, little-endian):
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
override FORMAT: u32 = 2u;

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

fn halfToF32(h: u32) -> f32 {
  return halvesToF32(vec4<u32>(h)).x;
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
  if (FORMAT == 0u) {
    let w = (row >> 2u) + k;
    return Chunk(bitcast<vec4<f32>>(vec4<u32>(W[w], W[w + 1u], W[w + 2u], W[w + 3u])),
                 bitcast<vec4<f32>>(vec4<u32>(W[w + 4u], W[w + 5u], W[w + 6u], W[w + 7u])));
  }
  if (FORMAT == 1u) {
    let w = (row >> 2u) + (k >> 1u);
    let a = W[w];
    let b = W[w + 1u];
    let c = W[w + 2u];
    let d = W[w + 3u];
    let low = vec4<u32>(0xffffu);
    return Chunk(halvesToF32(vec4<u32>(a, a >> 16u, b, b >> 16u) & low), halvesToF32(vec4<u32>(c, c >> 16u, d, d >> 16u) & low));
  }
  if (FORMAT == 2u) {
    let block = row + (k >> 5u) * 18u;
    let d = halfToF32(halfAt(block));
    let i = k & 31u;
    let q = block + 2u + (i & 15u);
    let shift = vec4<u32>(select(0u, 4u, i >= 16u));
    let n0 = (bytesOf(wordAt(q)) >> shift) & vec4<u32>(15u);
    let n1 = (bytesOf(wordAt(q + 4u)) >> shift) & vec4<u32>(15u);
    return Chunk((vec4<f32>(n0) - 8.0) * d, (vec4<f32>(n1) - 8.0) * d);
  }
  if (FORMAT == 8u) {
    let block = row + (k >> 5u) * 34u;
    let d = halfToF32(halfAt(block));
    let q = block + 2u + (k & 31u);
    return Chunk(signedBytesOf(wordAt(q)) * d, signedBytesOf(wordAt(q + 4u)) * d);
  }
  if (FORMAT == 12u) {
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
// ---- end GGUF block decoding ----

// x · w0, x · w1, x · w2, x · w3.
fn dots(x: vec4<f32>, w0: vec4<f32>, w1: vec4<f32>, w2: vec4<f32>, w3: vec4<f32>) -> vec4<f32> {
  return vec4<f32>(dot(x, w0), dot(x, w1), dot(x, w2), dot(x, w3));
}

@compute @workgroup_size(WG_X, WG_Y, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let row0 = wid.y * BM;
  let col0 = wid.x * BN;
  let t = lid.y * WG_X + lid.x;
  let kq = p.K / 4u;
  const Q = BK / 4u;

  // a{i}{h}: output row row0 + lid.y + 8i, columns col0 + lid.x + 8(4h + j) for component j.
  var a00 = vec4<f32>(0.0); var a01 = vec4<f32>(0.0);
  var a10 = vec4<f32>(0.0); var a11 = vec4<f32>(0.0);
  var a20 = vec4<f32>(0.0); var a21 = vec4<f32>(0.0);
  var a30 = vec4<f32>(0.0); var a31 = vec4<f32>(0.0);
  var a40 = vec4<f32>(0.0); var a41 = vec4<f32>(0.0);
  var a50 = vec4<f32>(0.0); var a51 = vec4<f32>(0.0);
  var a60 = vec4<f32>(0.0); var a61 = vec4<f32>(0.0);
  var a70 = vec4<f32>(0.0); var a71 = vec4<f32>(0.0);

  for (var k0 = 0u; k0 < p.K; k0 += BK) {
    for (var e = t; e < BM * Q; e += WG_X * WG_Y) {
      let m = e / Q;
      let q = e % Q;
      var x = vec4<f32>(0.0);
      if (row0 + m < p.M && k0 + 4u * q < p.K) { x = vec4<f32>(X[(row0 + m) * kq + k0 / 4u + q]); }
      tileX[e] = x;
    }
    for (var c = t; c < BN * BK / 8u; c += WG_X * WG_Y) {
      let n = col0 + c / (BK / 8u);
      let k = k0 + (c % (BK / 8u)) * 8u;
      var w = Chunk(vec4<f32>(0.0), vec4<f32>(0.0));
      if (n < p.N && k < p.K) { w = dequant8(n * p.rowBytes, k); }
      tileW[2u * c] = w.lo;
      tileW[2u * c + 1u] = w.hi;
    }
    workgroupBarrier();

    for (var q = 0u; q < Q; q++) {
      let w0 = tileW[lid.x * Q + q];
      let w1 = tileW[(lid.x + 8u) * Q + q];
      let w2 = tileW[(lid.x + 16u) * Q + q];
      let w3 = tileW[(lid.x + 24u) * Q + q];
      let w4 = tileW[(lid.x + 32u) * Q + q];
      let w5 = tileW[(lid.x + 40u) * Q + q];
      let w6 = tileW[(lid.x + 48u) * Q + q];
      let w7 = tileW[(lid.x + 56u) * Q + q];
      var x = tileX[lid.y * Q + q];
      a00 += dots(x, w0, w1, w2, w3); a01 += dots(x, w4, w5, w6, w7);
      x = tileX[(lid.y + 8u) * Q + q];
      a10 += dots(x, w0, w1, w2, w3); a11 += dots(x, w4, w5, w6, w7);
      x = tileX[(lid.y + 16u) * Q + q];
      a20 += dots(x, w0, w1, w2, w3); a21 += dots(x, w4, w5, w6, w7);
      x = tileX[(lid.y + 24u) * Q + q];
      a30 += dots(x, w0, w1, w2, w3); a31 += dots(x, w4, w5, w6, w7);
      x = tileX[(lid.y + 32u) * Q + q];
      a40 += dots(x, w0, w1, w2, w3); a41 += dots(x, w4, w5, w6, w7);
      x = tileX[(lid.y + 40u) * Q + q];
      a50 += dots(x, w0, w1, w2, w3); a51 += dots(x, w4, w5, w6, w7);
      x = tileX[(lid.y + 48u) * Q + q];
      a60 += dots(x, w0, w1, w2, w3); a61 += dots(x, w4, w5, w6, w7);
      x = tileX[(lid.y + 56u) * Q + q];
      a70 += dots(x, w0, w1, w2, w3); a71 += dots(x, w4, w5, w6, w7);
    }
    workgroupBarrier();
  }

  let col = col0 + lid.x;
  store(row0 + lid.y, col, a00, a01);
  store(row0 + lid.y + 8u, col, a10, a11);
  store(row0 + lid.y + 16u, col, a20, a21);
  store(row0 + lid.y + 24u, col, a30, a31);
  store(row0 + lid.y + 32u, col, a40, a41);
  store(row0 + lid.y + 40u, col, a50, a51);
  store(row0 + lid.y + 48u, col, a60, a61);
  store(row0 + lid.y + 56u, col, a70, a71);
}

// Writes outputs (row, col + 8j) for j < 8 (lo holds j < 4), skipping those past M or N.
fn store(row: u32, col: u32, lo: vec4<f32>, hi: vec4<f32>) {
  if (row >= p.M) { return; }
  for (var j = 0u; j < 8u; j++) {
    let c = col + 8u * j;
    if (c >= p.N) { return; }
    let index = row * p.yStride + p.yOffset + c;
    var v = select(hi[j & 3u], lo[j & 3u], j < 4u);
    if (ACCUMULATE) { v += f32(Y[index]); }
    Y[index] = act_t(v);
  }
}
