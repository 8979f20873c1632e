// One 32-value block of an activation row quantized to 8 bits, written into the row's sections (the layout and the
// rounding are documented in shaders/quantize_activations.wgsl; the offsets come from shaders/quantized_rows.wgsl,
// which every kernel including this one includes too). The one copy of the arithmetic, shared by the kernel that
// quantizes whole rows and by the kernels that quantize their own output (shaders/qmatvec.wgsl `mainQuantizing`,
// attention_decode.wgsl and attention_decode_combine.wgsl `mainQuantized`), so they all write the same bits. Not a
// kernel: pulled in with `//! include quantize_block`.

// Two 16-bit halves as one word: lo + hi·2^16 (mod 2^32), each a signed value.
fn quantizedPair(hi: i32, lo: i32) -> u32 {
  return bitcast<u32>(lo) + (bitcast<u32>(hi) << 16u);
}

// Block b of row m of XQ (rows of K values): `raw` the block's 32 values as the row holds them (their Σ x² goes to
// the squares section), `scaled` the values quantized (raw times the norm weight with a norm prologue, else raw).
fn storeQuantizedBlock(xq: ptr<storage, array<u32>, read_write>, K: u32, m: u32, b: u32, raw: array<vec4<f32>, 8>,
                       scaled: array<vec4<f32>, 8>) {
  var rawValues = raw;
  var values = scaled;
  var amax = 0.0;
  var squares = 0.0;
  for (var i = 0u; i < 8u; i++) {
    let r = rawValues[i];
    squares += dot(r, r);
    let a = abs(values[i]);
    amax = max(amax, max(max(a.x, a.y), max(a.z, a.w)));
  }
  let inv = select(0.0, 127.0 / amax, amax > 0.0);
  let row = m * xqRowWords(K);
  let pairs = row + 16u * b;
  let packed = row + xqPackedAt(K) + 8u * b;
  var sum0 = 0;
  var sum1 = 0;
  for (var i = 0u; i < 8u; i++) {
    let q = vec4<i32>(round(values[i] * inv));
    (*xq)[pairs + 2u * i] = quantizedPair(q.x, q.z);
    (*xq)[pairs + 2u * i + 1u] = quantizedPair(q.y, q.w);
    (*xq)[packed + i] = pack4xI8(q);
    let s = q.x + q.y + q.z + q.w;
    if (i < 4u) { sum0 += s; } else { sum1 += s; }
  }
  (*xq)[row + xqScalesAt(K) + b] = bitcast<u32>(amax / 127.0);
  let sums = row + xqSumsAt(K) + 2u * b;
  (*xq)[sums] = bitcast<u32>(sum0);
  (*xq)[sums + 1u] = bitcast<u32>(sum1);
  (*xq)[row + xqSquaresAt(K) + b] = bitcast<u32>(squares);
}
