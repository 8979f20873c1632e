import type { TrackedBuffer } from '../gpu/allocator';
import type { Recorder } from '../gpu/recorder';
import { attentionDecode, attentionDecodeQuantizes, attentionDecodeScratchBytes } from '../kernels/attentionDecode';
import { KV_STORE_SKIP } from '../kernels/kvStore';
import { sampleTop, type SamplingOptions } from '../kernels/sampling';
import { LabError } from '../errors';
import type { Model } from './model';
import { allocateActivations, freeActivations, type Activations } from './activations';
import { BatchKvCache } from './batchKvCache';
import { batchDecodeShape, batchKvLayout, batchStepRows } from './batchMemory';
import { recordForward, type ForwardWeights } from './forwardPass';
import type { CacheAttention } from './block';
import { assertPlanFits } from './inferenceMemoryPlan';

/**
 * One live sequence's input to a decode step: its slot, the token to run, and its sampling draw u ∈ [0, 1). Without
 * a token the row runs the id its slot's last step sampled, copied on the GPU (a step queued before the CPU has read
 * that id back); a step's rows are all of one kind.
 */
export interface BatchRow {
  slot: number;
  token?: number;
  u: number;
}

/**
 * Decodes up to `slots` sequences of one model together. Each sequence is prefilled alone on the model (its own
 * KV cache and step buffers, the path `generate` takes) and moved into a slot of the batch cache; after that one
 * decode step runs one row per live sequence with per-slot positions and cache lengths, and samples every row on
 * the GPU: one dispatch per projection for all rows (each weight decoded once per step for all of them), one KV
 * store per layer, one submission and one read-back per step, instead of one of each per sequence. The model's
 * adapter at creation applies to every row. Free it when done: it holds a KV cache per slot.
 */
export class BatchDecoder {
  readonly cache: BatchKvCache;
  private readonly rows: number;
  private readonly acts: Activations;
  private readonly forwardWeights: ForwardWeights;
  private readonly buffers: {
    lengths: TrackedBuffer;
    storeAt: TrackedBuffer;
    u: TrackedBuffer;
    sampled: TrackedBuffer;
    sampledAll: TrackedBuffer;
    partials: TrackedBuffer;
  };

  private constructor(
    private readonly model: Model,
    readonly slots: number,
    maxCtx: number,
  ) {
    const { gpu, config } = model;
    this.rows = batchStepRows(slots);
    this.cache = new BatchKvCache(gpu, config, maxCtx, slots, model.cache.precision);
    this.acts = allocateActivations(gpu, config, this.rows, this.rows);
    const small = (label: string, count: number) => gpu.alloc(count * 4, { label, category: 'activations' });
    this.buffers = {
      lengths: small('batch lengths', this.rows),
      storeAt: small('batch kv store positions', this.rows),
      u: small('batch sample u', this.rows),
      sampled: small('batch sampled ids', this.rows),
      sampledAll: small('batch sampled ids, all slots', slots),
      partials: gpu.alloc(attentionDecodeScratchBytes(batchDecodeShape(config, this.rows, maxCtx, this.cache.precision)), {
        label: 'batch decode partials',
        category: 'activations',
      }),
    };
    const lora = model.activeAdapter;
    // The adapter's scratch x·Aᵀ is per row: the model's is sized for its own step, this one for a batch step.
    this.forwardWeights = {
      config,
      weights: model.weights,
      adapter: lora && { lora, h: gpu.alloc(this.rows * lora.config.rank * 4, { label: 'batch lora scratch', category: 'activations' }) },
    };
  }

  /**
   * A decoder for `slots` sequences of up to `maxCtx` positions each (at most the model's context), refused with
   * the memory plan's numbers when it does not fit beside the model.
   */
  static create(model: Model, slots: number, maxCtx = model.cache.maxCtx): BatchDecoder {
    const where = `decode batch of ${slots}`;
    if (!Number.isInteger(slots) || slots < 2)
      throw new LabError('a batch holds 2 or more sequences', where, 'Decode one sequence alone with generate.');
    if (!Number.isInteger(maxCtx) || maxCtx < 1 || maxCtx > model.cache.maxCtx) {
      throw new LabError(`${maxCtx} positions per sequence is not 1..${model.cache.maxCtx} (the model's context)`, where);
    }
    assertPlanFits(model.memoryPlan(slots, maxCtx), where, `the model with ${slots} sequences of ${maxCtx} positions`);
    return new BatchDecoder(model, slots, maxCtx);
  }

  /**
   * Runs `promptIds` through the model alone (as `generate` does: its own cache, steps of its step size), samples
   * the first generated token from the last position with `u`, and moves the prefilled sequence into `slot`.
   */
  async prefill(slot: number, promptIds: readonly number[], sampling: SamplingOptions, u: number): Promise<number> {
    this.checkSlot(slot);
    this.model.reset();
    const id = await this.model.forwardSample(promptIds, sampling, u);
    const rec = this.model.gpu.recorder();
    this.cache.load(rec, slot, this.model.cache);
    // Submitted before the model's cache is reused for the next prompt: queue order keeps the copy first.
    rec.submit();
    return id;
  }

  /**
   * One decode step: every row's token runs at the next position of its slot and the next token is sampled from
   * its logits. Returns the sampled ids in the order of `rows`. Slots not named keep their caches unchanged.
   */
  async step(rows: readonly BatchRow[], sampling: SamplingOptions): Promise<number[]> {
    return this.model.gpu.synced(this.queueStep(rows, sampling));
  }

  /**
   * Queues the decode step that `step` runs, without waiting for it, and counts its positions in the slots' lengths
   * at once, so that further steps can be queued behind it. Resolves to the sampled ids once the GPU has run it; a GPU error surfaces only at
   * the next `sync()`, which the caller must reach.
   */
  queueStep(rows: readonly BatchRow[], sampling: SamplingOptions): Promise<number[]> {
    const bySlot = new Map<number, BatchRow>();
    for (const row of rows) {
      this.checkSlot(row.slot);
      if (bySlot.has(row.slot)) throw new LabError(`slot ${row.slot} has two rows in one step`, 'batch decoder');
      if ((row.token === undefined) !== (rows[0].token === undefined))
        throw new LabError('a step runs either the tokens given or the ids last sampled, not both', `batch slot ${row.slot}`);
      if (this.cache.lengths[row.slot] >= this.cache.maxCtx) {
        throw new LabError(
          `the context is full (${this.cache.maxCtx} tokens)`,
          `batch slot ${row.slot}`,
          'Stop the sequence before its context is full.',
        );
      }
      bySlot.set(row.slot, row);
    }
    const slots = [...bySlot.keys()].sort((a, b) => a - b);
    const { gpu } = this.model;
    const staging = gpu.stagingBuffer(this.slots * 4);
    for (let i = 0; i < slots.length;) {
      // A run of at most `rows` consecutive slots from the first live one; finished slots inside it are masked.
      const first = slots[i];
      let count = 0;
      for (; i < slots.length && slots[i] < first + this.rows; i++) count = slots[i] - first + 1;
      const group = Array.from({ length: count }, (_, r) => bySlot.get(first + r));
      const rec = this.recordGroup(first, group, sampling);
      if (i === slots.length) rec.copy(this.buffers.sampledAll, staging, this.slots * 4);
      rec.submit();
    }
    for (const slot of slots) this.cache.lengths[slot]++;
    return this.readSampled(staging, rows);
  }

  private async readSampled(staging: TrackedBuffer, rows: readonly BatchRow[]): Promise<number[]> {
    const sampled = new Uint32Array(await this.model.gpu.readStaged(staging, this.slots * 4));
    return rows.map((row) => sampled[row.slot]);
  }

  /** Forgets the positions of `slot` from `length` on (those of steps queued past the end of its sequence). */
  rewind(slot: number, length: number): void {
    this.checkSlot(slot);
    if (!Number.isInteger(length) || length < 0 || length > this.cache.lengths[slot]) {
      throw new LabError(`cannot rewind to position ${length}: the slot holds ${this.cache.lengths[slot]}`, `batch slot ${slot}`);
    }
    this.cache.lengths[slot] = length;
  }

  /** Waits for the steps queued and throws the first GPU error they produced. */
  sync(): Promise<void> {
    return this.model.gpu.sync();
  }

  /**
   * Records rows for slots first .. first + group.length − 1 and their sampled ids into sampledAll. A slot with no
   * row (finished, or left out of this step) runs as token 0 (or its last sampled id) at position 0 over what its cache holds (at least one
   * position is read, none is written): its output is ignored and its cache and length stay as they are.
   */
  private recordGroup(first: number, group: readonly (BatchRow | undefined)[], sampling: SamplingOptions): Recorder {
    const { gpu, config: c } = this.model;
    const n = group.length;
    const a = this.acts;
    const lengths = group.map((_, r) => this.cache.lengths[first + r]);
    const appendAt = group.map((row, r) => (row ? lengths[r] : undefined));
    const onSampled = group.some((row) => row && row.token === undefined);
    if (!onSampled) {
      gpu.write(
        a.ids,
        Uint32Array.from(group, (row) => row?.token ?? 0),
      );
    }
    gpu.write(
      a.positions,
      Uint32Array.from(appendAt, (p) => p ?? 0),
    );
    gpu.write(
      this.buffers.storeAt,
      Uint32Array.from(appendAt, (p) => p ?? KV_STORE_SKIP),
    );
    const rowLengths = Uint32Array.from(appendAt, (p, r) => (p === undefined ? Math.max(1, lengths[r]) : p + 1));
    gpu.write(this.buffers.lengths, rowLengths);
    gpu.write(
      this.buffers.u,
      Float32Array.from(group, (row) => row?.u ?? 0),
    );
    const rec = gpu.recorder();
    // The group's slots' last sampled ids, masked slots' included (any id of the vocabulary does for them).
    if (onSampled) rec.copy(this.buffers.sampledAll, a.ids, n * 4, first * 4);
    // Chunks over the longest sequence of the group (not the whole slot): every row's own length bounds its keys.
    const kvLen = Math.max(...rowLengths);
    const { maxCtx, precision } = this.cache;
    const shape = { ...batchDecodeShape(c, n, maxCtx, precision), kvLen, window: c.slidingWindow };
    const kvLayout = batchKvLayout(c, maxCtx, precision);
    const cache = this.cache;
    const attend: CacheAttention = {
      // Rows that sit the step out store nothing (KV_STORE_SKIP) and rotate at position 0, as a.positions has them.
      target: (l) => ({ ...cache.storeTarget(l, first), at: this.buffers.storeAt }),
      append: (rec, l) => cache.append(rec, l, { k: a.k, v: a.v, at: this.buffers.storeAt, count: n }, first),
      attend: (rec, l, quantizedOut) => {
        const kv = { k: cache.binding('k', l, first, n), v: cache.binding('v', l, first, n) };
        const buffers = { q: a.q, ...kv, lengths: this.buffers.lengths, partials: this.buffers.partials, out: a.attn, quantizedOut };
        attentionDecode(rec, buffers, shape, { kvLayout, kvStorage: precision });
      },
      quantizesOutput: attentionDecodeQuantizes(shape),
    };
    recordForward(rec, this.forwardWeights, a, n, attend, { rows: 'all' });
    sampleTop(rec, { logits: a.logits, u: this.buffers.u, out: this.buffers.sampled }, { rows: n, vocab: c.nVocab }, sampling);
    rec.copy(this.buffers.sampled, this.buffers.sampledAll, n * 4, 0, first * 4);
    return rec;
  }

  private checkSlot(slot: number): void {
    if (!Number.isInteger(slot) || slot < 0 || slot >= this.slots)
      throw new LabError(`slot ${slot} is not one of 0..${this.slots - 1}`, 'batch decoder');
  }

  free(): void {
    const { gpu } = this.model;
    this.cache.free();
    freeActivations(gpu, this.acts);
    for (const b of Object.values(this.buffers)) gpu.buffers.free(b);
    if (this.forwardWeights.adapter) gpu.buffers.free(this.forwardWeights.adapter.h);
  }
}
