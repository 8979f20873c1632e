// KV store: the decode step's new key and value rows scattered into their sequences' cache slots.
//
//   Kc[(firstSlot + r)·slotValues + at[r]·rowValues + i] = k[r·rowValues + i]    (and V from v the same way)
//   for r < rows with at[r] ≠ SKIP, i < rowValues.
//
//   k, v: [rows, rowValues] act_t, the step's projections (rowValues = nKvHeads·headDim). at: [rows] u32, the
//   position each row is stored at, SKIP (0xffffffff) for a row whose sequence sits the step out (its cache must
//   stay untouched). Kc, Vc: one layer's batch cache, [slots, slotPositions, nKvHeads, headDim] f32 (slotValues =
//   slotPositions·rowValues).
//
// One dispatch per layer for K and V together, where per-row buffer copies would break the compute pass twice per
// row. Dispatch: (ceil(rowValues / WG), rows) workgroups of WG threads, thread i of row r moving value i.

struct Params {
  rows: u32,
  rowValues: u32,
  slotValues: u32,
  firstSlot: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> at: array<u32>;
@group(0) @binding(2) var<storage, read> k: array<act_t>;
@group(0) @binding(3) var<storage, read> v: array<act_t>;
@group(0) @binding(4) var<storage, read_write> Kc: array<f32>;
@group(0) @binding(5) var<storage, read_write> Vc: array<f32>;

override WG: u32 = 64u;
const SKIP = 0xffffffffu;

@compute @workgroup_size(WG, 1, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  let r = gid.y;
  if (i >= p.rowValues || r >= p.rows) { return; }
  let position = at[r];
  if (position == SKIP) { return; }
  let src = r * p.rowValues + i;
  let dst = (p.firstSlot + r) * p.slotValues + position * p.rowValues + i;
  Kc[dst] = f32(k[src]);
  Vc[dst] = f32(v[src]);
}
