// Embedding lookup from a quantized table:  out[t, k] = table[ids[t], k]   (dequantised to f32).
//
//   ids is [tokens] u32 token ids. The table is one row-range (rows rowStart .. rowStart + rows − 1) of a GGUF
//   `token_embd` tensor with dims [ne0 = K = n_embd, ne1 = n_vocab] as stored in the file: rows of `rowBytes`
//   bytes of FORMAT blocks, read as array<u32>. out is [tokens, K]. A table split across several bindings is one
//   dispatch per part; each writes only the tokens whose id falls in its rows, so together they write every
//   token with id < n_vocab (ids past the vocabulary are left unwritten: the tokenizer never produces them).
//
// Dispatch: (ceil(K / (8·WG)), min(tokens − tokenStart, 65535)) workgroups of WG threads; thread x of
// workgroup (wx, t) decodes values 8·(wx·WG + x) .. +7 of token tokenStart + t.
//
// Requires K % 8 == 0 (and K a whole number of blocks: 32 for Q4_0/Q8_0, 256 for Q4_K/Q6_K).

struct Params {
  tokens: u32,
  tokenStart: u32,
  K: u32,
  rowBytes: u32,
  rowStart: u32,
  rows: u32,
  _pad0: u32,
  _pad1: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> ids: array<u32>;
@group(0) @binding(2) var<storage, read> W: array<u32>;
@group(0) @binding(3) var<storage, read_write> out: array<vec4<f32>>; // [tokens, K], 4 values at a time

override WG: u32 = 64u;

//! include gguf_blocks

@compute @workgroup_size(WG, 1, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let token = p.tokenStart + wid.y;
  let k = (wid.x * WG + lid.x) * 8u;
  if (token >= p.tokens || k >= p.K) { return; }
  let id = ids[token];
  if (id < p.rowStart || id - p.rowStart >= p.rows) { return; }
  let v = dequant8((id - p.rowStart) * p.rowBytes, k);
  let at = (token * p.K + k) / 4u;
  out[at] = vec4<f32>(v.lo);
  out[at + 1u] = vec4<f32>(v.hi);
}
