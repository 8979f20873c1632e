import type { Gpu } from '../gpu/gpu';
import type { TrackedBuffer } from '../gpu/allocator';
import { LabError } from '../errors';
import { findTensor, tensorChunks, type ByteSource, type GgufFile, type GgufTensorInfo } from '../formats/gguf';
import { dequantize } from '../formats/quant';
import { allocateQuantizedWeight, isQuantFormat, writeQuantizedWeightBytes, type QuantizedWeight } from '../kernels/quantWeight';
import { freeLinearWeight, takesDensePath, type LinearWeight } from './linear';
import { uploadRopeFrequencies } from '../kernels/rope';
import type { ModelConfig } from './config';
import { attnNormName, biasTensorName, ffnNormName, PROJECTIONS, projectionTensorName, type Projection } from './tensorNames';

export interface LayerWeights {
  attnNorm: TrackedBuffer;
  ffnNorm: TrackedBuffer;
  proj: Record<Projection, LinearWeight>;
  /** q, k, v biases [out] f32 (Qwen2). */
  bias?: Record<'q' | 'k' | 'v', TrackedBuffer>;
}

/** The model's frozen weights on the GPU: matrices in their GGUF block layout, norms and biases as f32. */
export interface ModelWeights {
  tokenEmbd: QuantizedWeight;
  layers: LayerWeights[];
  outputNorm: TrackedBuffer;
  /** The output head; the same object as `tokenEmbd` when the embeddings are tied. */
  output: LinearWeight;
  ropeInvFreq: TrackedBuffer;
}

export interface LoadProgress {
  bytesDone: number;
  bytesTotal: number;
  tensor: string;
}

export interface LoadWeightsOptions {
  onProgress?: (p: LoadProgress) => void;
  signal?: AbortSignal;
  /** Bytes per read from the file; also the most file data held in memory at once. */
  chunkBytes?: number;
  /** Overrides the device's storage binding limit (tests force small values to exercise split weights). */
  maxBindingBytes?: number;
}

/**
 * Streams every tensor of the model from `source` (a File, Blob or ByteSource) straight into GPU buffers, chunk
 * by chunk: the file is never held in memory. On failure or cancellation, everything allocated so far is freed.
 */
export async function loadModelWeights(
  gpu: Gpu,
  file: GgufFile,
  source: Blob | ByteSource,
  config: ModelConfig,
  options: LoadWeightsOptions = {},
): Promise<ModelWeights> {
  const allocated: (TrackedBuffer | LinearWeight)[] = [];
  const bytesTotal = file.tensors.reduce((sum, t) => sum + t.byteLength, 0);
  let bytesDone = 0;

  async function stream(tensor: GgufTensorInfo, write: (offset: number, bytes: Uint8Array) => void): Promise<void> {
    for await (const chunk of tensorChunks(source, tensor, options.chunkBytes)) {
      if (options.signal?.aborted) throw options.signal.reason;
      write(chunk.tensorOffset, chunk.bytes);
      bytesDone += chunk.bytes.byteLength;
      options.onProgress?.({ bytesDone, bytesTotal, tensor: tensor.name });
    }
  }

  function checkedMatrix(name: string, N: number, K: number): GgufTensorInfo {
    const tensor = findTensor(file.tensors, name);
    if (tensor.dims.length !== 2 || tensor.dims[0] !== K || tensor.dims[1] !== N) {
      throw new LabError(
        `has dims [${tensor.dims.join(', ')}], expected [${K}, ${N}]`,
        `tensor "${name}"`,
        'the file does not match its own hyperparameters',
      );
    }
    if (!isQuantFormat(tensor.type.name)) {
      throw new LabError(
        `is stored as ${tensor.type.name}, which Lora Lab cannot compute with`,
        `tensor "${name}"`,
        'Use a file quantized as Q4_0, Q8_0, Q4_K_M (Q4_K + Q6_K), F16 or F32.',
      );
    }
    return tensor;
  }

  /** Quantized blocks as stored; the embedding table is always read this way (the lookup kernel decodes rows). */
  async function quantized(name: string, N: number, K: number): Promise<QuantizedWeight> {
    const tensor = checkedMatrix(name, N, K);
    const weight = allocateQuantizedWeight(gpu, {
      format: tensor.type.name as QuantizedWeight['format'],
      N,
      K,
      label: name,
      maxBindingBytes: options.maxBindingBytes,
    });
    allocated.push(weight);
    await stream(tensor, (offset, bytes) => writeQuantizedWeightBytes(gpu, weight, offset, bytes));
    return weight;
  }

  /** A projection in its block layout, or on the dense f32 path where the block kernels cannot read it. */
  async function matrix(name: string, N: number, K: number): Promise<LinearWeight> {
    const tensor = checkedMatrix(name, N, K);
    if (!takesDensePath(tensor.type.name, K)) return quantized(name, N, K);
    const buffer = gpu.alloc(tensor.byteLength, { label: name, category: 'weights' });
    allocated.push(buffer);
    await stream(tensor, (offset, bytes) => gpu.write(buffer, bytes, offset));
    return { kind: 'dense', buffer, N, K, label: name };
  }

  async function vector(name: string, length: number): Promise<TrackedBuffer> {
    const tensor = findTensor(file.tensors, name);
    const count = tensor.dims.reduce((a, b) => a * b, 1);
    if (count !== length) throw new LabError(`has ${count} values, expected ${length}`, `tensor "${name}"`);
    const bytes = new Uint8Array(tensor.byteLength);
    await stream(tensor, (offset, chunk) => bytes.set(chunk, offset));
    let values: Float32Array;
    try {
      values = dequantize(tensor.type.name, bytes, count);
    } catch {
      throw new LabError(`is stored as ${tensor.type.name}, which Lora Lab cannot read`, `tensor "${name}"`);
    }
    const buffer = gpu.upload(values, { label: name, category: 'weights' });
    allocated.push(buffer);
    return buffer;
  }

  try {
    const { nEmbd, nHeads, nKvHeads, headDim, nFf, nVocab } = config;
    const outFeatures: Record<Projection, [number, number]> = {
      q: [nHeads * headDim, nEmbd],
      k: [nKvHeads * headDim, nEmbd],
      v: [nKvHeads * headDim, nEmbd],
      o: [nEmbd, nHeads * headDim],
      gate: [nFf, nEmbd],
      up: [nFf, nEmbd],
      down: [nEmbd, nFf],
    };
    const tokenEmbd = await quantized('token_embd.weight', nVocab, nEmbd);
    const layers: LayerWeights[] = [];
    for (let i = 0; i < config.nLayers; i++) {
      const proj = {} as Record<Projection, LinearWeight>;
      for (const p of PROJECTIONS) proj[p] = await matrix(projectionTensorName(i, p), ...outFeatures[p]);
      const layer: LayerWeights = {
        attnNorm: await vector(attnNormName(i), nEmbd),
        ffnNorm: await vector(ffnNormName(i), nEmbd),
        proj,
      };
      if (config.qkvBias) {
        layer.bias = {
          q: await vector(biasTensorName(i, 'q'), outFeatures.q[0]),
          k: await vector(biasTensorName(i, 'k'), outFeatures.k[0]),
          v: await vector(biasTensorName(i, 'v'), outFeatures.v[0]),
        };
      }
      layers.push(layer);
    }
    const outputNorm = await vector('output_norm.weight', nEmbd);
    const output = config.tiedEmbeddings ? tokenEmbd : await matrix('output.weight', nVocab, nEmbd);
    const ropeInvFreq = uploadRopeFrequencies(gpu, { nRot: config.nRot, freqBase: config.ropeFreqBase, freqScale: config.ropeFreqScale });
    allocated.push(ropeInvFreq);
    return { tokenEmbd, layers, outputNorm, output, ropeInvFreq };
  } catch (error) {
    for (const a of allocated) freeAllocation(gpu, a);
    throw error;
  }
}

function freeAllocation(gpu: Gpu, a: TrackedBuffer | LinearWeight): void {
  if ('category' in a) gpu.buffers.free(a);
  else freeLinearWeight(gpu, a);
}

export function freeModelWeights(gpu: Gpu, w: ModelWeights): void {
  const all: (TrackedBuffer | LinearWeight)[] = [w.tokenEmbd, w.outputNorm, w.ropeInvFreq];
  if (w.output !== w.tokenEmbd) all.push(w.output);
  for (const layer of w.layers) {
    all.push(layer.attnNorm, layer.ffnNorm, ...Object.values(layer.proj));
    if (layer.bias) all.push(...Object.values(layer.bias));
  }
  for (const a of all) freeAllocation(gpu, a);
}
