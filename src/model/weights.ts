import type { Gpu } from '../gpu/gpu';
import type { TrackedBuffer } from '../gpu/allocator';
import { LabError } from '../errors';
import { findTensor, tensorChunks, type ByteSource, type GgufFile, type GgufTensorInfo } from '../formats/gguf';
import { dequantize } from '../formats/quant';
import {
  allocateQuantizedWeight,
  allocateStackedWeight,
  isQuantFormat,
  writeQuantizedWeightBytes,
  type QuantizedWeight,
  type StackedWeight,
} from '../kernels/quantWeight';
import { freeLinearWeight, takesDensePath, type LinearWeight } from './linear';
import { ropeInverseFrequencies } from '../kernels/rope';
import type { ModelConfig } from './config';
import { attnNormName, biasTensorName, ffnNormName, PROJECTIONS, projectionTensorName, type Projection } from './tensorNames';
import { LAYER_STACKS, planLayerStack, ropeBiasFloats, STACK_NAMES, type StackName } from './layerStacks';

export interface LayerWeights {
  attnNorm: TrackedBuffer;
  ffnNorm: TrackedBuffer;
  proj: Record<Projection, LinearWeight>;
  /** Projections stored in one buffer (src/model/layerStacks.ts); their `proj` entries are its sections. */
  stacks: Partial<Record<StackName, StackedWeight>>;
  /** q, k, v biases [out] f32 (Qwen2). */
  bias?: Record<'q' | 'k' | 'v', TrackedBuffer>;
  /** With stacked q, k, v and biases: the RoPE frequencies, then the biases (`ropeBiasFloats`), for the qkv epilogue. */
  ropeBias?: TrackedBuffer;
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

  /** Layer l's projections of `stack` in one buffer, where they can share one (src/model/layerStacks.ts). */
  async function stacked(
    l: number,
    stack: StackName,
    outFeatures: Record<Projection, [number, number]>,
  ): Promise<StackedWeight | undefined> {
    const members = LAYER_STACKS[stack];
    const tensors = members.map((p) => checkedMatrix(projectionTensorName(l, p), ...outFeatures[p]));
    const maxBindingBytes = options.maxBindingBytes ?? gpu.limits.maxStorageBufferBindingSize;
    const plan = planLayerStack(file.tensors, config, l, stack, maxBindingBytes);
    if (!plan) return undefined;
    const weight = allocateStackedWeight(gpu, {
      K: plan.K,
      sections: tensors.map((t, i) => ({ N: t.dims[1], format: plan.sections[i].format, label: t.name })),
      label: `blk.${l}.${stack}`,
      maxBindingBytes,
    });
    allocated.push(weight.buffer);
    for (const [i, tensor] of tensors.entries()) {
      await stream(tensor, (offset, bytes) => writeQuantizedWeightBytes(gpu, weight.sections[i], offset, bytes));
    }
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

  async function vectorValues(name: string, length: number): Promise<Float32Array> {
    const tensor = findTensor(file.tensors, name);
    const count = tensor.dims.reduce((a, b) => a * b, 1);
    if (count !== length) throw new LabError(`has ${count} values, expected ${length}`, `tensor "${name}"`);
    const bytes = new Uint8Array(tensor.byteLength);
    await stream(tensor, (offset, chunk) => bytes.set(chunk, offset));
    try {
      return dequantize(tensor.type.name, bytes, count);
    } catch {
      throw new LabError(`is stored as ${tensor.type.name}, which Lora Lab cannot read`, `tensor "${name}"`);
    }
  }

  function upload(values: Float32Array, label: string): TrackedBuffer {
    const buffer = gpu.upload(values, { label, category: 'weights' });
    allocated.push(buffer);
    return buffer;
  }

  async function vector(name: string, length: number): Promise<TrackedBuffer> {
    return upload(await vectorValues(name, length), name);
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
    const invFreq = ropeInverseFrequencies({ nRot: config.nRot, freqBase: config.ropeFreqBase, freqScale: config.ropeFreqScale });
    const layers: LayerWeights[] = [];
    for (let i = 0; i < config.nLayers; i++) {
      const proj = {} as Partial<Record<Projection, LinearWeight>>;
      const stacks: LayerWeights['stacks'] = {};
      for (const name of STACK_NAMES) {
        const weight = await stacked(i, name, outFeatures);
        if (!weight) continue;
        stacks[name] = weight;
        LAYER_STACKS[name].forEach((p, j) => (proj[p] = weight.sections[j]));
      }
      for (const p of PROJECTIONS) proj[p] ??= await matrix(projectionTensorName(i, p), ...outFeatures[p]);
      const layer: LayerWeights = {
        attnNorm: await vector(attnNormName(i), nEmbd),
        ffnNorm: await vector(ffnNormName(i), nEmbd),
        proj: proj as Record<Projection, LinearWeight>,
        stacks,
      };
      if (config.qkvBias) {
        const values = {
          q: await vectorValues(biasTensorName(i, 'q'), outFeatures.q[0]),
          k: await vectorValues(biasTensorName(i, 'k'), outFeatures.k[0]),
          v: await vectorValues(biasTensorName(i, 'v'), outFeatures.v[0]),
        };
        layer.bias = {
          q: upload(values.q, biasTensorName(i, 'q')),
          k: upload(values.k, biasTensorName(i, 'k')),
          v: upload(values.v, biasTensorName(i, 'v')),
        };
        if (stacks.qkv) {
          const table = new Float32Array(ropeBiasFloats(config));
          table.set(invFreq);
          table.set(values.q, invFreq.length);
          table.set(values.k, invFreq.length + values.q.length);
          table.set(values.v, invFreq.length + values.q.length + values.k.length);
          layer.ropeBias = upload(table, `blk.${i}.rope_bias`);
        }
      }
      layers.push(layer);
    }
    const outputNorm = await vector('output_norm.weight', nEmbd);
    const output = config.tiedEmbeddings ? tokenEmbd : await matrix('output.weight', nVocab, nEmbd);
    const ropeInvFreq = upload(invFreq, 'rope inverse frequencies');
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
    const stacks = Object.values(layer.stacks);
    const inStack = new Set<LinearWeight>(stacks.flatMap((s) => s.sections));
    all.push(layer.attnNorm, layer.ffnNorm, ...Object.values(layer.proj).filter((p) => !inStack.has(p)));
    all.push(...stacks.map((s) => s.buffer));
    if (layer.bias) all.push(...Object.values(layer.bias));
    if (layer.ropeBias) all.push(layer.ropeBias);
  }
  for (const a of all) freeAllocation(gpu, a);
}
