// Quantized matrix-vector product (decode):  Y[m, yOffset + n] (+)= Σ_k X[m, k] · W[n, k]   for n < N.
//
//   X is [M, K] activations (act_t). W is one row-range of a GGUF weight tensor with dims [ne0 = K, ne1 = N] as
//   stored in the file: N rows of K values, each row `rowBytes` bytes of FORMAT blocks, read as array<u32>.
//   Y is [M, yStride]; this dispatch writes columns yOffset .. yOffset + N − 1 (a weight split across several
//   bindings is one dispatch per part, each writing its slice of Y).
//
// Dispatch: (ceil(N / ROWS), M) workgroups of WG threads. A workgroup owns ROWS output rows of one activation
// row: thread t walks the 8-value chunks t, t + WG, ... of K, dequantises each chunk of each of its ROWS weight
// rows (the X chunk is read once and reused for all ROWS), and the WG partial sums meet in workgroup memory.
// Bandwidth-bound: every weight byte is read once per activation row. WG = 32 measured fastest on SwiftShader
// (16: too few threads; 64 and up: per-invocation and barrier costs dominate).
//
// Requires K % 8 == 0 (and K a whole number of blocks: 32 for Q4_0/Q8_0, 256 for Q4_K/Q6_K).

struct Params {
  M: u32,
  N: u32,
  K: u32,
  rowBytes: u32,
  yStride: u32,
  yOffset: u32,
  _pad0: u32,
  _pad1: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> X: array<vec4<act_t>>; // [M, K], read 4 values at a time
@group(0) @binding(2) var<storage, read> W: array<u32>;
@group(0) @binding(3) var<storage, read_write> Y: array<act_t>;

override ACCUMULATE: bool = false;
override WG: u32 = 32u;
const ROWS = 4u; // output rows per workgroup (the components of a vec4): the X chunk is reused ROWS times

var<workgroup> partial: array<vec4<f32>, WG>;

//! include gguf_blocks

// Σ_j x_j · W[n, k + j] for one weight row, or 0 past the last row.
fn rowDot(n: u32, k: u32, xlo: vec4<f32>, xhi: vec4<f32>) -> f32 {
  if (n >= p.N) { return 0.0; }
  let w = dequant8(n * p.rowBytes, k);
  return dot(xlo, w.lo) + dot(xhi, w.hi);
}

@compute @workgroup_size(WG, 1, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let m = wid.y;
  let n0 = wid.x * ROWS;
  let t = lid.x;
  // Component r accumulates output row n0 + r.
  var acc = vec4<f32>(0.0);
  let xRow = m * (p.K / 4u);
  for (var k = t * 8u; k < p.K; k += WG * 8u) {
    let xlo = vec4<f32>(X[xRow + k / 4u]);
    let xhi = vec4<f32>(X[xRow + k / 4u + 1u]);
    acc += vec4<f32>(rowDot(n0, k, xlo, xhi), rowDot(n0 + 1u, k, xlo, xhi), rowDot(n0 + 2u, k, xlo, xhi), rowDot(n0 + 3u, k, xlo, xhi));
  }
  partial[t] = acc;
  workgroupBarrier();
  // One barrier, then thread r < ROWS sums component r serially: for the small WG used, cheaper than a log-step
  // tree whose every step is a barrier (SwiftShader runs each barrier as a switch between all invocations).
  if (t < ROWS && n0 + t < p.N && m < p.M) {
    var value = 0.0;
    for (var i = 0u; i < WG; i++) { value += partial[i][t]; }
    let index = m * p.yStride + p.yOffset + n0 + t;
    if (ACCUMULATE) { value += f32(Y[index]); }
    Y[index] = act_t(value);
  }
}
