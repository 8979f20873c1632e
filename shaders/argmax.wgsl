// Greedy decoding: the index of the largest logit in each row; ties go to the lowest index (as llama.cpp's greedy
// sampler). NaN logits never win.
//
// Layout: logits [rows, vocab] f32; out [rows] u32.
// Each thread scans a strided slice keeping its first maximum, then the workgroup merges (value, index) pairs
// preferring the larger value, then the lower index.
// Dispatch: `rows` workgroups of WG threads, spread over x and y.

struct Params {
  rows: u32,
  vocab: u32,
  _pad0: u32,
  _pad1: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<u32>;

override WG: u32 = 256u;

const NONE = 0xffffffffu;

var<workgroup> bestValue: array<f32, WG>;
var<workgroup> bestIndex: array<u32, WG>;

fn better(v1: f32, i1: u32, v2: f32, i2: u32) -> bool {
  if (i2 == NONE) { return i1 != NONE; }
  if (i1 == NONE) { return false; }
  return v1 > v2 || (v1 == v2 && i1 < i2);
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let row = wid.y * groups.x + wid.x;
  if (row >= p.rows) { return; }
  let base = row * p.vocab;
  var v = 0.0;
  var index = NONE;
  for (var j = lid; j < p.vocab; j += WG) {
    let x = logits[base + j];
    // x == x is false only for NaN.
    if (x == x && (index == NONE || x > v)) {
      v = x;
      index = j;
    }
  }
  bestValue[lid] = v;
  bestIndex[lid] = index;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride /= 2u) {
    if (lid < stride && better(bestValue[lid + stride], bestIndex[lid + stride], bestValue[lid], bestIndex[lid])) {
      bestValue[lid] = bestValue[lid + stride];
      bestIndex[lid] = bestIndex[lid + stride];
    }
    workgroupBarrier();
  }
  if (lid == 0u) { out[row] = select(bestIndex[0], 0u, bestIndex[0] == NONE); }
}
