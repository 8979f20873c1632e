import type { Gpu } from '../gpu/gpu';
import type { TrackedBuffer } from '../gpu/allocator';
import type { Recorder } from '../gpu/recorder';
import { LabError } from '../errors';
import { readGguf, type GgufFile } from '../formats/gguf';
import { embeddingLookup } from '../kernels/embedding';
import { rmsNorm } from '../kernels/rmsnorm';
import { rope } from '../kernels/rope';
import { attentionForward } from '../kernels/attention';
import { swiglu } from '../kernels/swiglu';
import { biasAdd } from '../kernels/biasAdd';
import { modelConfigFromGguf, type ModelConfig } from './config';
import { freeModelWeights, loadModelWeights, type LoadWeightsOptions, type ModelWeights } from './weights';
import { KvCache } from './kvCache';
import { allocateActivations, freeActivations, type Activations } from './activations';
import { linear } from './linear';

export interface ModelLoadOptions extends LoadWeightsOptions {
  /** Most positions the KV cache holds (prompt + generated). Default: the model's context length, at most 2048. */
  maxContext?: number;
  /** Tokens per forward step during prefill; longer prompts run in several steps. Default 256. */
  maxStepTokens?: number;
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
  }

  static async load(gpu: Gpu, source: Blob, options: ModelLoadOptions = {}): Promise<Model> {
    const file = await readGguf(source);
    const config = modelConfigFromGguf(file);
    const weights = await loadModelWeights(gpu, file, source, config, options);
    const maxContext = options.maxContext ?? Math.min(config.contextLength, 2048);
    return new Model(gpu, file, config, weights, maxContext, Math.min(options.maxStepTokens ?? 256, maxContext));
  }

  /** Positions in the KV cache. */
  get position(): number {
    return this.cache.length;
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
    for (const id of tokens) {
      if (!Number.isInteger(id) || id < 0 || id >= V) throw new LabError(`token id ${id} is outside the vocabulary (0..${V - 1})`, 'forward');
    }
    if (tokens.length === 0) throw new LabError('no tokens to run', 'forward');
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

  private async step(tokens: readonly number[], logits: 'last' | 'all' | 'none'): Promise<Float32Array> {
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
    if (logits === 'none') {
      rec.submit();
      await gpu.sync();
      return new Float32Array(0);
    }
    const rows = logits === 'all' ? T : 1;
    let normInput = a.x;
    if (logits === 'last') {
      rec.copy(a.x, this.lastRow, c.nEmbd * 4, (T - 1) * c.nEmbd * 4);
      normInput = this.lastRow;
    }
    rmsNorm(rec, { x: normInput, w: w.outputNorm, y: a.xn, rstd: a.rstd }, { rows, n: c.nEmbd, eps: c.rmsEps });
    linear(rec, a.xn, w.output, a.logits, rows); // logits: [rows, V]
    rec.submit();
    return gpu.readF32(a.logits, rows * c.nVocab);
  }

  /** One transformer block at positions pos0 .. pos0 + T − 1, updating the residual stream x in place. */
  private block(rec: Recorder, l: number, T: number, pos0: number): void {
    const { config: c, acts: a } = this;
    const layer = this.weights.layers[l];
    const qDim = c.nHeads * c.headDim;
    const kvDim = c.nKvHeads * c.headDim;

    // Attention: xn = rmsnorm(x); q, k, v = xn·Wqᵀ, xn·Wkᵀ, xn·Wvᵀ; rotate q and k by position.
    rmsNorm(rec, { x: a.x, w: layer.attnNorm, y: a.xn, rstd: a.rstd }, { rows: T, n: c.nEmbd, eps: c.rmsEps });
    linear(rec, a.xn, layer.proj.q, a.q, T); // [T, H·d]
    linear(rec, a.xn, layer.proj.k, a.k, T); // [T, Hkv·d]
    linear(rec, a.xn, layer.proj.v, a.v, T); // [T, Hkv·d]
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
    attentionForward(
      rec,
      { q: a.q, k: this.cache.keys[l], v: this.cache.values[l], out: a.attn, lse: a.lse },
      { qLen: T, kvLen: pos0 + T, nHeads: c.nHeads, nKvHeads: c.nKvHeads, headDim: c.headDim, window: c.slidingWindow },
    ); // attn: [T, H·d]
    linear(rec, a.attn, layer.proj.o, a.x, T, true); // x += attn·Woᵀ

    // Feed-forward: x += (silu(xn·Wgateᵀ) ∘ xn·Wupᵀ)·Wdownᵀ with xn = rmsnorm(x).
    rmsNorm(rec, { x: a.x, w: layer.ffnNorm, y: a.xn, rstd: a.rstd }, { rows: T, n: c.nEmbd, eps: c.rmsEps });
    linear(rec, a.xn, layer.proj.gate, a.gate, T); // [T, F]
    linear(rec, a.xn, layer.proj.up, a.up, T); // [T, F]
    swiglu(rec, a.gate, a.up, a.hidden, T * c.nFf);
    linear(rec, a.hidden, layer.proj.down, a.x, T, true); // x += hidden·Wdownᵀ
  }

  free(): void {
    freeModelWeights(this.gpu, this.weights);
    freeActivations(this.gpu, this.acts);
    this.gpu.buffers.free(this.lastRow);
    this.cache.free();
  }
}
