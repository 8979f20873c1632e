import * as ort from 'onnxruntime-web/webgpu';
import wasmUrl from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.wasm?url';
import { onnx } from 'onnx-proto';
import { f16ToF32 } from '../../src/formats/quant';

// onnxruntime-web's WebGPU execution provider running one `com.microsoft` MatMulNBits node (4 bits, block 32):
// the peer for our Q4_0 kernels, which compute the same math. The ONNX graph is built here in code; ORT's wasm
// is served by Vite from node_modules (the `?url` import), so nothing is fetched from the internet.

let configured = false;

function configureOrt(): void {
  if (configured) return;
  ort.env.wasm.wasmPaths = { wasm: wasmUrl };
  // Threads need a cross-origin-isolated page; the WebGPU EP does its work on the GPU anyway.
  ort.env.wasm.numThreads = 1;
  ort.env.logLevel = 'error';
  configured = true;
}

/**
 * MatMulNBits' B and scales from GGUF Q4_0 rows. Q4_0 keeps value j (< 16) in the low nibble of qs[j] and value
 * j + 16 in the high nibble; MatMulNBits packs values 2i and 2i + 1 into byte i, low nibble first. Both decode as
 * (q − 8) · scale (MatMulNBits' default zero point is 8), so the products are the same numbers.
 */
export function q4_0ToMatMulNBits(bytes: Uint8Array, N: number, K: number): { b: Uint8Array; scales: Float32Array } {
  const blocks = (N * K) / 32;
  const b = new Uint8Array(blocks * 16);
  const scales = new Float32Array(blocks);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let blk = 0; blk < blocks; blk++) {
    const at = blk * 18;
    scales[blk] = f16ToF32(view.getUint16(at, true));
    for (let e = 0; e < 32; e++) {
      const q = e < 16 ? bytes[at + 2 + e] & 15 : bytes[at + 2 + e - 16] >> 4;
      b[blk * 16 + (e >> 1)] |= q << (4 * (e & 1));
    }
  }
  return { b, scales };
}

function intAttribute(name: string, value: number): onnx.IAttributeProto {
  return { name, type: onnx.AttributeProto.AttributeType.INT, i: value };
}

function tensorType(dims: number[]): onnx.ITypeProto {
  return { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: dims.map((d) => ({ dimValue: d })) } } };
}

/** A one-node model: Y[M, N] = A[M, K] · dequant(B)ᵀ with B and scales as initializers. */
export function matMulNBitsModel(M: number, N: number, K: number, b: Uint8Array, scales: Float32Array): Uint8Array {
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'lora-lab bench',
    opsetImport: [
      { domain: '', version: 17 },
      { domain: 'com.microsoft', version: 1 },
    ],
    graph: {
      name: 'matmul_nbits',
      node: [
        {
          opType: 'MatMulNBits',
          domain: 'com.microsoft',
          input: ['A', 'B', 'scales'],
          output: ['Y'],
          attribute: [intAttribute('K', K), intAttribute('N', N), intAttribute('bits', 4), intAttribute('block_size', 32)],
        },
      ],
      initializer: [
        { name: 'B', dataType: onnx.TensorProto.DataType.UINT8, dims: [N, K / 32, 16], rawData: b },
        {
          name: 'scales',
          dataType: onnx.TensorProto.DataType.FLOAT,
          dims: [N, K / 32],
          rawData: new Uint8Array(scales.buffer, scales.byteOffset, scales.byteLength),
        },
      ],
      input: [{ name: 'A', type: tensorType([M, K]) }],
      output: [{ name: 'Y', type: tensorType([M, N]) }],
    },
  });
  return onnx.ModelProto.encode(model).finish();
}

/** A ready MatMulNBits session whose input lives in a GPU buffer of ORT's own device, as a real pipeline keeps it. */
export interface MatMulNBitsPeer {
  /** Runs once and returns Y (for the correctness check against our kernel). */
  runAndRead(): Promise<Float32Array>;
  /** Median wall-clock ms per run over `iterations` back-to-back runs, including waiting for the GPU. */
  timeMs(iterations: number): Promise<number>;
  release(): Promise<void>;
}

export async function createMatMulNBitsPeer(q4_0: Uint8Array, x: Float32Array, M: number, N: number, K: number): Promise<MatMulNBitsPeer> {
  configureOrt();
  const { b, scales } = q4_0ToMatMulNBits(q4_0, N, K);
  const session = await ort.InferenceSession.create(matMulNBitsModel(M, N, K, b, scales), {
    executionProviders: ['webgpu'],
    preferredOutputLocation: 'gpu-buffer',
  });
  const device = await ort.env.webgpu.device;
  const input = device.createBuffer({
    size: x.byteLength,
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC,
  });
  device.queue.writeBuffer(input, 0, x as Float32Array<ArrayBuffer>);
  const a = ort.Tensor.fromGpuBuffer(input, { dataType: 'float32', dims: [M, K] });
  const runOnce = async (): Promise<ort.Tensor> => (await session.run({ A: a })).Y;
  return {
    async runAndRead() {
      const y = await runOnce();
      const data = (await y.getData(true)) as Float32Array;
      return data;
    },
    async timeMs(iterations) {
      const warm = await runOnce();
      warm.dispose();
      await device.queue.onSubmittedWorkDone();
      const times: number[] = [];
      for (let i = 0; i < iterations; i++) {
        const start = performance.now();
        const y = await runOnce();
        await device.queue.onSubmittedWorkDone();
        times.push(performance.now() - start);
        y.dispose();
      }
      times.sort((p, q) => p - q);
      return times[times.length >> 1];
    },
    async release() {
      input.destroy();
      await session.release();
    },
  };
}
