// Attention decode, step 1 of 2 (split-K): one new query token per sequence against its KV cache. The visible keys
// [keyStart, len) (len = the sequence's cache length: lengths[b] with HAS_LENGTHS, else kvLen; keyStart = len − window
// with a sliding window, else 0) are cut into chunks of WG keys; each
// workgroup scores one chunk for one query head and writes the chunk's softmax statistics and unnormalised output
//   m = max_j s_j,  l = Σ_j exp(s_j − m),  o = Σ_j exp(s_j − m)·v_j       (s_j = scale·q·k_j)
// so that attention_decode_combine.wgsl can merge the chunks exactly (a chunk past the end of a shorter sequence writes
// m = NEG, l = 0, o = 0 and drops out). The query is at position len − 1 (its own key and value are already in the
// cache), so every cached key up to len − 1 is causally visible.
//
// Layouts (elements): Q [batch, nHeads, HEAD_DIM] act_t; K, V at b·kvStrideBatch + j·kvStrideToken + g·kvStrideHead + d,
// act_t (the cache layout [batch, nKvHeads, maxCtx, HEAD_DIM] or token-major); partials
// [batch, nHeads, nSplits, HEAD_DIM + 2] f32 holding (o[0..HEAD_DIM), m, l); lengths [batch] u32, 1 ≤ lengths[b] ≤ kvLen
// (read only when HAS_LENGTHS; bind any read-only buffer otherwise). nSplits covers the longest sequence.
// Dispatch: (nSplits, nHeads, batch) workgroups of WG threads; WG must be a multiple of HEAD_DIM. Thread t scores key
// t of the chunk, then the threads split into WG / HEAD_DIM groups that each sum a share of the keys for every dim.

struct Params {
  kvLen: u32,
  nHeads: u32,
  nKvHeads: u32,
  scale: f32,
  window: u32,
  nSplits: u32,
  kvStrideToken: u32,
  kvStrideHead: u32,
  kvStrideBatch: u32,
  _pad0: u32,
  _pad1: u32,
  _pad2: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> Q: array<act_t>;
@group(0) @binding(2) var<storage, read> K: array<act_t>;
@group(0) @binding(3) var<storage, read> V: array<act_t>;
@group(0) @binding(4) var<storage, read> lengths: array<u32>;
@group(0) @binding(5) var<storage, read_write> partials: array<f32>;

override HEAD_DIM: u32 = 128u;
override WG: u32 = 128u;
override HAS_LENGTHS: bool = false;

const NEG = -1.0e30;

var<workgroup> qs: array<f32, HEAD_DIM>;
var<workgroup> probs: array<f32, WG>;
var<workgroup> red: array<f32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let split = wid.x;
  let h = wid.y;
  let b = wid.z;
  let g = h / (p.nHeads / p.nKvHeads);
  let kvHead = b * p.kvStrideBatch + g * p.kvStrideHead;
  var len = p.kvLen;
  if (HAS_LENGTHS) { len = lengths[b]; }
  var keyStart = 0u;
  if (p.window > 0u && len > p.window) { keyStart = len - p.window; }
  let chunkStart = keyStart + split * WG;

  for (var d = lid; d < HEAD_DIM; d += WG) { qs[d] = f32(Q[(b * p.nHeads + h) * HEAD_DIM + d]); }
  workgroupBarrier();

  let j = chunkStart + lid;
  let valid = j < len;
  var score = NEG;
  if (valid) {
    var dot = 0.0;
    let at = kvHead + j * p.kvStrideToken;
    for (var d = 0u; d < HEAD_DIM; d++) { dot = fma(qs[d], f32(K[at + d]), dot); }
    score = dot * p.scale;
  }
  red[lid] = score;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride /= 2u) {
    if (lid < stride) { red[lid] = max(red[lid], red[lid + stride]); }
    workgroupBarrier();
  }
  let m = red[0];
  workgroupBarrier();

  let prob = select(0.0, exp(score - m), valid);
  probs[lid] = prob;
  red[lid] = prob;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride /= 2u) {
    if (lid < stride) { red[lid] += red[lid + stride]; }
    workgroupBarrier();
  }
  let l = red[0];
  workgroupBarrier();

  let d = lid % HEAD_DIM;
  let groups = WG / HEAD_DIM;
  var acc = 0.0;
  for (var jj = lid / HEAD_DIM; jj < WG; jj += groups) {
    let key = min(chunkStart + jj, len - 1u);
    acc = fma(probs[jj], f32(V[kvHead + key * p.kvStrideToken + d]), acc);
  }
  red[lid] = acc;
  workgroupBarrier();
  let out = ((b * p.nHeads + h) * p.nSplits + split) * (HEAD_DIM + 2u);
  if (lid < HEAD_DIM) {
    var o = 0.0;
    for (var k = 0u; k < groups; k++) { o += red[k * HEAD_DIM + lid]; }
    partials[out + lid] = o;
  }
  if (lid == 0u) {
    partials[out + HEAD_DIM] = m;
    partials[out + HEAD_DIM + 1u] = l;
  }
}
