// Attention backward, key side: for each key j of KV head g,
//   dV_j = Σ_h Σ_i P_hij · dO_hi        dK_j = scale · Σ_h Σ_i dS_hij · Q_hi,   dS = P ∘ (dP − D), dP = dO·Vᵀ,
// summed over the query heads h that share KV head g (grouped-query attention) and the queries i that see j.
// P = exp(scale·q·k − LSE) is recomputed from Q, K and the forward's LSE; D = rowsum(dO ∘ O) comes from
// attention_backward_rowdot.wgsl. Each workgroup owns BKV keys of one KV head and loops over all its query heads and
// query tiles itself, so dK/dV need no cross-workgroup accumulation (WGSL has no f32 atomics).
//
// Layouts (elements, row-major): Q [batch, qLen, nHeads, HEAD_DIM] f32; K, V [batch, kvLen, nKvHeads, HEAD_DIM]
// f32; dO [batch, qLen, nHeads, HEAD_DIM] f32; dK, dV [batch, kvLen, nKvHeads, HEAD_DIM] f32, written;
// LSE, D [batch, nHeads, qLen] f32; segStart [batch, qLen] u32, non-decreasing (read only when HAS_SEGMENTS).
// Masking as in attention.wgsl: query i at position p = kvLen − qLen + i sees key j iff j ≤ p, j > p − window
// (window 0: unlimited) and j ≥ segStart[i].
//
// Dispatch: (ceil(kvLen / BKV), nKvHeads, batch) workgroups of BKV·ROW_THREADS threads. Each key row is owned by
// ROW_THREADS threads holding interleaved slices of k, v, dK and dV; Q and dO tiles of BQT queries stream through
// workgroup memory, and q·k, dO·v are summed across a row's threads through workgroup memory.

struct Params {
  qLen: u32,
  kvLen: u32,
  nHeads: u32,
  nKvHeads: u32,
  scale: f32,
  window: u32,
  _pad0: u32,
  _pad1: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> Q: array<f32>;
@group(0) @binding(2) var<storage, read> K: array<f32>;
@group(0) @binding(3) var<storage, read> V: array<f32>;
@group(0) @binding(4) var<storage, read> segStart: array<u32>;
@group(0) @binding(5) var<storage, read> dO: array<f32>;
@group(0) @binding(6) var<storage, read> LSE: array<f32>;
@group(0) @binding(7) var<storage, read> D: array<f32>;
@group(0) @binding(8) var<storage, read_write> dK: array<f32>;
@group(0) @binding(9) var<storage, read_write> dV: array<f32>;

override HEAD_DIM: u32 = 128u;
override ROW_THREADS: u32 = 8u;
override BKV: u32 = 32u;
override HAS_SEGMENTS: bool = false;
override DT: u32 = HEAD_DIM / ROW_THREADS;
override THREADS: u32 = BKV * ROW_THREADS;

const DT_CAP = 32u;
const BQT = 8u; // queries per tile

var<workgroup> qTile: array<f32, BQT * HEAD_DIM>;   // [query][d]
var<workgroup> doTile: array<f32, BQT * HEAD_DIM>;
var<workgroup> lseTile: array<f32, BQT>;
var<workgroup> dTile: array<f32, BQT>;
var<workgroup> segTile: array<u32, BQT>;
var<workgroup> partS: array<f32, BQT * THREADS>;    // [query][t][key] partial q·k
var<workgroup> partP: array<f32, BQT * THREADS>;    // [query][t][key] partial dO·v
var<workgroup> queryEnd: u32;

// One past the last query (index) whose packed sequence starts at or before key jLast; segStart is non-decreasing.
fn segmentQueryEnd(b: u32, begin: u32, end: u32, jLast: u32) -> u32 {
  var lo = begin;
  var hi = end;
  while (lo < hi) {
    let mid = (lo + hi) / 2u;
    if (segStart[b * p.qLen + mid] > jLast) { hi = mid; } else { lo = mid + 1u; }
  }
  return lo;
}

@compute @workgroup_size(THREADS)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let b = wid.z;
  let g = wid.y;
  let group = p.nHeads / p.nKvHeads;
  let krow = lid / ROW_THREADS;
  let t = lid % ROW_THREADS;
  let j0 = wid.x * BKV;
  let j = j0 + krow;
  let valid = j < p.kvLen;
  let jc = min(j, p.kvLen - 1u);
  let jLast = min(j0 + BKV, p.kvLen) - 1u;
  let qOffset = p.kvLen - p.qLen;

  // Queries that can see some key of this block: position ≥ j0 (causal) and < jLast + window (sliding window).
  let iBegin = select(0u, j0 - qOffset, j0 > qOffset);
  var iEnd = p.qLen;
  if (p.window > 0u) { iEnd = min(iEnd, select(0u, jLast + p.window - qOffset, jLast + p.window > qOffset)); }
  if (lid == 0u) {
    queryEnd = iEnd;
    if (HAS_SEGMENTS && iBegin < iEnd) { queryEnd = segmentQueryEnd(b, iBegin, iEnd, jLast); }
  }
  iEnd = workgroupUniformLoad(&queryEnd);

  var k: array<f32, DT_CAP>;
  var v: array<f32, DT_CAP>;
  var dk: array<f32, DT_CAP>;
  var dv: array<f32, DT_CAP>;
  let kvBase = ((b * p.kvLen + jc) * p.nKvHeads + g) * HEAD_DIM;
  for (var c = 0u; c < DT; c++) {
    k[c] = f32(K[kvBase + c * ROW_THREADS + t]);
    v[c] = f32(V[kvBase + c * ROW_THREADS + t]);
    dk[c] = 0.0;
    dv[c] = 0.0;
  }

  for (var h = g * group; h < (g + 1u) * group; h++) {
    for (var i0 = iBegin; i0 < iEnd; i0 += BQT) {
      for (var e = lid; e < BQT * HEAD_DIM; e += THREADS) {
        let i = min(i0 + e / HEAD_DIM, iEnd - 1u);
        let at = ((b * p.qLen + i) * p.nHeads + h) * HEAD_DIM + e % HEAD_DIM;
        qTile[e] = f32(Q[at]);
        doTile[e] = dO[at];
      }
      // A loop, not `if (lid < BQT)`: a CPU adapter's workgroups may have fewer than BQT threads.
      for (var e = lid; e < BQT; e += THREADS) {
        let i = min(i0 + e, iEnd - 1u);
        lseTile[e] = LSE[(b * p.nHeads + h) * p.qLen + i];
        dTile[e] = D[(b * p.nHeads + h) * p.qLen + i];
        segTile[e] = 0u;
        if (HAS_SEGMENTS) { segTile[e] = segStart[b * p.qLen + i]; }
      }
      workgroupBarrier();
      for (var ii = 0u; ii < BQT; ii++) {
        var s = 0.0;
        var dp = 0.0;
        for (var c = 0u; c < DT; c++) {
          let at = ii * HEAD_DIM + c * ROW_THREADS + t;
          s = fma(k[c], qTile[at], s);
          dp = fma(v[c], doTile[at], dp);
        }
        partS[(ii * ROW_THREADS + t) * BKV + krow] = s;
        partP[(ii * ROW_THREADS + t) * BKV + krow] = dp;
      }
      workgroupBarrier();
      for (var ii = 0u; ii < BQT; ii++) {
        var s = 0.0;
        var dp = 0.0;
        for (var u = 0u; u < ROW_THREADS; u++) {
          s += partS[(ii * ROW_THREADS + u) * BKV + krow];
          dp += partP[(ii * ROW_THREADS + u) * BKV + krow];
        }
        let i = i0 + ii;
        let pos = qOffset + i;
        let allowed = valid && i < iEnd && j <= pos && (p.window == 0u || j + p.window > pos) && j >= segTile[ii];
        let prob = select(0.0, exp(s * p.scale - lseTile[ii]), allowed);
        let ds = prob * (dp - dTile[ii]);
        for (var c = 0u; c < DT; c++) {
          let at = ii * HEAD_DIM + c * ROW_THREADS + t;
          dv[c] = fma(prob, doTile[at], dv[c]);
          dk[c] = fma(ds, qTile[at], dk[c]);
        }
      }
      workgroupBarrier();
    }
  }

  if (!valid) { return; }
  for (var c = 0u; c < DT; c++) {
    dK[kvBase + c * ROW_THREADS + t] = dk[c] * p.scale;
    dV[kvBase + c * ROW_THREADS + t] = dv[c];
  }
}
