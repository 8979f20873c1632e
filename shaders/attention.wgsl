// Causal grouped-query attention, flash-style forward: O = softmax(Q·Kᵀ·scale + mask)·V, plus the per-row
// log-sum-exp LSE of the scaled, masked scores (saved for the backward pass). The seq×seq score matrix is never
// stored: keys stream through workgroup memory in tiles of BK and each row keeps an online softmax (running max m,
// running sum l, unnormalised output o; a new tile rescales them by exp(m_old − m_new)).
//
// Layouts (elements, row-major):
//   Q, O:  [batch, qLen, nHeads, HEAD_DIM]
//   K, V:  element (b, position j, kv head g, d) at b·kvStrideBatch + j·kvStrideToken + g·kvStrideHead + d, so both the
//          projections' token-major [batch, kvLen, nKvHeads, HEAD_DIM] and a cache's [batch, nKvHeads, maxCtx, HEAD_DIM]
//          can be read in place; stored values (shaders/stored_values.wgsl): f16 pairs with KV_F16 (a KV cache),
//          else f32 (the projections' output, or an f32 cache).
//   segStart: [batch, qLen] u32, read only when HAS_SEGMENTS (bind any read-only buffer otherwise).
//   LSE:   [batch, nHeads, qLen] f32.
// Query i is at position p = kvLen − qLen + i and sees key j iff j ≤ p, j > p − window (window 0: unlimited) and,
// with HAS_SEGMENTS, j ≥ segStart[i] (segStart non-decreasing along a row).
//
// Dispatch: (ceil(qLen / BQ), nHeads, batch) workgroups of BQ·ROW_THREADS threads. The ROW_THREADS threads of a row
// each own the dims d ≡ t (mod ROW_THREADS) of q and o in registers (interleaved so that neighbouring threads read
// neighbouring workgroup-memory words); q·k is summed across them through workgroup memory. K and V of a tile share
// one staging buffer (K is dead once the partial dot products are written), which keeps HEAD_DIM 128 within 32 KiB.

//! include attention_rows

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> Q: array<f32>;
@group(0) @binding(2) var<storage, read> K: array<u32>;
@group(0) @binding(3) var<storage, read> V: array<u32>;
@group(0) @binding(4) var<storage, read> segStart: array<u32>;
@group(0) @binding(5) var<storage, read_write> O: array<f32>;
@group(0) @binding(6) var<storage, read_write> LSE: array<f32>;

override HEAD_DIM: u32 = 128u;
override ROW_THREADS: u32 = 4u;
override BQ: u32 = 64u;
override HAS_SEGMENTS: bool = false;
override KV_F16: bool = false;
override DT: u32 = HEAD_DIM / ROW_THREADS; // dims per thread, at most DT_CAP
override THREADS: u32 = BQ * ROW_THREADS;

const DT_CAP = 32u; // per-thread register arrays need a constant size
const BK = 16u;      // keys per tile
const NEG = -1.0e30; // "no score yet"; finite so that exp(NEG − m) is 0, never NaN

var<workgroup> kv: array<f32, BK * HEAD_DIM>;        // [key][d], K then V of the current tile
var<workgroup> part: array<f32, BK * THREADS>;       // [key][t][row] partial q·k over a thread's dims
var<workgroup> firstKey: u32;

//! include stored_values

@compute @workgroup_size(THREADS)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let b = wid.z;
  let h = wid.y;
  let g = h / (p.nHeads / p.nKvHeads);
  let row = lid / ROW_THREADS;
  let t = lid % ROW_THREADS;
  let i0 = wid.x * BQ;
  let i = i0 + row;
  let valid = i < p.qLen;
  let ic = min(i, p.qLen - 1u);
  let pos = p.kvLen - p.qLen + ic;
  let lo = rowFirstKey(b, ic);

  if (lid == 0u) { firstKey = rowFirstKey(b, i0); }
  let keyBegin = workgroupUniformLoad(&firstKey);
  let keyEnd = p.kvLen - p.qLen + min(i0 + BQ, p.qLen); // one past the last row's position

  var q: array<f32, DT_CAP>;
  var o: array<f32, DT_CAP>;
  let qBase = ((b * p.qLen + ic) * p.nHeads + h) * HEAD_DIM;
  for (var c = 0u; c < DT; c++) {
    q[c] = f32(Q[qBase + c * ROW_THREADS + t]);
    o[c] = 0.0;
  }
  var m = NEG;
  var l = 0.0;
  let kvHead = b * p.kvStrideBatch + g * p.kvStrideHead;

  for (var k0 = keyBegin; k0 < keyEnd; k0 += BK) {
    for (var e = lid; e < BK * HEAD_DIM; e += THREADS) {
      let j = k0 + e / HEAD_DIM;
      kv[e] = select(0.0, loadStored(&K, kvHead + min(j, keyEnd - 1u) * p.kvStrideToken + e % HEAD_DIM, KV_F16), j < keyEnd);
    }
    workgroupBarrier();
    for (var jj = 0u; jj < BK; jj++) {
      var dot = 0.0;
      for (var c = 0u; c < DT; c++) { dot = fma(q[c], kv[jj * HEAD_DIM + c * ROW_THREADS + t], dot); }
      part[(jj * ROW_THREADS + t) * BQ + row] = dot;
    }
    workgroupBarrier();

    // K is dead: stage V while the rows turn their scores into probabilities.
    for (var e = lid; e < BK * HEAD_DIM; e += THREADS) {
      let j = k0 + e / HEAD_DIM;
      kv[e] = select(0.0, loadStored(&V, kvHead + min(j, keyEnd - 1u) * p.kvStrideToken + e % HEAD_DIM, KV_F16), j < keyEnd);
    }
    var s: array<f32, BK>;
    var tileMax = NEG;
    for (var jj = 0u; jj < BK; jj++) {
      var dot = 0.0;
      for (var u = 0u; u < ROW_THREADS; u++) { dot += part[(jj * ROW_THREADS + u) * BQ + row]; }
      let j = k0 + jj;
      let allowed = valid && j <= pos && j >= lo;
      s[jj] = select(NEG, dot * p.scale, allowed);
      tileMax = max(tileMax, s[jj]);
    }
    let mNew = max(m, tileMax);
    let rescale = exp(m - mNew);
    l *= rescale;
    for (var c = 0u; c < DT; c++) { o[c] *= rescale; }
    for (var jj = 0u; jj < BK; jj++) {
      s[jj] = select(0.0, exp(s[jj] - mNew), s[jj] > NEG);
      l += s[jj];
    }
    m = mNew;
    workgroupBarrier();

    for (var jj = 0u; jj < BK; jj++) {
      let pj = s[jj];
      for (var c = 0u; c < DT; c++) { o[c] = fma(pj, kv[jj * HEAD_DIM + c * ROW_THREADS + t], o[c]); }
    }
    workgroupBarrier();
  }

  if (!valid) { return; }
  // A row with no visible key (only possible with an invalid segStart) gets O = 0 and LSE = NEG.
  let inv = select(0.0, 1.0 / l, l > 0.0);
  for (var c = 0u; c < DT; c++) { O[qBase + c * ROW_THREADS + t] = f32(o[c] * inv); }
  if (t == 0u) { LSE[(b * p.nHeads + h) * p.qLen + i] = select(NEG, m + log(l), l > 0.0); }
}
