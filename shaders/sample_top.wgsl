// Top-k / top-p (nucleus) sampling of one token per row of logits, one workgroup per row. Exact semantics, in order
// (src/kernels/reference/sampling.ts implements the same steps):
//
//   1. z[j] = logits[j] · invTemperature                              (one f32 multiply; temperature > 0)
//   2. order tokens by z descending, ties by index ascending
//   3. top-k: keep the first k in that order (k = 0 or k ≥ vocab keeps all)
//   4. weights e[j] = exp(z[j] − max z); Z = Σ e over the kept tokens
//   5. top-p: keep the shortest prefix of the kept tokens whose Σ e ≥ topP·Z (topP ≥ 1 keeps all; at least one)
//   6. renormalise: Z' = Σ e over the nucleus; pick the first token in order whose running Σ e > u·Z', u ∈ [0, 1)
//      (the last token of the nucleus if rounding leaves none)
//
// Nothing is sorted. Each token gets a unique 64-bit key (hi = z mapped to an order-preserving u32, lo = indexMask −
// index so lower indices rank higher); "the first token in order whose running weight reaches a target" is found
// by a radix search on that key: 4 bits per step from the top, each step histogramming the count and the weight of
// the tokens that match the prefix so far into 16 bins. The three searches (steps 3, 5, 6) therefore cost a fixed
// 8 + ceil(indexBits / 4) passes over the row each, and ties need no special case.
//
// Layout: logits [rows, vocab] f32; u [rows] f32 (random numbers from the caller's seeded generator);
// out [rows] u32 token indices.
// Dispatch: `rows` workgroups of WG threads (WG·16 bins of count and weight must fit in workgroup memory).

struct Params {
  rows: u32,
  vocab: u32,
  topK: u32,
  indexBits: u32,
  invTemperature: f32,
  topP: f32,
  _pad0: u32,
  _pad1: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read> u: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<u32>;

override WG: u32 = 128u;

var<workgroup> binCount: array<u32, WG * 16u>;
var<workgroup> binWeight: array<f32, WG * 16u>;
var<workgroup> totalCount: array<u32, 16>;
var<workgroup> totalWeight: array<f32, 16>;
var<workgroup> reduction: array<f32, WG>;
var<workgroup> found: vec2<u32>;
var<workgroup> foundAbove: f32;

var<private> base: u32;
var<private> zMax: f32;

fn zAt(j: u32) -> f32 {
  let z = logits[base + j] * p.invTemperature;
  // −0 and +0 are equal values: give them one key so the index decides, as it does for any tie.
  return select(z, 0.0, z == 0.0);
}

// Order-preserving map of f32 to u32: flip all bits of negatives, set the sign bit of positives.
fn keyOf(j: u32, z: f32) -> vec2<u32> {
  let bits = bitcast<u32>(z);
  let hi = select(bits | 0x80000000u, ~bits, (bits & 0x80000000u) != 0u);
  let indexMask = (1u << p.indexBits) - 1u;
  return vec2<u32>(hi, indexMask - j);
}

fn atLeast(a: vec2<u32>, b: vec2<u32>) -> bool {
  return a.x > b.x || (a.x == b.x && a.y >= b.y);
}

fn sumReduce(value: f32, lid: u32) -> f32 {
  reduction[lid] = value;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride /= 2u) {
    if (lid < stride) { reduction[lid] += reduction[lid + stride]; }
    workgroupBarrier();
  }
  return workgroupUniformLoad(&reduction[0]);
}

fn maxReduce(value: f32, lid: u32) -> f32 {
  reduction[lid] = value;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride /= 2u) {
    if (lid < stride) { reduction[lid] = max(reduction[lid], reduction[lid + stride]); }
    workgroupBarrier();
  }
  return workgroupUniformLoad(&reduction[0]);
}

// Σ e over the tokens whose key is ≥ floorKey.
fn weightFrom(floorKey: vec2<u32>, lid: u32) -> f32 {
  var s = 0.0;
  for (var j = lid; j < p.vocab; j += WG) {
    let z = zAt(j);
    if (atLeast(keyOf(j, z), floorKey)) { s += exp(z - zMax); }
  }
  return sumReduce(s, lid);
}

// The largest key K among tokens with key ≥ floorKey such that the weight (count, or Σ e when byWeight) of those
// tokens with key ≥ K reaches the goal (≥, or > when strict); the smallest key in the set if none does.
fn search(floorKey: vec2<u32>, byWeight: bool, goal: f32, strict: bool, lid: u32) -> vec2<u32> {
  var prefix = vec2<u32>(0u, 0u);
  var above = 0.0;
  let loDigits = (p.indexBits + 3u) / 4u;
  let passes = 8u + loDigits;
  for (var step = 0u; step < passes; step++) {
    // Which word this step reads, its digit's shift, and the bits of that word fixed by earlier passes.
    let inHi = step < 8u;
    let shift = select(4u * (loDigits - 1u - (step - 8u)), 28u - 4u * step, inHi);
    let fixedMask = select(0u, 0xffffffffu << (shift + 4u), shift + 4u < 32u);

    // Explicit zero initialisers: a bare declaration inside a loop was observed to keep the previous iteration's
    // values on SwiftShader.
    var counts = array<u32, 16>();
    var weights = array<f32, 16>();
    for (var j = lid; j < p.vocab; j += WG) {
      let z = zAt(j);
      let key = keyOf(j, z);
      if (!atLeast(key, floorKey)) { continue; }
      var matches: bool;
      var digit: u32;
      if (inHi) {
        matches = (key.x & fixedMask) == (prefix.x & fixedMask);
        digit = (key.x >> shift) & 15u;
      } else {
        matches = key.x == prefix.x && (key.y & fixedMask) == (prefix.y & fixedMask);
        digit = (key.y >> shift) & 15u;
      }
      if (matches) {
        counts[digit] += 1u;
        if (byWeight) { weights[digit] += exp(z - zMax); }
      }
    }
    for (var d = 0u; d < 16u; d++) {
      binCount[lid * 16u + d] = counts[d];
      binWeight[lid * 16u + d] = weights[d];
    }
    workgroupBarrier();
    if (lid < 16u) {
      var c = 0u;
      var w = 0.0;
      for (var t = 0u; t < WG; t++) {
        c += binCount[t * 16u + lid];
        w += binWeight[t * 16u + lid];
      }
      totalCount[lid] = c;
      totalWeight[lid] = select(f32(c), w, byWeight);
    }
    workgroupBarrier();
    if (lid == 0u) {
      var chosen = 16u;
      var lowest = 0u;
      var cumulative = 0.0;
      var aboveChosen = above;
      for (var dd = 0; dd < 16; dd++) {
        let d = u32(15 - dd);
        if (totalCount[d] == 0u) { continue; }
        lowest = d;
        let reached = above + cumulative + totalWeight[d];
        if (select(reached >= goal, reached > goal, strict)) {
          chosen = d;
          aboveChosen = above + cumulative;
          break;
        }
        cumulative += totalWeight[d];
      }
      if (chosen == 16u) {
        // Rounding left the goal unreached: fall back to the last token in order (the lowest digit present).
        chosen = lowest;
        aboveChosen = above + cumulative - totalWeight[lowest];
      }
      var next = prefix;
      if (inHi) { next.x |= chosen << shift; } else { next.y |= chosen << shift; }
      found = next;
      foundAbove = aboveChosen;
    }
    prefix = workgroupUniformLoad(&found);
    above = workgroupUniformLoad(&foundAbove);
  }
  return prefix;
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let row = wid.y * groups.x + wid.x;
  if (row >= p.rows) { return; }
  base = row * p.vocab;

  var m = -3.402823e38;
  for (var j = lid; j < p.vocab; j += WG) { m = max(m, zAt(j)); }
  zMax = maxReduce(m, lid);

  var kept = vec2<u32>(0u, 0u);
  if (p.topK > 0u && p.topK < p.vocab) {
    kept = search(kept, false, f32(p.topK), false, lid);
  }
  var nucleus = kept;
  if (p.topP < 1.0) {
    nucleus = search(kept, true, p.topP * weightFrom(kept, lid), false, lid);
  }
  let choice = search(nucleus, true, u[row] * weightFrom(nucleus, lid), true, lid);
  if (lid == 0u) { out[row] = ((1u << p.indexBits) - 1u) - choice.y; }
}
