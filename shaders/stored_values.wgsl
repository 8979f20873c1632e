// Stored tensors: how a tensor kept between kernels (the KV cache, training's layer checkpoints) sits in memory,
// pulled in by `//! include stored_values`. Such a tensor is bound as array<u32> in one of two formats, chosen per
// buffer by the includer (an override constant passed as `f16`):
//   f16 pairs (f16 = true): value e is half (e mod 2) of word e / 2, written with pack2x16float and read with
//     unpack2x16float, which every WebGPU device has (no shader-f16); half the bytes. A tensor of an odd number of
//     values ends in a word whose upper half is 0.
//   f32 (f16 = false): word e holds value e's bits.
// Arithmetic is f32 either way. Values beyond f16's range are stored as ±65504 (pack2x16float leaves them
// undefined), so the stored tensor never holds an infinity that a later softmax or norm would turn into NaN.

const F16_MAX = 65504.0;

// Value e.
fn loadStored(words: ptr<storage, array<u32>, read>, e: u32, f16: bool) -> f32 {
  if (f16) { return unpack2x16float((*words)[e / 2u])[e % 2u]; }
  return bitcast<f32>((*words)[e]);
}

// Values e .. e + 3 (e a multiple of 4).
fn loadStored4(words: ptr<storage, array<u32>, read>, e: u32, f16: bool) -> vec4<f32> {
  if (f16) {
    let w = e / 2u;
    return vec4<f32>(unpack2x16float((*words)[w]), unpack2x16float((*words)[w + 1u]));
  }
  return bitcast<vec4<f32>>(vec4<u32>((*words)[e], (*words)[e + 1u], (*words)[e + 2u], (*words)[e + 3u]));
}

// Values e and e + 1 (e even): one word in f16 pairs, so each pair has one writer.
fn storeStoredPair(words: ptr<storage, array<u32>, read_write>, e: u32, pair: vec2<f32>, f16: bool) {
  if (f16) {
    (*words)[e / 2u] = pack2x16float(clamp(pair, vec2<f32>(-F16_MAX), vec2<f32>(F16_MAX)));
    return;
  }
  (*words)[e] = bitcast<u32>(pair.x);
  (*words)[e + 1u] = bitcast<u32>(pair.y);
}
