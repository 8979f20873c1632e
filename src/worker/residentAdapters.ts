import type { Model } from '../model/model';
import type { LoraAdapter } from '../model/lora/lora';

/** Adapters kept on the GPU besides the one in use: enough to switch back and forth without reading storage. */
const SPARE_ADAPTERS = 1;

/**
 * Which library adapters are on the GPU for the loaded model, and which one it applies. A 7B adapter of rank 16 on
 * all projections is ~160 MB, so only the one in use and the most recently used spare stay; the rest are read from
 * the library again when chosen.
 */
export class ResidentAdapters {
  /** Least recently used first. */
  private readonly resident = new Map<string, LoraAdapter>();
  private active: string | null = null;

  get activeId(): string | null {
    return this.active;
  }

  /** Applies adapter `id` (loading it with `load` when not on the GPU), or the base model with null. */
  async use(model: Model, id: string | null, load: () => Promise<LoraAdapter>): Promise<void> {
    if (id === null) {
      model.useAdapter(undefined);
      this.active = null;
      return;
    }
    let adapter = this.resident.get(id);
    if (!adapter) {
      adapter = await load();
      try {
        model.useAdapter(adapter);
      } catch (error) {
        adapter.free();
        throw error;
      }
    } else {
      model.useAdapter(adapter);
    }
    this.resident.delete(id);
    this.resident.set(id, adapter);
    this.active = id;
    this.evict();
  }

  /** A freshly trained adapter: replaces an older one of the same id (a resumed run), in use if that one was. */
  put(model: Model, id: string, adapter: LoraAdapter): void {
    const old = this.resident.get(id);
    if (this.active === id) model.useAdapter(adapter);
    if (old && old !== adapter) old.free();
    this.resident.delete(id);
    this.resident.set(id, adapter);
    this.evict();
  }

  /** Frees adapter `id`; the model falls back to the base model if it was in use. */
  drop(model: Model | undefined, id: string): void {
    if (this.active === id) {
      model?.useAdapter(undefined);
      this.active = null;
    }
    this.resident.get(id)?.free();
    this.resident.delete(id);
  }

  /** Frees every adapter (the model they were made for is being replaced). */
  clear(): void {
    for (const adapter of this.resident.values()) adapter.free();
    this.resident.clear();
    this.active = null;
  }

  private evict(): void {
    const spares = [...this.resident.keys()].filter((id) => id !== this.active);
    for (const id of spares.slice(0, Math.max(0, spares.length - SPARE_ADAPTERS))) {
      this.resident.get(id)!.free();
      this.resident.delete(id);
    }
  }
}
