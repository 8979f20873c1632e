// Attention decode, step 1 of 2 (split-K): one new query token per sequence against its KV cache. The visible keys
// [keyStart, len) (len = the sequence's cache length: lengths[b] with HAS_LENGTHS, else kvLen; keyStart = len − window
// with a sliding window, else 0) are cut into chunks of CHUNK keys; each workgroup scores one chunk for one query head
// and writes the chunk's softmax statistics and unnormalised output
//   m = max_j s_j,  l = Σ_j exp(s_j − m),  o = Σ_j exp(s_j − m)·v_j       (s_j = scale·q·k_j)
// so that attention_decode_combine.wgsl can merge the chunks exactly (a chunk past the end of a shorter sequence writes
// m = NEG, l = 0, o = 0 and drops out). With ONE_CHUNK (nSplits = 1) there is nothing to merge: the workgroup writes
// O = o / l itself, the value the combine step computes from a single chunk (exp(m − m) = 1), bit for bit. The query is at position len − 1 (its own key and value are already in the
// cache), so every cached key up to len − 1 is causally visible.
//
// Layouts (elements): Q [batch, nHeads, HEAD_DIM] f32; K, V at b·kvStrideBatch + j·kvStrideToken + g·kvStrideHead + d,
// the cache's stored values (shaders/stored_values.wgsl: f16 pairs with KV_F16, else f32; the cache layout
// [batch, nKvHeads, maxCtx, HEAD_DIM] or token-major), read 4 values at a time (HEAD_DIM and the strides are
// multiples of 4); partials [batch, nHeads, nSplits, HEAD_DIM + 2] f32 holding (o[0..HEAD_DIM), m, l);
// lengths [batch] u32, 1 ≤ lengths[b] ≤ kvLen (read only when HAS_LENGTHS; bind any read-only buffer otherwise);
// O [batch, nHeads, HEAD_DIM] f32 (written only with ONE_CHUNK, partials otherwise). nSplits covers the longest
// sequence.
// Entry point `mainQuantized` (ONE_CHUNK only; with more chunks attention_decode_combine.wgsl's does it): also XQ, each
// row b of O (K = nHeads·HEAD_DIM values, HEAD_DIM % 32 == 0) as 8-bit blocks in shaders/quantize_activations.wgsl's
// layout, the same words that kernel writes from O. After a storage barrier the workgroup reads its head back from O,
// thread t quantizing the head's 32-value blocks t, t + WG, ..., so XQ holds what O holds, bit for bit.
// Dispatch: (nSplits, nHeads, batch) workgroups of WG threads (WG ≤ CHUNK, chosen per adapter by the wrapper). Thread t
// scores keys t, t + WG, ... of the chunk, then sums 4-dim columns t, t + WG, ... of the probability-weighted values.
// The maximum and the sum each meet after one barrier, every thread reading all WG partial results (a tree would
// cost log2(WG) barriers: SwiftShader runs each as a switch between all invocations).

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
@group(0) @binding(1) var<storage, read> Q: array<f32>;
@group(0) @binding(2) var<storage, read> K: array<u32>;
@group(0) @binding(3) var<storage, read> V: array<u32>;
@group(0) @binding(4) var<storage, read> lengths: array<u32>;
@group(0) @binding(5) var<storage, read_write> partials: array<f32>;
@group(0) @binding(6) var<storage, read_write> O: array<f32>;
@group(0) @binding(7) var<storage, read_write> XQ: array<u32>; // mainQuantized only

override HEAD_DIM: u32 = 128u;
override CHUNK: u32 = 128u;
override WG: u32 = 64u;
override HAS_LENGTHS: bool = false;
override ONE_CHUNK: bool = false;
override KV_F16: bool = true;

const NEG = -1.0e30;

var<workgroup> qs: array<vec4<f32>, HEAD_DIM / 4u>;
var<workgroup> probs: array<f32, CHUNK>;
var<workgroup> maxes: array<f32, WG>;
var<workgroup> sums: array<f32, WG>;

//! include stored_values
//! include quantized_rows
//! include quantize_block

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  attendChunk(wid, lid);
}

@compute @workgroup_size(WG)
fn mainQuantized(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  attendChunk(wid, lid);
  storageBarrier();
  let K = p.nHeads * HEAD_DIM;
  let b = wid.z;
  for (var j = lid; j < HEAD_DIM / 32u; j += WG) {
    let block = wid.y * (HEAD_DIM / 32u) + j;
    let at = b * K + 32u * block;
    var values: array<vec4<f32>, 8>;
    for (var i = 0u; i < 8u; i++) { values[i] = vec4<f32>(O[at + 4u * i], O[at + 4u * i + 1u], O[at + 4u * i + 2u], O[at + 4u * i + 3u]); }
    storeQuantizedBlock(&XQ, K, b, block, values, values);
  }
}

// Chunk wid.x of head wid.y of sequence wid.z: its partial statistics, or with ONE_CHUNK the head's output in O.
fn attendChunk(wid: vec3<u32>, lid: u32) {
  let split = wid.x;
  let h = wid.y;
  let b = wid.z;
  let g = h / (p.nHeads / p.nKvHeads);
  let kvHead = b * p.kvStrideBatch + g * p.kvStrideHead;
  var len = p.kvLen;
  if (HAS_LENGTHS) { len = lengths[b]; }
  var keyStart = 0u;
  if (p.window > 0u && len > p.window) { keyStart = len - p.window; }
  let chunkStart = keyStart + split * CHUNK;
  // Keys of this chunk that exist: 0 for a chunk past the end of a shorter sequence.
  let keys = select(0u, min(CHUNK, len - chunkStart), len > chunkStart);

  let qBase = (b * p.nHeads + h) * HEAD_DIM;
  for (var d = lid; d < HEAD_DIM / 4u; d += WG) {
    qs[d] = vec4<f32>(f32(Q[qBase + 4u * d]), f32(Q[qBase + 4u * d + 1u]), f32(Q[qBase + 4u * d + 2u]), f32(Q[qBase + 4u * d + 3u]));
  }
  workgroupBarrier();

  var localMax = NEG;
  for (var jj = lid; jj < keys; jj += WG) {
    let at = kvHead + (chunkStart + jj) * p.kvStrideToken;
    var acc = vec4<f32>(0.0);
    for (var d = 0u; d < HEAD_DIM / 4u; d++) { acc = fma(qs[d], loadStored4(&K, at + 4u * d, KV_F16), acc); }
    let score = (acc.x + acc.y + acc.z + acc.w) * p.scale;
    probs[jj] = score;
    localMax = max(localMax, score);
  }
  maxes[lid] = localMax;
  workgroupBarrier();
  var m = NEG;
  for (var i = 0u; i < WG; i++) { m = max(m, maxes[i]); }

  var localSum = 0.0;
  for (var jj = lid; jj < keys; jj += WG) {
    let prob = exp(probs[jj] - m);
    probs[jj] = prob;
    localSum += prob;
  }
  sums[lid] = localSum;
  workgroupBarrier();
  var l = 0.0;
  for (var i = 0u; i < WG; i++) { l += sums[i]; }

  let out = ((b * p.nHeads + h) * p.nSplits + split) * (HEAD_DIM + 2u);
  for (var d = lid; d < HEAD_DIM / 4u; d += WG) {
    var o = vec4<f32>(0.0);
    for (var jj = 0u; jj < keys; jj++) {
      o = fma(vec4<f32>(probs[jj]), loadStored4(&V, kvHead + (chunkStart + jj) * p.kvStrideToken + 4u * d, KV_F16), o);
    }
    if (ONE_CHUNK) {
      let at = qBase + 4u * d;
      O[at] = f32(o.x / l);
      O[at + 1u] = f32(o.y / l);
      O[at + 2u] = f32(o.z / l);
      O[at + 3u] = f32(o.w / l);
      continue;
    }
    partials[out + 4u * d] = o.x;
    partials[out + 4u * d + 1u] = o.y;
    partials[out + 4u * d + 2u] = o.z;
    partials[out + 4u * d + 3u] = o.w;
  }
  if (lid == 0u && !ONE_CHUNK) {
    partials[out + HEAD_DIM] = m;
    partials[out + HEAD_DIM + 1u] = l;
  }
}
