// Benchmark baseline for attention (not used by the model): the textbook path that materialises the scores.
// With S = scale·Q·Kᵀ from the tiled matmul, `softmax` turns each row of S into causal probabilities in place
// (P_ij = exp(S_ij − max) / Σ for j ≤ i, 0 above the diagonal); `softmaxBackward` turns dP = dO·Vᵀ into
// dS = P ∘ (dP − rowsum(P ∘ dP)) in place.
//
// Layouts: S, P, dP [heads, seq, seq] f32, one row per (head, query). Dispatch: heads·seq workgroups of 64 threads
// spread over x and y (gpu/grid.ts grid2d); each workgroup reduces one row through workgroup memory.

struct Params {
  seq: u32,
  rows: u32, // heads · seq
  _pad0: u32,
  _pad1: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> S: array<f32>;
@group(0) @binding(2) var<storage, read> P: array<f32>; // softmaxBackward only: the probabilities

const WG = 64u;
var<workgroup> red: array<f32, WG>;

fn reduce(lid: u32, value: f32, isMax: bool) -> f32 {
  red[lid] = value;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride /= 2u) {
    if (lid < stride) {
      if (isMax) { red[lid] = max(red[lid], red[lid + stride]); } else { red[lid] += red[lid + stride]; }
    }
    workgroupBarrier();
  }
  let result = red[0];
  workgroupBarrier();
  return result;
}

@compute @workgroup_size(WG)
fn softmax(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let r = wid.y * groups.x + wid.x;
  if (r >= p.rows) { return; } // surplus workgroups of the 2D grid (uniform per workgroup)
  let i = r % p.seq;
  let base = r * p.seq;
  var m = -1.0e30;
  for (var j = lid; j <= i; j += WG) { m = max(m, S[base + j]); }
  m = reduce(lid, m, true);
  var sum = 0.0;
  for (var j = lid; j <= i; j += WG) { sum += exp(S[base + j] - m); }
  sum = reduce(lid, sum, false);
  for (var j = lid; j < p.seq; j += WG) { S[base + j] = select(0.0, exp(S[base + j] - m) / sum, j <= i); }
}

@compute @workgroup_size(WG)
fn softmaxBackward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let r = wid.y * groups.x + wid.x;
  if (r >= p.rows) { return; }
  let base = r * p.seq;
  var dot = 0.0;
  for (var j = lid; j < p.seq; j += WG) { dot += P[base + j] * S[base + j]; }
  dot = reduce(lid, dot, false);
  for (var j = lid; j < p.seq; j += WG) { S[base + j] = P[base + j] * (S[base + j] - dot); }
}
