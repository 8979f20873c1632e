import type { Gpu } from '../../gpu/gpu';
import type { TrackedBuffer, MemoryCategory } from '../../gpu/allocator';
import type { Binding } from '../../gpu/recorder';
import { LabError } from '../../errors';
import { seededRandom } from '../../util/random';
import type { ModelConfig } from '../config';
import { PROJECTIONS, type Projection } from '../tensorNames';

/** What the user chooses about an adapter. */
export interface LoraConfig {
  rank: number;
  alpha: number;
  /** Probability of zeroing an input feature of the adapter branch during training (0: none). */
  dropout: number;
  /** Projections that carry an adapter, in every layer. */
  targets: readonly Projection[];
  /** Seeds the initialisation of A. */
  seed: number;
}

export const DEFAULT_LORA: Omit<LoraConfig, 'seed'> = { rank: 16, alpha: 32, dropout: 0, targets: PROJECTIONS };

/** Where one (layer, projection) adapter sits in the flat parameter buffer: A [rank, inFeatures], B [outFeatures, rank]. */
export interface LoraSlot {
  layer: number;
  projection: Projection;
  inFeatures: number;
  outFeatures: number;
  /** Offsets in f32 elements, each a multiple of ALIGN_FLOATS. */
  aOffset: number;
  bOffset: number;
}

/**
 * Every tensor starts on a 256-byte boundary: the most any WebGPU device asks of a storage binding's offset
 * (minStorageBufferOffsetAlignment), so each A and B can be bound as a range of one buffer on any device.
 */
const ALIGN_FLOATS = 64;

const align = (n: number) => Math.ceil(n / ALIGN_FLOATS) * ALIGN_FLOATS;

/** (in, out) features of each projection. */
export function projectionShape(c: ModelConfig, p: Projection): { inFeatures: number; outFeatures: number } {
  const qDim = c.nHeads * c.headDim;
  const kvDim = c.nKvHeads * c.headDim;
  const shapes: Record<Projection, [number, number]> = {
    q: [c.nEmbd, qDim],
    k: [c.nEmbd, kvDim],
    v: [c.nEmbd, kvDim],
    o: [qDim, c.nEmbd],
    gate: [c.nEmbd, c.nFf],
    up: [c.nEmbd, c.nFf],
    down: [c.nFf, c.nEmbd],
  };
  const [inFeatures, outFeatures] = shapes[p];
  return { inFeatures, outFeatures };
}

export function checkLoraConfig(config: LoraConfig): void {
  const where = 'LoRA config';
  if (!Number.isInteger(config.rank) || config.rank < 1 || config.rank > 1024) {
    throw new LabError(`rank ${config.rank} must be an integer from 1 to 1024`, where, 'Ranks 8 to 64 are usual.');
  }
  if (!Number.isFinite(config.alpha) || config.alpha <= 0) throw new LabError(`alpha ${config.alpha} must be a positive number`, where);
  if (!(config.dropout >= 0 && config.dropout < 1)) throw new LabError(`dropout ${config.dropout} must be in [0, 1)`, where);
  if (config.targets.length === 0) throw new LabError('no target projections', where, `Choose some of ${PROJECTIONS.join(', ')}.`);
  for (const t of config.targets) {
    if (!PROJECTIONS.includes(t)) throw new LabError(`unknown target "${t}"`, where, `Targets are ${PROJECTIONS.join(', ')}.`);
  }
  if (new Set(config.targets).size !== config.targets.length) throw new LabError('a target is listed twice', where);
}

/** The slots of every adapter tensor in layer-major, PROJECTIONS order, and the padded total in floats. */
export function loraLayout(model: ModelConfig, config: LoraConfig): { slots: LoraSlot[]; totalFloats: number } {
  const slots: LoraSlot[] = [];
  let offset = 0;
  for (let layer = 0; layer < model.nLayers; layer++) {
    for (const projection of PROJECTIONS) {
      if (!config.targets.includes(projection)) continue;
      const { inFeatures, outFeatures } = projectionShape(model, projection);
      const aOffset = offset;
      const bOffset = align(aOffset + config.rank * inFeatures);
      offset = align(bOffset + outFeatures * config.rank);
      slots.push({ layer, projection, inFeatures, outFeatures, aOffset, bOffset });
    }
  }
  return { slots, totalFloats: Math.max(offset, ALIGN_FLOATS) };
}

/**
 * PEFT's initialisation: A ~ U(−1/√in, 1/√in) — torch's kaiming_uniform_ with a = √5, whose bound
 * √3 · √(2 / (1 + a²)) / √fan_in reduces to 1/√fan_in — and B = 0, so a fresh adapter changes nothing.
 * Values are drawn slot by slot from one generator seeded with `seed`; padding stays 0.
 */
export function initialLoraValues(model: ModelConfig, config: LoraConfig): Float32Array {
  const { slots, totalFloats } = loraLayout(model, config);
  const values = new Float32Array(totalFloats);
  const next = seededRandom(config.seed);
  for (const s of slots) {
    const bound = 1 / Math.sqrt(s.inFeatures);
    for (let i = 0; i < config.rank * s.inFeatures; i++) values[s.aOffset + i] = (next() * 2 - 1) * bound;
  }
  return values;
}

/**
 * A LoRA adapter on the GPU: for every targeted projection of every layer, y += scale · (x·Aᵀ)·Bᵀ with
 * scale = alpha / rank, applied next to the frozen weight (never merged into it). All A and B matrices sit back
 * to back in one f32 buffer (see `loraLayout`), so the optimizer updates them in one dispatch; gradients and
 * optimizer moments use buffers of the same layout (`allocateLike`).
 */
export class LoraAdapter {
  readonly scale: number;
  readonly slots: readonly LoraSlot[];
  readonly totalFloats: number;
  private readonly bySlot = new Map<string, LoraSlot>();

  private constructor(
    readonly gpu: Gpu,
    readonly model: ModelConfig,
    readonly config: LoraConfig,
    readonly params: TrackedBuffer,
  ) {
    const layout = loraLayout(model, config);
    this.slots = layout.slots;
    this.totalFloats = layout.totalFloats;
    this.scale = config.alpha / config.rank;
    for (const s of layout.slots) this.bySlot.set(`${s.layer}.${s.projection}`, s);
  }

  /** A fresh adapter initialised as PEFT does, from `config.seed`. */
  static create(gpu: Gpu, model: ModelConfig, config: LoraConfig): LoraAdapter {
    checkLoraConfig(config);
    const params = gpu.upload(initialLoraValues(model, config), { label: 'lora params', category: 'lora' });
    return new LoraAdapter(gpu, model, config, params);
  }

  /** An adapter holding `values` (laid out as `loraLayout` says). */
  static fromValues(gpu: Gpu, model: ModelConfig, config: LoraConfig, values: Float32Array): LoraAdapter {
    checkLoraConfig(config);
    const { totalFloats } = loraLayout(model, config);
    if (values.length !== totalFloats) {
      throw new LabError(`${values.length} adapter values given, the layout needs ${totalFloats}`, 'LoRA adapter');
    }
    return new LoraAdapter(gpu, model, config, gpu.upload(values, { label: 'lora params', category: 'lora' }));
  }

  slot(layer: number, projection: Projection): LoraSlot | undefined {
    return this.bySlot.get(`${layer}.${projection}`);
  }

  /** A zeroed buffer of the parameters' layout: gradients, optimizer moments. */
  allocateLike(label: string, category: MemoryCategory): TrackedBuffer {
    return this.gpu.alloc(this.totalFloats * 4, { label, category });
  }

  /** The A or B of a slot in `buffer` (the parameters, or a buffer from `allocateLike`) as a binding. */
  binding(slot: LoraSlot, which: 'a' | 'b', buffer: TrackedBuffer = this.params): Binding {
    const offset = which === 'a' ? slot.aOffset : slot.bOffset;
    const floats = which === 'a' ? this.config.rank * slot.inFeatures : slot.outFeatures * this.config.rank;
    return { buffer: buffer.buffer, offset: offset * 4, size: floats * 4, range: true };
  }

  async readValues(buffer: TrackedBuffer = this.params): Promise<Float32Array> {
    return this.gpu.readF32(buffer, this.totalFloats);
  }

  writeValues(values: Float32Array): void {
    if (values.length !== this.totalFloats)
      throw new LabError(`${values.length} values for a ${this.totalFloats}-value adapter`, 'LoRA adapter');
    this.gpu.write(this.params, values);
  }

  free(): void {
    this.gpu.buffers.free(this.params);
  }
}
