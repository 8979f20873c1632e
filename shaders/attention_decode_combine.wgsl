// Attention decode, step 2 of 2: merges the per-chunk statistics of attention_decode.wgsl into the output,
//   M = max_s m_s,   O = Σ_s exp(m_s − M)·o_s / Σ_s exp(m_s − M)·l_s,
// which equals softmax over all visible keys exactly (up to rounding).
//
// Layouts: partials [batch, nHeads, nSplits, HEAD_DIM + 2] f32 (o, m, l); O [batch, nHeads, HEAD_DIM] f32.
// Entry point `mainQuantized`: also XQ, each row b of O (K = nHeads·HEAD_DIM values, HEAD_DIM % 32 == 0) as 8-bit
// blocks in shaders/quantize_activations.wgsl's layout, the same words that kernel writes from O; the workgroup
// quantizes its head's blocks (quantize_head.wgsl).
// Dispatch: (nHeads, batch) workgroups of 64 threads, each thread producing dims d ≡ t (mod 64).

struct Params {
  nHeads: u32,
  nSplits: u32,
  _pad0: u32,
  _pad1: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> partials: array<f32>;
@group(0) @binding(2) var<storage, read_write> O: array<f32>;
@group(0) @binding(3) var<storage, read_write> XQ: array<u32>; // mainQuantized only

override HEAD_DIM: u32 = 128u;

const WG = 64u;

//! include quantized_rows
//! include quantize_block
//! include quantize_head

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  combineHead(wid, lid);
}

@compute @workgroup_size(WG)
fn mainQuantized(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  combineHead(wid, lid);
  storeQuantizedHead(&O, &XQ, p.nHeads * HEAD_DIM, wid.y, wid.x, HEAD_DIM, lid, WG);
}

// Head wid.x of sequence wid.y: the merged output in O.
fn combineHead(wid: vec3<u32>, lid: u32) {
  let h = wid.x;
  let b = wid.y;
  let base = (b * p.nHeads + h) * p.nSplits * (HEAD_DIM + 2u);
  var mMax = -1.0e30;
  for (var s = 0u; s < p.nSplits; s++) { mMax = max(mMax, partials[base + s * (HEAD_DIM + 2u) + HEAD_DIM]); }
  var total = 0.0;
  for (var s = 0u; s < p.nSplits; s++) {
    let at = base + s * (HEAD_DIM + 2u);
    total += exp(partials[at + HEAD_DIM] - mMax) * partials[at + HEAD_DIM + 1u];
  }
  for (var d = lid; d < HEAD_DIM; d += WG) {
    var o = 0.0;
    for (var s = 0u; s < p.nSplits; s++) {
      let at = base + s * (HEAD_DIM + 2u);
      o += exp(partials[at + HEAD_DIM] - mMax) * partials[at + d];
    }
    O[(b * p.nHeads + h) * HEAD_DIM + d] = f32(o / total);
  }
}
