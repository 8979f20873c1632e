// One attention head's output quantized to 8 bits: head h of row `row` of O (rows of K = nHeads·headDim f32 values,
// headDim % 32 == 0) becomes blocks h·headDim/32 .. (h + 1)·headDim/32 − 1 of row `row` of XQ, in
// shaders/quantize_activations.wgsl's layout (offsets from shaders/quantized_rows.wgsl, arithmetic from
// shaders/quantize_block.wgsl, both included next to this one). Invocation `lid` of `threads` takes blocks lid,
// lid + threads, ... It waits for the workgroup's stores to O (a storage barrier: call it in uniform control flow)
// and reads the values back, so XQ holds what O holds, bit for bit. Shared by the attention decode kernels
// (attention_decode.wgsl with ONE_CHUNK, attention_decode_combine.wgsl), whose workgroups each finish one head of
// one sequence. Not a kernel: pulled in with `//! include quantize_head`.

fn storeQuantizedHead(o: ptr<storage, array<f32>, read_write>, xq: ptr<storage, array<u32>, read_write>, K: u32,
                      row: u32, h: u32, headDim: u32, lid: u32, threads: u32) {
  storageBarrier();
  for (var j = lid; j < headDim / 32u; j += threads) {
    let block = h * (headDim / 32u) + j;
    let at = row * K + 32u * block;
    var values: array<vec4<f32>, 8>;
    for (var i = 0u; i < 8u; i++) {
      let v = at + 4u * i;
      values[i] = vec4<f32>((*o)[v], (*o)[v + 1u], (*o)[v + 2u], (*o)[v + 3u]);
    }
    storeQuantizedBlock(xq, K, row, block, values, values);
  }
}
