// KV store: a forward step's new key and value rows written into their sequences' cache slots, in the cache's
// stored format (shaders/stored_values.wgsl: f16 pairs with KV_F16, else f32).
//
//   Kc[s(r)·slotValues + at[r]·rowValues + i] = k[r·rowValues + i]    (and V from v the same way)
//   for r < rows with at[r] ≠ SKIP, i < rowValues;  s(r) = firstSlot + r, or firstSlot for every row with ONE_SLOT.
//
//   k, v: [rows, rowValues] f32, the step's projections (rowValues = nKvHeads·headDim, even). at: [rows] u32, the
//   position each row is stored at, SKIP (0xffffffff) for a row whose sequence sits the step out (its cache must
//   stay untouched). Kc, Vc: one layer's cache, [slots, slotPositions, nKvHeads, headDim] stored values
//   (slotValues = slotPositions·rowValues, even): a batch cache one slot per row, or with ONE_SLOT the one-sequence
//   cache (KvCache) that a prefill step fills at consecutive positions.
//
// One dispatch per layer for K and V together, where per-row buffer copies would break the compute pass twice per
// row (and could not convert to f16). Dispatch: (ceil(rowValues / 2 / WG), rows) workgroups of WG threads, thread i
// of row r moving values 2i and 2i + 1 (one stored word in f16 pairs: one writer per word).

struct Params {
  rows: u32,
  rowValues: u32,
  slotValues: u32,
  firstSlot: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> at: array<u32>;
@group(0) @binding(2) var<storage, read> k: array<f32>;
@group(0) @binding(3) var<storage, read> v: array<f32>;
@group(0) @binding(4) var<storage, read_write> Kc: array<u32>;
@group(0) @binding(5) var<storage, read_write> Vc: array<u32>;

override WG: u32 = 64u;
override KV_F16: bool = true;
override ONE_SLOT: bool = false;
const SKIP = 0xffffffffu;

//! include stored_values

@compute @workgroup_size(WG, 1, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = 2u * gid.x;
  let r = gid.y;
  if (i >= p.rowValues || r >= p.rows) { return; }
  let position = at[r];
  if (position == SKIP) { return; }
  let src = r * p.rowValues + i;
  let slot = select(p.firstSlot + r, p.firstSlot, ONE_SLOT);
  let dst = slot * p.slotValues + position * p.rowValues + i;
  storeStoredPair(&Kc, dst, vec2<f32>(f32(k[src]), f32(k[src + 1u])), KV_F16);
  storeStoredPair(&Vc, dst, vec2<f32>(f32(v[src]), f32(v[src + 1u])), KV_F16);
}
