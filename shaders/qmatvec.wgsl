// Quantized matrix-vector product (decode):  Y[m, yOffset + n] (+)= Σ_k X[m, k] · W[n, k]   for n < N.
//
//   X is [M, K] activations (act_t). W is one row-range of a GGUF weight tensor with dims [ne0 = K, ne1 = N] as
//   stored in the file: N rows of K values, each row `rowBytes` bytes of FORMAT blocks, read as array<u32>.
//   Y is [M, yStride]; this dispatch writes columns yOffset .. yOffset + N − 1 (a weight split across several
//   bindings is one dispatch per part, each writing its slice of Y).
//
// Dispatch: (ceil(N / ROWS), M) workgroups of WG threads. A workgroup owns ROWS = 4 output rows of one activation
// row (the components of a vec4 accumulator). K is cut into units of UNIT values that each read whole words of one
// block: a Q4_0 or Q8_0 block (32 values), a quarter of a Q4_K or Q6_K super-block (64 values), 8 values of F32 or
// F16. Thread t takes units t, t + WG, ...: it loads the unit's X values once, then for each of the ROWS rows
// loads the unit's weight words once each (every field at once: scales, then the packed quants as vec4<u32>),
// unpacks the quants with packed integer ops and dots them with X; the WG partial sums meet in workgroup memory.
// Block offsets and minima come out of the sum: Σ x·d·(q − 8) = d·(Σ x·q − 8·Σ x), with Σ x shared by all rows.
//
// Bandwidth-bound on a GPU (each weight word read once per activation row, neighbouring threads read neighbouring
// blocks); on SwiftShader, which runs invocations as lanes of CPU SIMD code and pays per lane for every storage
// load, the cost is the number of loads and ALU ops per value, which the whole-unit decode keeps low. WG is
// chosen by the wrapper per adapter (src/kernels/qmatmul.ts).
//
// Requires K % UNIT == 0 (K is a whole number of blocks: 32 for Q4_0/Q8_0, 256 for Q4_K/Q6_K; 8 for F32/F16).

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
override WG: u32 = 32u;
const ROWS = 4u;
// Values per unit of work (see the header).
override UNIT: u32 = select(select(8u, 32u, FORMAT == 2u || FORMAT == 8u), 64u, FORMAT == 12u || FORMAT == 14u);

var<workgroup> partial: array<vec4<f32>, WG>;

//! include gguf_blocks

// Byte offsets of the workgroup's ROWS weight rows (rows past N repeat the last row: read, then discarded).
struct Rows {
  r0: u32,
  r1: u32,
  r2: u32,
  r3: u32,
}

// 32 consecutive activations: a holds values 0..3, b 4..7, ..., h 28..31.
struct X32 {
  a: vec4<f32>, b: vec4<f32>, c: vec4<f32>, d: vec4<f32>,
  e: vec4<f32>, f: vec4<f32>, g: vec4<f32>, h: vec4<f32>,
}

fn loadX32(q: u32) -> X32 {
  return X32(vec4<f32>(X[q]), vec4<f32>(X[q + 1u]), vec4<f32>(X[q + 2u]), vec4<f32>(X[q + 3u]),
             vec4<f32>(X[q + 4u]), vec4<f32>(X[q + 5u]), vec4<f32>(X[q + 6u]), vec4<f32>(X[q + 7u]));
}

fn sum4(v: vec4<f32>) -> f32 {
  return v.x + v.y + v.z + v.w;
}

fn sumX32(x: X32) -> f32 {
  return sum4((x.a + x.b) + (x.c + x.d) + (x.e + x.f) + (x.g + x.h));
}

// The 4 bytes of a word as floats, low byte first.
fn bytesF(w: u32) -> vec4<f32> {
  return vec4<f32>(bytesOf(w));
}

// Σ x · bytes of the 8 words lo (values 0..15) and hi (values 16..31), each byte one value.
fn dotBytes32(x: X32, lo: vec4<u32>, hi: vec4<u32>) -> f32 {
  return (dot(x.a, bytesF(lo.x)) + dot(x.b, bytesF(lo.y)) + dot(x.c, bytesF(lo.z)) + dot(x.d, bytesF(lo.w)))
       + (dot(x.e, bytesF(hi.x)) + dot(x.f, bytesF(hi.y)) + dot(x.g, bytesF(hi.z)) + dot(x.h, bytesF(hi.w)));
}

// The 16 bytes at an even byte offset, as 4 words: from the 5 words spanning them when 2 bytes off a word.
fn words16(at: u32) -> vec4<u32> {
  let i = at >> 2u;
  let w4 = W[i + 4u];
  let a = vec4<u32>(W[i], W[i + 1u], W[i + 2u], W[i + 3u]);
  let b = vec4<u32>(a.yzw, w4);
  return select(a, (a >> vec4<u32>(16u)) | (b << vec4<u32>(16u)), (at & 2u) != 0u);
}

// The 8 bytes at an even byte offset, as 2 words.
fn block8(at: u32) -> vec2<u32> {
  let i = at >> 2u;
  let a = vec2<u32>(W[i], W[i + 1u]);
  let b = vec2<u32>(a.y, W[i + 2u]);
  return select(a, (a >> vec2<u32>(16u)) | (b << vec2<u32>(16u)), (at & 2u) != 0u);
}

// Q4_0 block u of the row at byte `row`: d:f16, then 16 bytes whose low nibbles are values 0..15 and high 16..31.
// The block's 18 bytes lie in the 5 words from its first: d in the low or high half of the first word.
fn q4_0Dot(row: u32, u: u32, x: X32, xsum: f32) -> f32 {
  let at = row + u * 18u;
  let i = at >> 2u;
  let a = vec4<u32>(W[i], W[i + 1u], W[i + 2u], W[i + 3u]);
  let b = vec4<u32>(a.yzw, W[i + 4u]);
  let odd = (at & 2u) != 0u;
  let d = halfToF32(select(a.x & 0xffffu, a.x >> 16u, odd));
  let q = select((a >> vec4<u32>(16u)) | (b << vec4<u32>(16u)), b, odd);
  let nib = vec4<u32>(0x0f0f0f0fu);
  let s = dotBytes32(x, q & nib, (q >> vec4<u32>(4u)) & nib);
  return d * (s - 8.0 * xsum);
}

// Q8_0 block u: d:f16, then 32 signed bytes; the 34 bytes lie in the 9 words from the block's first.
fn q8_0Dot(row: u32, u: u32, x: X32) -> f32 {
  let at = row + u * 34u;
  let i = at >> 2u;
  let a = vec4<u32>(W[i], W[i + 1u], W[i + 2u], W[i + 3u]);
  let b = vec4<u32>(W[i + 4u], W[i + 5u], W[i + 6u], W[i + 7u]);
  let c = W[i + 8u];
  let odd = (at & 2u) != 0u;
  let d = halfToF32(select(a.x & 0xffffu, a.x >> 16u, odd));
  let a1 = vec4<u32>(a.yzw, b.x);
  let b1 = vec4<u32>(b.yzw, c);
  let lo = select((a >> vec4<u32>(16u)) | (a1 << vec4<u32>(16u)), a1, odd);
  let hi = select((b >> vec4<u32>(16u)) | (b1 << vec4<u32>(16u)), b1, odd);
  let s = (dot(x.a, signedBytesOf(lo.x)) + dot(x.b, signedBytesOf(lo.y)) + dot(x.c, signedBytesOf(lo.z)) + dot(x.d, signedBytesOf(lo.w)))
        + (dot(x.e, signedBytesOf(hi.x)) + dot(x.f, signedBytesOf(hi.y)) + dot(x.g, signedBytesOf(hi.z)) + dot(x.h, signedBytesOf(hi.w)));
  return d * s;
}

// Q4_K quarter c = u % 4 of super-block u / 4: sub-blocks 2c (low nibbles of qs[32c ..], values xa) and 2c + 1
// (high nibbles, values xb), each value (d·sc)·q − dmin·m.
fn q4_KDot(row: u32, u: u32, xa: X32, xb: X32, xsumA: f32, xsumB: f32) -> f32 {
  let at = row + (u >> 2u) * 144u;
  let c = u & 3u;
  let i = at >> 2u;
  let dd = W[i];
  // The two sub-blocks' 6-bit scales and mins (src/formats/quant/kScales.ts), as byte pairs: low byte for 2c.
  let shift = 16u * (c & 1u);
  let s0 = (W[i + 1u] >> shift) & 0xffffu;
  let s1 = (W[i + 2u] >> shift) & 0xffffu;
  let s2 = (W[i + 3u] >> shift) & 0xffffu;
  let high = c >= 2u;
  let scPair = select(s0 & 0x3f3fu, (s2 & 0x0f0fu) | ((s0 >> 2u) & 0x3030u), high);
  let mPair = select(s1 & 0x3f3fu, ((s2 >> 4u) & 0x0f0fu) | ((s1 >> 2u) & 0x3030u), high);
  let d = halfToF32(dd & 0xffffu);
  let dmin = halfToF32(dd >> 16u);
  let qi = i + 4u + 8u * c;
  let qlo = vec4<u32>(W[qi], W[qi + 1u], W[qi + 2u], W[qi + 3u]);
  let qhi = vec4<u32>(W[qi + 4u], W[qi + 5u], W[qi + 6u], W[qi + 7u]);
  let nib = vec4<u32>(0x0f0f0f0fu);
  let sA = dotBytes32(xa, qlo & nib, qhi & nib);
  let sB = dotBytes32(xb, (qlo >> vec4<u32>(4u)) & nib, (qhi >> vec4<u32>(4u)) & nib);
  let d1 = d * f32(scPair & 0xffu);
  let d2 = d * f32(scPair >> 8u);
  let m1 = dmin * f32(mPair & 0xffu);
  let m2 = dmin * f32(mPair >> 8u);
  return (d1 * sA - m1 * xsumA) + (d2 * sB - m2 * xsumB);
}

// 16 activations of one Q6_K quarter.
struct X16 {
  a: vec4<f32>, b: vec4<f32>, c: vec4<f32>, d: vec4<f32>,
}

fn loadX16(q: u32) -> X16 {
  return X16(vec4<f32>(X[q]), vec4<f32>(X[q + 1u]), vec4<f32>(X[q + 2u]), vec4<f32>(X[q + 3u]));
}

fn dotBytes16(x: X16, q: vec4<u32>) -> f32 {
  return (dot(x.a, bytesF(q.x)) + dot(x.b, bytesF(q.y))) + (dot(x.c, bytesF(q.z)) + dot(x.d, bytesF(q.w)));
}

fn sumX16(x: X16) -> f32 {
  return sum4((x.a + x.b) + (x.c + x.d));
}

// Q6_K unit u: half h = (u / 2) % 2 of super-block u / 4, positions l0 .. l0 + 15 (l0 = 16·(u % 2)) of each of
// its four 32-value quarters (x0..x3); value (d·scales[8h + l0/16 + 2qq])·(q − 32) with the 6-bit q of quarter qq
// from a nibble of ql and two bits of qh.
fn q6_KDot(row: u32, u: u32, x0: X16, x1: X16, x2: X16, x3: X16, xsum: vec4<f32>) -> f32 {
  let at = row + (u >> 2u) * 210u;
  let h = (u >> 1u) & 1u;
  let l0 = 16u * (u & 1u);
  let ql0 = words16(at + 64u * h + l0); // quarters 0 (low nibbles) and 2 (high)
  let ql1 = words16(at + 64u * h + 32u + l0); // quarters 1 and 3
  let qh = words16(at + 128u + 32u * h + l0); // two bits per quarter: bits 2qq, 2qq + 1 of each byte
  let nib = vec4<u32>(0x0f0f0f0fu);
  let q0 = (ql0 & nib) | ((qh & vec4<u32>(0x03030303u)) << vec4<u32>(4u));
  let q1 = (ql1 & nib) | ((qh & vec4<u32>(0x0c0c0c0cu)) << vec4<u32>(2u));
  let q2 = ((ql0 >> vec4<u32>(4u)) & nib) | (qh & vec4<u32>(0x30303030u));
  let q3 = ((ql1 >> vec4<u32>(4u)) & nib) | ((qh >> vec4<u32>(2u)) & vec4<u32>(0x30303030u));
  let s = vec4<f32>(dotBytes16(x0, q0), dotBytes16(x1, q1), dotBytes16(x2, q2), dotBytes16(x3, q3));
  // scales[8h + l0/16 + 2qq] for qq = 0..3: bytes l0/16 and l0/16 + 2 of the two words at 192 + 8h.
  let sc = block8(at + 192u + 8u * h);
  let shift = 8u * (l0 >> 4u);
  let scaleBytes = vec4<u32>(sc.x >> shift, sc.x >> (shift + 16u), sc.y >> shift, sc.y >> (shift + 16u));
  let scales = vec4<f32>(bitcast<vec4<i32>>(scaleBytes << vec4<u32>(24u)) >> vec4<u32>(24u));
  let d = halfToF32(halfAt(at + 208u));
  return dot(d * scales, s - 32.0 * xsum);
}

// The ROWS rows' sums over unit u of activation row starting at vec4 index xq.
fn unitDot(rows: Rows, u: u32, xq: u32) -> vec4<f32> {
  if (FORMAT == 2u || FORMAT == 8u) {
    let x = loadX32(xq + 8u * u);
    if (FORMAT == 8u) {
      return vec4<f32>(q8_0Dot(rows.r0, u, x), q8_0Dot(rows.r1, u, x), q8_0Dot(rows.r2, u, x), q8_0Dot(rows.r3, u, x));
    }
    let xsum = sumX32(x);
    return vec4<f32>(q4_0Dot(rows.r0, u, x, xsum), q4_0Dot(rows.r1, u, x, xsum), q4_0Dot(rows.r2, u, x, xsum), q4_0Dot(rows.r3, u, x, xsum));
  }
  if (FORMAT == 12u) {
    let xa = loadX32(xq + 16u * u);
    let xb = loadX32(xq + 16u * u + 8u);
    let sa = sumX32(xa);
    let sb = sumX32(xb);
    return vec4<f32>(q4_KDot(rows.r0, u, xa, xb, sa, sb), q4_KDot(rows.r1, u, xa, xb, sa, sb),
                     q4_KDot(rows.r2, u, xa, xb, sa, sb), q4_KDot(rows.r3, u, xa, xb, sa, sb));
  }
  if (FORMAT == 14u) {
    // Positions 128h + 32qq + l0 .. + 15 of super-block u / 4, for qq = 0..3.
    let q = xq + 64u * (u >> 2u) + 32u * ((u >> 1u) & 1u) + 4u * (u & 1u);
    let x0 = loadX16(q);
    let x1 = loadX16(q + 8u);
    let x2 = loadX16(q + 16u);
    let x3 = loadX16(q + 24u);
    let xsum = vec4<f32>(sumX16(x0), sumX16(x1), sumX16(x2), sumX16(x3));
    return vec4<f32>(q6_KDot(rows.r0, u, x0, x1, x2, x3, xsum), q6_KDot(rows.r1, u, x0, x1, x2, x3, xsum),
                     q6_KDot(rows.r2, u, x0, x1, x2, x3, xsum), q6_KDot(rows.r3, u, x0, x1, x2, x3, xsum));
  }
  // F32, F16: 8 values through the shared decoder.
  let xlo = vec4<f32>(X[xq + 2u * u]);
  let xhi = vec4<f32>(X[xq + 2u * u + 1u]);
  let k = 8u * u;
  let w0 = dequant8(rows.r0, k);
  let w1 = dequant8(rows.r1, k);
  let w2 = dequant8(rows.r2, k);
  let w3 = dequant8(rows.r3, k);
  return vec4<f32>(dot(xlo, w0.lo) + dot(xhi, w0.hi), dot(xlo, w1.lo) + dot(xhi, w1.hi),
                   dot(xlo, w2.lo) + dot(xhi, w2.hi), dot(xlo, w3.lo) + dot(xhi, w3.hi));
}

@compute @workgroup_size(WG, 1, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let m = wid.y;
  let n0 = wid.x * ROWS;
  let t = lid.x;
  let last = p.N - 1u;
  let rows = Rows(min(n0, last) * p.rowBytes, min(n0 + 1u, last) * p.rowBytes, min(n0 + 2u, last) * p.rowBytes, min(n0 + 3u, last) * p.rowBytes);
  let xq = m * (p.K / 4u);
  let units = p.K / UNIT;
  // Component r accumulates output row n0 + r.
  var acc = vec4<f32>(0.0);
  for (var u = t; u < units; u += WG) {
    acc += unitDot(rows, u, xq);
  }
  partial[t] = acc;
  workgroupBarrier();
  // One barrier, then thread r < ROWS sums component r serially: for the small WG used, cheaper than a log-step
  // tree whose every step is a barrier (SwiftShader runs each barrier as a switch between all invocations).
  if (t < ROWS && n0 + t < p.N && m < p.M) {
    var value = 0.0;
    for (var i = 0u; i < WG; i++) { value += partial[i][t]; }
    let index = m * p.yStride + p.yOffset + n0 + t;
    if (ACCUMULATE) { value += f32(Y[index]); }
    Y[index] = act_t(value);
  }
}
