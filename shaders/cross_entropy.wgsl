// Softmax cross-entropy over the vocabulary for one chunk of rows (tokens), one row per workgroup:
//
//   lse[t]  = log Σ_j exp(logits[r, j])             (max-subtracted: m + log Σ_j exp(logits[r, j] − m))
//   loss[t] = lse[t] − logits[r, label[t]]          (0 where the label is masked: negative or ≥ vocab)
//   with WRITE_GRAD, the logits are then overwritten in place with their gradient (fused backward):
//   dlogits[r, j] = scale · (exp(logits[r, j] − lse[t]) − [j == label[t]])   (0 on masked rows)
//
// where t = rowOffset + r: the caller computes logits a chunk of rows at a time, so a 32k–152k vocabulary never
// needs more than [rows, vocab] floats, while labels, loss and lse span the whole batch of tokens.
// Layout: logits [rows, vocab] f32 (read_write for WRITE_GRAD); labels [tokens] i32; loss, lse [tokens] f32.
// Each thread keeps a running (max, sum) over a strided slice of the row (one pass over the logits), then the
// workgroup merges the pairs in a tree.
// Dispatch: `rows` workgroups of WG threads, spread over x and y.

struct Params {
  rows: u32,
  vocab: u32,
  rowOffset: u32,
  scale: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> logits: array<f32>;
@group(0) @binding(2) var<storage, read> labels: array<i32>;
@group(0) @binding(3) var<storage, read_write> loss: array<f32>;
@group(0) @binding(4) var<storage, read_write> lse: array<f32>;

override WG: u32 = 256u;
override WRITE_GRAD: bool = false;

// Finite, so that merging two empty slices computes exp(0)·0 instead of exp(−inf − (−inf)) = NaN.
const LOWEST = -3.402823e38;

var<workgroup> maxes: array<f32, WG>;
var<workgroup> sums: array<f32, WG>;
var<workgroup> labelLogit: f32;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let r = wid.y * groups.x + wid.x;
  if (r >= p.rows) { return; }
  let t = p.rowOffset + r;
  let base = r * p.vocab;
  let label = labels[t];
  let valid = label >= 0 && u32(label) < p.vocab;

  var m = LOWEST;
  var s = 0.0;
  for (var j = lid; j < p.vocab; j += WG) {
    let v = logits[base + j];
    if (v > m) {
      s = s * exp(m - v) + 1.0;
      m = v;
    } else {
      s += exp(v - m);
    }
  }
  maxes[lid] = m;
  sums[lid] = s;
  // Read before the barrier: with WRITE_GRAD the logits are overwritten after the reduction.
  if (lid == 0u && valid) { labelLogit = logits[base + u32(label)]; }
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride /= 2u) {
    if (lid < stride) {
      let m1 = maxes[lid];
      let m2 = maxes[lid + stride];
      let mm = max(m1, m2);
      sums[lid] = sums[lid] * exp(m1 - mm) + sums[lid + stride] * exp(m2 - mm);
      maxes[lid] = mm;
    }
    workgroupBarrier();
  }
  let rowLse = maxes[0] + log(sums[0]);
  if (lid == 0u) {
    lse[t] = rowLse;
    loss[t] = select(0.0, rowLse - labelLogit, valid);
  }

  if (WRITE_GRAD) {
    for (var j = lid; j < p.vocab; j += WG) {
      var g = 0.0;
      if (valid) {
        g = exp(logits[base + j] - rowLse) - select(0.0, 1.0, i32(j) == label);
      }
      logits[base + j] = p.scale * g;
    }
  }
}
