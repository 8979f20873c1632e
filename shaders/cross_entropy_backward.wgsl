// Backward of the chunked softmax cross-entropy (shaders/cross_entropy.wgsl) from its saved log-sum-exp, in place:
//
//   dlogits[r, j] = scale · (exp(logits[r, j] − lse[t]) − [j == label[t]]),   t = rowOffset + r; 0 on masked rows
//
// `scale` is typically 1 / (unmasked tokens in the batch), making this the gradient of the mean loss.
// Layout: logits [rows, vocab] f32, overwritten with dlogits; labels [tokens] i32; lse [tokens] f32.
// Dispatch: one thread per logit, ceil(rows·vocab / WG) workgroups spread over x and y.

struct Params {
  rows: u32,
  vocab: u32,
  rowOffset: u32,
  scale: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> logits: array<f32>;
@group(0) @binding(2) var<storage, read> labels: array<i32>;
@group(0) @binding(3) var<storage, read> lse: array<f32>;

override WG: u32 = 256u;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = (wid.y * groups.x + wid.x) * WG + lid;
  if (i >= p.rows * p.vocab) { return; }
  let r = i / p.vocab;
  let j = i - r * p.vocab;
  let t = p.rowOffset + r;
  let label = labels[t];
  var g = 0.0;
  if (label >= 0 && u32(label) < p.vocab) {
    g = exp(logits[i] - lse[t]) - select(0.0, 1.0, i32(j) == label);
  }
  logits[i] = p.scale * g;
}
