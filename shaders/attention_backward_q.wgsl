// Attention backward, query side: dQ = scale · dS·K with dS = P ∘ (dP − D), recomputing the probabilities
// P = exp(scale·q·k − LSE) from Q, K and the forward's saved LSE (no score matrix is stored), dP = dO·Vᵀ and
// D = rowsum(dO ∘ O) from attention_backward_rowdot.wgsl.
//
// Layouts (elements, row-major): Q [batch, qLen, nHeads, HEAD_DIM] f32; K, V at
// b·kvStrideBatch + j·kvStrideToken + g·kvStrideHead + d, f32; dO, dQ [batch, qLen, nHeads, HEAD_DIM] f32;
// LSE, D [batch, nHeads, qLen] f32; segStart [batch, qLen] u32 (read only when HAS_SEGMENTS).
// Masking is the forward's (attention.wgsl): query i at position p = kvLen − qLen + i sees key j iff j ≤ p,
// j > p − window (window 0: unlimited) and j ≥ segStart[i].
//
// Dispatch: (ceil(qLen / BQ), nHeads, batch) workgroups of BQ·ROW_THREADS threads. As in the forward, each query
// row is owned by ROW_THREADS threads holding interleaved slices of q, dO and dQ; K and V tiles of BK keys stream
// through workgroup memory. Each workgroup owns its dQ rows, so nothing is accumulated across workgroups.

//! include attention_rows

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> Q: array<f32>;
@group(0) @binding(2) var<storage, read> K: array<f32>;
@group(0) @binding(3) var<storage, read> V: array<f32>;
@group(0) @binding(4) var<storage, read> segStart: array<u32>;
@group(0) @binding(5) var<storage, read> dO: array<f32>;
@group(0) @binding(6) var<storage, read> LSE: array<f32>;
@group(0) @binding(7) var<storage, read> D: array<f32>;
@group(0) @binding(8) var<storage, read_write> dQ: array<f32>;

override HEAD_DIM: u32 = 128u;
override ROW_THREADS: u32 = 4u;
override BQ: u32 = 64u;
override HAS_SEGMENTS: bool = false;
override DT: u32 = HEAD_DIM / ROW_THREADS;
override THREADS: u32 = BQ * ROW_THREADS;

const DT_CAP = 32u;
const BK = 8u;

var<workgroup> kTile: array<f32, BK * HEAD_DIM>;  // [key][d]
var<workgroup> vTile: array<f32, BK * HEAD_DIM>;
var<workgroup> partS: array<f32, BK * THREADS>;   // [key][t][row] partial q·k
var<workgroup> partP: array<f32, BK * THREADS>;   // [key][t][row] partial dO·v
var<workgroup> firstKey: u32;

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
  let keyEnd = p.kvLen - p.qLen + min(i0 + BQ, p.qLen);

  var q: array<f32, DT_CAP>;
  var dout: array<f32, DT_CAP>;
  var dq: array<f32, DT_CAP>;
  let base = ((b * p.qLen + ic) * p.nHeads + h) * HEAD_DIM;
  for (var c = 0u; c < DT; c++) {
    q[c] = f32(Q[base + c * ROW_THREADS + t]);
    dout[c] = dO[base + c * ROW_THREADS + t];
    dq[c] = 0.0;
  }
  let stat = (b * p.nHeads + h) * p.qLen + ic;
  let lse = LSE[stat];
  let rowDot = D[stat];
  let kvHead = b * p.kvStrideBatch + g * p.kvStrideHead;

  for (var k0 = keyBegin; k0 < keyEnd; k0 += BK) {
    for (var e = lid; e < BK * HEAD_DIM; e += THREADS) {
      let j = k0 + e / HEAD_DIM;
      let at = kvHead + min(j, keyEnd - 1u) * p.kvStrideToken + e % HEAD_DIM;
      kTile[e] = select(0.0, f32(K[at]), j < keyEnd);
      vTile[e] = select(0.0, f32(V[at]), j < keyEnd);
    }
    workgroupBarrier();
    for (var jj = 0u; jj < BK; jj++) {
      var s = 0.0;
      var dp = 0.0;
      for (var c = 0u; c < DT; c++) {
        let at = jj * HEAD_DIM + c * ROW_THREADS + t;
        s = fma(q[c], kTile[at], s);
        dp = fma(dout[c], vTile[at], dp);
      }
      partS[(jj * ROW_THREADS + t) * BQ + row] = s;
      partP[(jj * ROW_THREADS + t) * BQ + row] = dp;
    }
    workgroupBarrier();
    for (var jj = 0u; jj < BK; jj++) {
      var s = 0.0;
      var dp = 0.0;
      for (var u = 0u; u < ROW_THREADS; u++) {
        s += partS[(jj * ROW_THREADS + u) * BQ + row];
        dp += partP[(jj * ROW_THREADS + u) * BQ + row];
      }
      let j = k0 + jj;
      let allowed = valid && j <= pos && j >= lo;
      let ds = select(0.0, exp(s * p.scale - lse) * (dp - rowDot), allowed);
      for (var c = 0u; c < DT; c++) { dq[c] = fma(ds, kTile[jj * HEAD_DIM + c * ROW_THREADS + t], dq[c]); }
    }
    workgroupBarrier();
  }

  if (!valid) { return; }
  for (var c = 0u; c < DT; c++) { dQ[base + c * ROW_THREADS + t] = dq[c] * p.scale; }
}
