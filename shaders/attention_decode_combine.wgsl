// Attention decode, step 2 of 2: merges the per-chunk statistics of attention_decode.wgsl into the output,
//   M = max_s m_s,   O = Σ_s exp(m_s − M)·o_s / Σ_s exp(m_s − M)·l_s,
// which equals softmax over all visible keys exactly (up to rounding).
//
// Layouts: partials [batch, nHeads, nSplits, HEAD_DIM + 2] f32 (o, m, l); O [batch, nHeads, HEAD_DIM] f32.
// Entry point `mainQuantized`: also XQ, each row b of O (K = nHeads·HEAD_DIM values, HEAD_DIM % 32 == 0) as 8-bit
// blocks in shaders/quantize_activations.wgsl's layout, the same words that kernel writes from O.
// Dispatch: (nHeads, batch) workgroups of 64 threads, one per head of a sequence. `main`: thread t produces dims
// d ≡ t (mod 64). `mainQuantized`: thread t produces the head's 32-value block t (HEAD_DIM/32 threads busy), stores
// it in O and quantizes the same registers, with no barrier (on a CPU adapter a barrier makes every invocation of
// the workgroup a coroutine, which costs more than this step's arithmetic).

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

// The merge of one head: where its chunks' partials start, M and the normaliser Σ_s exp(m_s − M)·l_s.
struct Head {
  base: u32,
  mMax: f32,
  total: f32,
}

fn head(h: u32, b: u32) -> Head {
  let base = (b * p.nHeads + h) * p.nSplits * (HEAD_DIM + 2u);
  var mMax = -1.0e30;
  for (var s = 0u; s < p.nSplits; s++) { mMax = max(mMax, partials[base + s * (HEAD_DIM + 2u) + HEAD_DIM]); }
  var total = 0.0;
  for (var s = 0u; s < p.nSplits; s++) {
    let at = base + s * (HEAD_DIM + 2u);
    total += exp(partials[at + HEAD_DIM] - mMax) * partials[at + HEAD_DIM + 1u];
  }
  return Head(base, mMax, total);
}

// Output dim d of the head.
fn merged(x: Head, d: u32) -> f32 {
  var o = 0.0;
  for (var s = 0u; s < p.nSplits; s++) {
    let at = x.base + s * (HEAD_DIM + 2u);
    o += exp(partials[at + HEAD_DIM] - x.mMax) * partials[at + d];
  }
  return f32(o / x.total);
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let h = wid.x;
  let b = wid.y;
  let x = head(h, b);
  for (var d = lid; d < HEAD_DIM; d += WG) { O[(b * p.nHeads + h) * HEAD_DIM + d] = merged(x, d); }
}

@compute @workgroup_size(WG)
fn mainQuantized(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let h = wid.x;
  let b = wid.y;
  if (lid >= HEAD_DIM / 32u) { return; }
  let x = head(h, b);
  let K = p.nHeads * HEAD_DIM;
  let block = h * (HEAD_DIM / 32u) + lid;
  var values: array<vec4<f32>, 8>;
  for (var i = 0u; i < 8u; i++) {
    let d = 32u * lid + 4u * i;
    values[i] = vec4<f32>(merged(x, d), merged(x, d + 1u), merged(x, d + 2u), merged(x, d + 3u));
    let at = b * K + 32u * block + 4u * i;
    O[at] = values[i].x;
    O[at + 1u] = values[i].y;
    O[at + 2u] = values[i].z;
    O[at + 3u] = values[i].w;
  }
  storeQuantizedBlock(&XQ, K, b, block, values, values);
}
