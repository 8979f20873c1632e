// Where each section of an activation row quantized to 8 bits lies (shaders/quantize_activations.wgsl writes the
// rows and documents the sections; shaders/qmatvec.wgsl reads them), as word offsets for rows of K values
// (K % 32 == 0). Not a kernel: pulled in with `//! include quantized_rows`.

// Words per row.
fn xqRowWords(K: u32) -> u32 {
  return 7u * K / 8u;
}

// The packed bytes, after the K/2 pair words.
fn xqPackedAt(K: u32) -> u32 {
  return K / 2u;
}

// The K/32 block scales.
fn xqScalesAt(K: u32) -> u32 {
  return 3u * K / 4u;
}

// The K/16 sums of 16 quantized values.
fn xqSumsAt(K: u32) -> u32 {
  return 3u * K / 4u + K / 32u;
}

// The K/32 blocks' Σ x² of the raw row.
fn xqSquaresAt(K: u32) -> u32 {
  return 3u * K / 4u + 3u * K / 32u;
}
