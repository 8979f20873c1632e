import type { Gpu } from '../gpu/gpu';
import type { TrackedBuffer } from '../gpu/allocator';
import type { Recorder } from '../gpu/recorder';
import { LabError } from '../errors';
import { readGguf, type GgufFile } from '../formats/gguf';
import { sourceName, type ByteSource } from '../formats/byteSource';
import { attentionForward } from '../kernels/attention';
import { attentionDecode, attentionDecodeQuantizes, attentionDecodeScratchBytes } from '../kernels/attentionDecode';
import { sampleTop, type SamplingOptions } from '../kernels/sampling';
import { modelConfigFromGguf, type ModelConfig } from './config';
import { freeModelWeights, loadModelWeights, type LoadWeightsOptions, type ModelWeights } from './weights';
import { KvCache } from './kvCache';
import { allocateActivations, freeActivations, type Activations } from './activations';
import { assertPlanFits, planInferenceMemory, type MemoryPlan } from './inferenceMemoryPlan';
import { QUANT_FORMATS } from '../kernels/quantWeight';
import type { LoraAdapter } from './lora/lora';
import { recordForward, type ForwardWeights } from './forwardPass';
import { DEFAULT_STORED_PRECISION, type StoredPrecision } from '../kernels/storedValues';
import type { CacheAttention } from './block';

export interface ModelLoadOptions extends LoadWeightsOptions {
  /** Most positions the KV cache holds (prompt + generated). Default: the model's context length, at most 2048. */
  maxContext?: number;
  /** Tokens per forward step during prefill; longer prompts run in several steps. Default 256. */
  maxStepTokens?: number;
  /** GPU memory the model may use (WebGPU does not report the device's total); checked before allocating. */
  budgetBytes?: number;
  /** How the KV cache stores keys and values: f16 pairs (default, as llama.cpp's default cache) or f32. */
  kvPrecision?: StoredPrecision;
}

/** The sizes a model was loaded with: its plan, and the plan of a decode batch beside it, start from them. */
interface PlannedSizes {
  maxContextTokens: number;
  maxStepTokens: number;
  budgetBytes?: number;
  maxBindingBytes: number;
  kvPrecision: StoredPrecision;
}

function planModel(gpu: Gpu, file: GgufFile, config: ModelConfig, sizes: PlannedSizes, batch = 1, batchContext?: number): MemoryPlan {
  const limits = { ...gpu.limits, maxStorageBufferBindingSize: sizes.maxBindingBytes };
  const { maxContextTokens: maxContext, maxStepTokens, budgetBytes, kvPrecision } = sizes;
  return planInferenceMemory(file, config, limits, { maxContext, maxStepTokens, budgetBytes, batch, batchContext, kvPrecision });
}

/** A step's input tokens: ids from the CPU, or the one id the last step sampled, still on the GPU. */
type StepInput = readonly number[] | 'last-sampled';

/** Dispatches of one forward step over `tokens` rows: all of them (sampling included) and each block's. */
export interface StepDispatches {
  tokens: number;
  total: number;
  perBlock: number[];
}

/**
 * A llama-family model on the GPU, ready to run one sequence: frozen weights in their GGUF layout, a KV cache and
 * the scratch buffers of one forward step. The layer math is in block.ts; several sequences decode together
 * through generateBatch (generateBatch.ts), which prefills each here and decodes them in batchDecode.ts.
 */
export class Model {
  readonly cache: KvCache;
  private readonly acts: Activations;
  private readonly lastRow: TrackedBuffer;
  /** The LoRA adapter applied unmerged on top of the frozen weights, and its scratch x·Aᵀ [maxStepTokens, rank]. */
  private adapter: { lora: LoraAdapter; h: TrackedBuffer } | undefined;
  /** Split-K partial results of the one-token decode attention, sized for a full cache. */
  private readonly decodePartials: TrackedBuffer;
  /** Sampling input u ∈ [0, 1) and the sampled token id. */
  private readonly sampleU: TrackedBuffer;
  private readonly sampledId: TrackedBuffer;
  private lastStep: StepDispatches | undefined;

  private constructor(
    readonly gpu: Gpu,
    readonly file: GgufFile,
    readonly config: ModelConfig,
    readonly weights: ModelWeights,
    private readonly planned: PlannedSizes,
  ) {
    const maxContext = planned.maxContextTokens;
    this.cache = new KvCache(gpu, config, maxContext, planned.kvPrecision);
    this.acts = allocateActivations(gpu, config, planned.maxStepTokens, planned.maxStepTokens);
    this.lastRow = gpu.alloc(config.nEmbd * 4, { label: 'last row', category: 'activations' });
    const decodeShape = { kvLen: maxContext, nHeads: config.nHeads, nKvHeads: config.nKvHeads, headDim: config.headDim };
    this.decodePartials = gpu.alloc(attentionDecodeScratchBytes(decodeShape), { label: 'decode partials', category: 'activations' });
    this.sampleU = gpu.alloc(4, { label: 'sample u', category: 'activations' });
    this.sampledId = gpu.alloc(4, { label: 'sampled id', category: 'activations' });
  }

  /**
   * Loads a GGUF model from a browser File/Blob or any ByteSource (in Node: `openFileSource`, which reports the
   * true size of files over 4 GiB where Node 20's `fs.openAsBlob` does not). Refuses, before allocating, a model
   * whose memory plan does not fit.
   */
  static async load(gpu: Gpu, source: Blob | ByteSource, options: ModelLoadOptions = {}): Promise<Model> {
    const name = sourceName(source, 'model');
    // Refuse tensor types no kernel decodes while reading the header, naming the tensor: later, the memory planner
    // would report them as "does not fit this GPU", which sends the user after the wrong problem.
    const file = await readGguf(source, { name, supportedTypes: QUANT_FORMATS });
    const config = modelConfigFromGguf(file);
    const maxContext = options.maxContext ?? Math.min(config.contextLength, 2048);
    const planned: PlannedSizes = {
      maxContextTokens: maxContext,
      maxStepTokens: Math.min(options.maxStepTokens ?? 256, maxContext),
      budgetBytes: options.budgetBytes,
      maxBindingBytes: options.maxBindingBytes ?? gpu.limits.maxStorageBufferBindingSize,
      kvPrecision: options.kvPrecision ?? DEFAULT_STORED_PRECISION,
    };
    assertPlanFits(planModel(gpu, file, config, planned), name);
    const weights = await loadModelWeights(gpu, file, source, config, options);
    return new Model(gpu, file, config, weights, planned);
  }

  /**
   * The memory plan of this model decoding `batch` sequences of up to `batchContext` positions together (1: the
   * model alone), within the budget and binding limit it was loaded with.
   */
  memoryPlan(batch = 1, batchContext?: number): MemoryPlan {
    return planModel(this.gpu, this.file, this.config, this.planned, batch, batchContext);
  }

  /** Positions in the KV cache. */
  get position(): number {
    return this.cache.length;
  }

  /**
   * Applies `lora` (unmerged: the base weights are untouched) to every later `forward`, or none with `undefined`.
   * Switching adapters needs no reload; the KV cache is not cleared, so call `reset` between texts.
   */
  useAdapter(lora: LoraAdapter | undefined): void {
    if (lora && lora.model !== this.config && JSON.stringify(lora.model) !== JSON.stringify(this.config)) {
      throw new LabError(
        `the adapter was made for "${lora.model.name}", not "${this.config.name}"`,
        'useAdapter',
        'Load an adapter trained on this base model.',
      );
    }
    if (this.adapter) this.gpu.buffers.free(this.adapter.h);
    this.adapter = lora && {
      lora,
      h: this.gpu.alloc(this.acts.maxTokens * lora.config.rank * 4, { label: 'lora scratch', category: 'activations' }),
    };
  }

  get activeAdapter(): LoraAdapter | undefined {
    return this.adapter?.lora;
  }

  /** Forgets the context: the next `forward` starts at position 0. */
  reset(): void {
    this.rewind(0);
  }

  /** Forgets the positions from `position` on: the next `forward` runs there (steps run past the end of a text). */
  rewind(position: number): void {
    if (!Number.isInteger(position) || position < 0 || position > this.cache.length)
      throw new LabError(`cannot rewind to position ${position}: the cache holds ${this.cache.length}`, 'rewind');
    this.cache.length = position;
  }

  /**
   * Runs `tokens` at the next positions, appending their keys and values to the cache, and returns logits:
   * of the last token ([V]) or of every token ([T, V], row-major).
   */
  async forward(tokens: readonly number[], logits: 'last' | 'all'): Promise<Float32Array> {
    const V = this.config.nVocab;
    this.checkTokens(tokens);
    const out = new Float32Array(logits === 'all' ? tokens.length * V : V);
    for (let start = 0; start < tokens.length; start += this.acts.maxTokens) {
      const chunk = tokens.slice(start, start + this.acts.maxTokens);
      const isLast = start + chunk.length === tokens.length;
      if (logits === 'all') {
        out.set(await this.step(chunk, 'all'), start * V);
      } else if (isLast) {
        out.set(await this.step(chunk, 'last'));
      } else {
        await this.step(chunk, 'none');
      }
    }
    return out;
  }

  /**
   * Runs `tokens` like `forward` and picks the next token on the GPU from the last row of logits (temperature,
   * top-k, top-p; greedy when temperature ≤ 0) with the caller's seeded `u` ∈ [0, 1): only the id is read back.
   */
  async forwardSample(tokens: readonly number[], sampling: SamplingOptions, u: number): Promise<number> {
    if (tokens.length > this.acts.maxTokens) {
      await this.forward(tokens.slice(0, -1), 'last');
      tokens = tokens.slice(-1);
    }
    this.checkTokens(tokens);
    return this.gpu.synced(this.sampleStep(tokens, sampling, u));
  }

  /**
   * Queues one decode step on the token the last step sampled (kept or not), copied on the GPU instead of read back
   * and written again, so that steps can be queued before the CPU knows their input. Resolves to the step's sampled
   * id once the GPU has run it; a GPU error surfaces only at the next `gpu.sync()`, which the caller must reach.
   */
  decodeSampled(sampling: SamplingOptions, u: number): Promise<number> {
    return this.sampleStep('last-sampled', sampling, u);
  }

  /** Submits a forward step over `input` that samples the next token with `u`, and reads back only the id. */
  private async sampleStep(input: StepInput, sampling: SamplingOptions, u: number): Promise<number> {
    const rec = this.record(input, 'last');
    this.gpu.write(this.sampleU, Float32Array.of(u));
    sampleTop(rec, { logits: this.acts.logits, u: this.sampleU, out: this.sampledId }, { rows: 1, vocab: this.config.nVocab }, sampling);
    this.lastStep = { ...this.lastStep!, total: rec.dispatchCount };
    const staging = this.gpu.stagingBuffer(4);
    rec.copy(this.sampledId, staging, 4);
    rec.submit();
    return new Uint32Array(await this.gpu.readStaged(staging, 4))[0];
  }

  private checkTokens(tokens: readonly number[]): void {
    const V = this.config.nVocab;
    for (const id of tokens) {
      if (!Number.isInteger(id) || id < 0 || id >= V)
        throw new LabError(`token id ${id} is outside the vocabulary (0..${V - 1})`, 'forward');
    }
    if (tokens.length === 0) throw new LabError('no tokens to run', 'forward');
  }

  private async step(tokens: readonly number[], logits: 'last' | 'all' | 'none'): Promise<Float32Array> {
    const rec = this.record(tokens, logits);
    rec.submit();
    if (logits === 'none') {
      await this.gpu.sync();
      return new Float32Array(0);
    }
    return this.gpu.readF32(this.acts.logits, (logits === 'all' ? tokens.length : 1) * this.config.nVocab);
  }

  /** Records one forward step over at most maxStepTokens tokens, leaving the requested logits in acts.logits. */
  private record(input: StepInput, logits: 'last' | 'all' | 'none'): Recorder {
    const { gpu, config: c, acts: a } = this;
    const T = input === 'last-sampled' ? 1 : input.length;
    const pos0 = this.cache.length;
    if (pos0 + T > this.cache.maxCtx) {
      throw new LabError(
        `${pos0 + T} positions do not fit the ${this.cache.maxCtx}-token context`,
        'forward',
        'Shorten the prompt or the generation.',
      );
    }
    gpu.write(
      a.positions,
      Uint32Array.from({ length: T }, (_, i) => pos0 + i),
    );
    const rec = gpu.recorder();
    if (input === 'last-sampled') rec.copy(this.sampledId, a.ids, 4);
    else gpu.write(a.ids, Uint32Array.from(input));
    const heads = { kvLen: pos0 + T, nHeads: c.nHeads, nKvHeads: c.nKvHeads, headDim: c.headDim, window: c.slidingWindow };
    const cache = this.cache;
    const attend: CacheAttention = {
      // One sequence: row t at position positions[t] (pos0 + t) of the cache's one slot.
      target: (l) => ({
        keys: cache.keys[l],
        values: cache.values[l],
        at: a.positions,
        slotValues: 0,
        firstSlot: 0,
        precision: cache.precision,
      }),
      append: (rec, l) => cache.append(rec, l, { k: a.k, v: a.v, positions: a.positions }, T),
      attend: (rec, l, quantizedOut) => {
        const kv = { k: cache.keys[l], v: cache.values[l] };
        const layout = { kvLayout: { kind: 'tokens' } as const, kvStorage: cache.precision };
        if (T === 1) {
          // One new token: split-K over the cache instead of a query tile that would be 1/64 used.
          attentionDecode(rec, { q: a.q, ...kv, partials: this.decodePartials, out: a.attn, quantizedOut }, heads, layout);
        } else {
          attentionForward(rec, { q: a.q, ...kv, out: a.attn, lse: a.lse }, { qLen: T, ...heads }, layout);
        }
      },
      quantizesOutput: T === 1 && attentionDecodeQuantizes(heads),
    };
    const perBlock = recordForward(
      rec,
      this.forwardWeights,
      a,
      T,
      attend,
      logits === 'last' ? { rows: 'last', lastRow: this.lastRow } : { rows: logits },
    );
    this.lastStep = { tokens: T, total: rec.dispatchCount, perBlock };
    this.cache.length = pos0 + T;
    return rec;
  }

  /** The dispatches of the last forward step recorded (what the bench reports per decoded token and prefill chunk). */
  get stepDispatches(): StepDispatches | undefined {
    return this.lastStep;
  }

  /** What a forward step reads besides its activations: weights, config and the adapter in use. */
  private get forwardWeights(): ForwardWeights {
    return { config: this.config, weights: this.weights, adapter: this.adapter };
  }

  free(): void {
    freeModelWeights(this.gpu, this.weights);
    freeActivations(this.gpu, this.acts);
    for (const b of [this.lastRow, this.decodePartials, this.sampleU, this.sampledId]) this.gpu.buffers.free(b);
    if (this.adapter) this.gpu.buffers.free(this.adapter.h);
    this.cache.free();
  }
}
