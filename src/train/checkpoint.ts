import { LabError } from '../errors';
import { readSafetensors, readSafetensorsF32, writeSafetensors } from '../formats/safetensors';
import type { TrainConfig } from './config';

/** Where a run keeps its latest checkpoint: OPFS in the browser, a directory in Node. */
export interface CheckpointStore {
  /** Replaces the stored checkpoint (atomically where the storage allows it). */
  save(checkpoint: Blob): Promise<void>;
  /** The stored checkpoint, or undefined when there is none. */
  load(): Promise<Blob | undefined>;
  /** Where it lives, for messages. */
  readonly location: string;
}

/** Everything a run needs to continue exactly where it stopped. */
export interface TrainingCheckpoint {
  config: TrainConfig;
  /** Optimizer steps done. The data order and every other random choice derive from (seed, step). */
  step: number;
  /** Seconds of training and tokens trained on so far (for tokens/s and ETA across pauses). */
  elapsedSeconds: number;
  tokensSeen: number;
  /** Name of the base model the adapter belongs to. */
  modelName: string;
  /** Adapter parameters and AdamW moments, in the adapter's flat layout (see loraLayout). */
  params: Float32Array;
  m: Float32Array;
  v: Float32Array;
}

const FORMAT = 'lora-lab-checkpoint-1';

/** One safetensors file: the three f32 vectors as tensors, the rest as JSON in the metadata. */
export function serializeCheckpoint(c: TrainingCheckpoint): Blob {
  const state = {
    format: FORMAT,
    config: c.config,
    step: c.step,
    elapsedSeconds: c.elapsedSeconds,
    tokensSeen: c.tokensSeen,
    modelName: c.modelName,
  };
  return writeSafetensors(
    [
      { name: 'params', dtype: 'F32', shape: [c.params.length], values: c.params },
      { name: 'adam_m', dtype: 'F32', shape: [c.m.length], values: c.m },
      { name: 'adam_v', dtype: 'F32', shape: [c.v.length], values: c.v },
    ],
    { lora_lab_state: JSON.stringify(state) },
  );
}

export async function deserializeCheckpoint(blob: Blob, name = 'checkpoint'): Promise<TrainingCheckpoint> {
  const file = await readSafetensors(blob, { name });
  const raw = file.metadata.lora_lab_state;
  let state: Omit<TrainingCheckpoint, 'params' | 'm' | 'v'> & { format?: string };
  try {
    state = JSON.parse(raw ?? '');
  } catch {
    throw new LabError('has no readable training state', name, 'This is not a Lora Lab checkpoint.');
  }
  if (state.format !== FORMAT) throw new LabError(`format "${state.format}" is not ${FORMAT}`, name, 'Start a new run.');
  const tensor = async (key: string) => {
    const info = file.tensors.find((t) => t.name === key);
    if (!info || info.dtype !== 'F32') throw new LabError(`tensor "${key}" is missing or not F32`, name);
    return readSafetensorsF32(blob, info);
  };
  const [params, m, v] = [await tensor('params'), await tensor('adam_m'), await tensor('adam_v')];
  if (m.length !== params.length || v.length !== params.length) throw new LabError('optimizer state does not match the parameters', name);
  return {
    config: state.config,
    step: state.step,
    elapsedSeconds: state.elapsedSeconds,
    tokensSeen: state.tokensSeen,
    modelName: state.modelName,
    params,
    m,
    v,
  };
}

/** A store in memory (tests, and runs the user chose not to persist). */
export class MemoryCheckpointStore implements CheckpointStore {
  readonly location = 'memory';
  private blob: Blob | undefined;

  async save(checkpoint: Blob): Promise<void> {
    this.blob = checkpoint;
  }

  async load(): Promise<Blob | undefined> {
    return this.blob;
  }
}
