// The batch loss: mean of the per-token cross-entropy over unmasked tokens, in one workgroup.
//
//   out[0] = Σ_t loss[t] / count   (0 when every label is masked)
//   out[1] = count = #{t : 0 ≤ label[t] < vocab}
//   out[2] = Σ_t loss[t]
//
// Layout: labels [tokens] i32; loss [tokens] f32 (masked entries are 0); out [3] f32.
// Dispatch: one workgroup of WG threads.

struct Params {
  tokens: u32,
  vocab: u32,
  _pad0: u32,
  _pad1: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> labels: array<i32>;
@group(0) @binding(2) var<storage, read> loss: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

override WG: u32 = 256u;

var<workgroup> sums: array<f32, WG>;
var<workgroup> counts: array<u32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) lid: u32) {
  var s = 0.0;
  var c = 0u;
  for (var t = lid; t < p.tokens; t += WG) {
    let label = labels[t];
    if (label >= 0 && u32(label) < p.vocab) {
      s += loss[t];
      c += 1u;
    }
  }
  sums[lid] = s;
  counts[lid] = c;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride /= 2u) {
    if (lid < stride) {
      sums[lid] += sums[lid + stride];
      counts[lid] += counts[lid + stride];
    }
    workgroupBarrier();
  }
  if (lid == 0u) {
    let count = counts[0];
    out[0] = select(0.0, sums[0] / f32(count), count > 0u);
    out[1] = f32(count);
    out[2] = sums[0];
  }
}
