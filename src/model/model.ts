import type { Gpu } from '../gpu/gpu';
import type { TrackedBuffer } from '../gpu/allocator';
import type { Recorder } from '../gpu/recorder';
import { LabError } from '../errors';
import { readGguf, type GgufFile } from '../formats/gguf';
import { embeddingLookup } from '../kernels/embedding';
import { rmsNorm } from '../kernels/rmsnorm';
import { rope } from '../kernels/rope';
import { attentionForward } from '../kernels/attention';
import { attentionDecode, attentionDecodeScratchBytes } from '../kernels/attentionDecode';
import { sampleTop, type SamplingOptions } from '../kernels/sampling';
import { swiglu } from '../kernels/swiglu';
import { biasAdd } from '../kernels/biasAdd';
import { modelConfigFromGguf, type ModelConfig } from './config';
import { freeModelWeights, loadModelWeights, type LoadWeightsOptions, type ModelWeights } from './weights';
import { KvCache } from './kvCache';
import { allocateActivations, freeActivations, type Activations } from './activations';
import { assertPlanFits, planInferenceMemory } from './memoryPlan';
import { linear } from './linear';
import { QUANT_FORMATS } from '../kernels/quantWeight';
import { applyLora, type LoraAdapter } from './lora';
import type { Projection } from './tensorNames';

export interface ModelLoadOptions extends LoadWeightsOptions {
  /** Most positions the KV cache holds (prompt + generated). Default: the model's context length, at most 2048. */
  maxContext?: number;
  /** Tokens per forward step during prefill; longer prompts run in several steps. Default 256. */
  maxStepTokens?: number;
  /** GPU memory the model may use (WebGPU does not report the device's total); checked before allocating. */
  budgetBytes?: number;
}

/**
 * A llama-family model on the GPU, ready to run: frozen weights in their GGUF layout, a KV cache and the
 * scratch buffers of one forward step. `forward` reads like the math; the shapes are in the comments
 * (T tokens, D = nEmbd, H heads, Hkv KV heads, d head dim, F FFN width, V vocab).
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

  private constructor(
    readonly gpu: Gpu,
    readonly file: GgufFile,
    readonly config: ModelConfig,
    readonly weights: ModelWeights,
    maxContext: number,
    maxStepTokens: number,
  ) {
    this.cache = new KvCache(gpu, config, maxContext);
    this.acts = allocateActivations(gpu, config, maxStepTokens, maxStepTokens);
    this.lastRow = gpu.alloc(config.nEmbd * 4, { label: 'last row', category: 'activations' });
    const decodeShape = { kvLen: maxContext, nHeads: config.nHeads, nKvHeads: config.nKvHeads, headDim: config.headDim };
    this.decodePartials = gpu.alloc(attentionDecodeScratchBytes(decodeShape), { label: 'decode partials', category: 'activations' });
    this.sampleU = gpu.alloc(4, { label: 'sample u', category: 'activations' });
    this.sampledId = gpu.alloc(4, { label: 'sampled id', category: 'activations' });
  }

  static async load(gpu: Gpu, source: Blob, options: ModelLoadOptions = {}): Promise<Model> {
    const name = (source as File).name || 'model';
    // Refuse tensor types no kernel decodes while reading the header, naming the tensor: before this, the memory
    // planner reported them as "does not fit this GPU", which sends the user after the wrong problem.
    const file = await readGguf(source, { name, supportedTypes: QUANT_FORMATS });
    const config = modelConfigFromGguf(file);
    const maxContext = options.maxContext ?? Math.min(config.contextLength, 2048);
    const maxStepTokens = Math.min(options.maxStepTokens ?? 256, maxContext);
    const limits = { ...gpu.limits, maxStorageBufferBindingSize: options.maxBindingBytes ?? gpu.limits.maxStorageBufferBindingSize };
    assertPlanFits(planInferenceMemory(file, config, limits, { maxContext, maxStepTokens, budgetBytes: options.budgetBytes }), name);
    const weights = await loadModelWeights(gpu, file, source, config, options);
    return new Model(gpu, file, config, weights, maxContext, maxStepTokens);
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
      throw new LabError(`the adapter was made for "${lora.model.name}", not "${this.config.name}"`, 'useAdapter', 'Load an adapter trained on this base model.');
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
    this.cache.length = 0;
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
    const rec = this.record(tokens, 'last');
    this.gpu.write(this.sampleU, Float32Array.of(u));
    sampleTop(rec, { logits: this.acts.logits, u: this.sampleU, out: this.sampledId }, { rows: 1, vocab: this.config.nVocab }, sampling);
    rec.submit();
    return (await this.gpu.readU32(this.sampledId, 1))[0];
  }

  private checkTokens(tokens: readonly number[]): void {
    const V = this.config.nVocab;
    for (const id of tokens) {
      if (!Number.isInteger(id) || id < 0 || id >= V) throw new LabError(`token id ${id} is outside the vocabulary (0..${V - 1})`, 'forward');
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
  private record(tokens: readonly number[], logits: 'last' | 'all' | 'none'): Recorder {
    const { gpu, config: c, acts: a, weights: w } = this;
    const T = tokens.length;
    const pos0 = this.cache.length;
    if (pos0 + T > this.cache.maxCtx) {
      throw new LabError(`${pos0 + T} positions do not fit the ${this.cache.maxCtx}-token context`, 'forward', 'Shorten the prompt or the generation.');
    }
    gpu.write(a.ids, Uint32Array.from(tokens));
    gpu.write(a.positions, Uint32Array.from({ length: T }, (_, i) => pos0 + i));
    const rec = gpu.recorder();
    embeddingLookup(rec, a.ids, w.tokenEmbd, a.x, { tokens: T }); // x: [T, D]
    for (let l = 0; l < c.nLayers; l++) this.block(rec, l, T, pos0);
    this.cache.length = pos0 + T;
    if (logits === 'none') return rec;
    const rows = logits === 'all' ? T : 1;
    let normInput = a.x;
    if (logits === 'last') {
      rec.copy(a.x, this.lastRow, c.nEmbd * 4, (T - 1) * c.nEmbd * 4);
      normInput = this.lastRow;
    }
    rmsNorm(rec, { x: normInput, w: w.outputNorm, y: a.xn, rstd: a.rstd }, { rows, n: c.nEmbd, eps: c.rmsEps });
    linear(rec, a.xn, w.output, a.logits, rows); // logits: [rows, V]
    return rec;
  }

  /** y = x·Wᵀ (+ y when accumulating) for projection p of layer l, plus the adapter's share where it has one. */
  private project(rec: Recorder, l: number, p: Projection, x: TrackedBuffer, y: TrackedBuffer, T: number, accumulate = false): void {
    linear(rec, x, this.weights.layers[l].proj[p], y, T, accumulate);
    if (this.adapter) applyLora(rec, this.adapter.lora, l, p, { x, y, h: this.adapter.h }, T);
  }

  /** One transformer block at positions pos0 .. pos0 + T − 1, updating the residual stream x in place. */
  private block(rec: Recorder, l: number, T: number, pos0: number): void {
    const { config: c, acts: a } = this;
    const layer = this.weights.layers[l];
    const qDim = c.nHeads * c.headDim;
    const kvDim = c.nKvHeads * c.headDim;

    // Attention: xn = rmsnorm(x); q, k, v = xn·Wqᵀ, xn·Wkᵀ, xn·Wvᵀ; rotate q and k by position.
    rmsNorm(rec, { x: a.x, w: layer.attnNorm, y: a.xn, rstd: a.rstd }, { rows: T, n: c.nEmbd, eps: c.rmsEps });
    this.project(rec, l, 'q', a.xn, a.q, T); // [T, H·d]
    this.project(rec, l, 'k', a.xn, a.k, T); // [T, Hkv·d]
    this.project(rec, l, 'v', a.xn, a.v, T); // [T, Hkv·d]
    if (layer.bias) {
      biasAdd(rec, a.q, layer.bias.q, { rows: T, n: qDim });
      biasAdd(rec, a.k, layer.bias.k, { rows: T, n: kvDim });
      biasAdd(rec, a.v, layer.bias.v, { rows: T, n: kvDim });
    }
    const ropeShape = { tokens: T, headDim: c.headDim, nRot: c.nRot, mode: c.ropeMode };
    const ropeBuffers = { positions: a.positions, invFreq: this.weights.ropeInvFreq };
    rope(rec, { x: a.q, ...ropeBuffers }, { ...ropeShape, nHeads: c.nHeads });
    rope(rec, { x: a.k, ...ropeBuffers }, { ...ropeShape, nHeads: c.nKvHeads });
    this.cache.append(rec, l, a.k, a.v, T);
    const heads = { kvLen: pos0 + T, nHeads: c.nHeads, nKvHeads: c.nKvHeads, headDim: c.headDim, window: c.slidingWindow };
    const kv = { k: this.cache.keys[l], v: this.cache.values[l] };
    if (T === 1) {
      // One new token: split-K over the cache instead of a query tile that would be 1/64 used.
      attentionDecode(rec, { q: a.q, ...kv, partials: this.decodePartials, out: a.attn }, heads, { kvLayout: { kind: 'tokens' } });
    } else {
      attentionForward(rec, { q: a.q, ...kv, out: a.attn, lse: a.lse }, { qLen: T, ...heads });
    } // attn: [T, H·d]
    this.project(rec, l, 'o', a.attn, a.x, T, true); // x += attn·Woᵀ

    // Feed-forward: x += (silu(xn·Wgateᵀ) ∘ xn·Wupᵀ)·Wdownᵀ with xn = rmsnorm(x).
    rmsNorm(rec, { x: a.x, w: layer.ffnNorm, y: a.xn, rstd: a.rstd }, { rows: T, n: c.nEmbd, eps: c.rmsEps });
    this.project(rec, l, 'gate', a.xn, a.gate, T); // [T, F]
    this.project(rec, l, 'up', a.xn, a.up, T); // [T, F]
    swiglu(rec, a.gate, a.up, a.hidden, T * c.nFf);
    this.project(rec, l, 'down', a.hidden, a.x, T, true); // x += hidden·Wdownᵀ
  }

  free(): void {
    freeModelWeights(this.gpu, this.weights);
    freeActivations(this.gpu, this.acts);
    for (const b of [this.lastRow, this.decodePartials, this.sampleU, this.sampledId]) this.gpu.buffers.free(b);
    if (this.adapter) this.gpu.buffers.free(this.adapter.h);
    this.cache.free();
  }
}
