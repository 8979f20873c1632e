// Shared by the query-tiled attention kernels (attention.wgsl and attention_backward_q.wgsl), pulled in by
// `//! include attention_rows`. The includer declares `p: Params`, `segStart: array<u32>` and `HAS_SEGMENTS`.

struct Params {
  qLen: u32,
  kvLen: u32,
  nHeads: u32,
  nKvHeads: u32,
  scale: f32,
  window: u32,
  kvStrideToken: u32,
  kvStrideHead: u32,
  kvStrideBatch: u32,
  _pad0: u32,
  _pad1: u32,
  _pad2: u32,
}

// The first key that query row i of batch b may see: the sliding window's start or its packed sequence's start.
fn rowFirstKey(b: u32, i: u32) -> u32 {
  let pos = p.kvLen - p.qLen + i;
  var lo = 0u;
  if (p.window > 0u && pos + 1u > p.window) { lo = pos + 1u - p.window; }
  if (HAS_SEGMENTS) { lo = max(lo, segStart[b * p.qLen + i]); }
  return lo;
}
