import { describe, expect, it } from 'vitest';
import { deserializeCheckpoint, MemoryCheckpointStore, serializeCheckpoint, type TrainingCheckpoint } from '../../src/train/checkpoint';
import { defaultTrainConfig } from '../../src/train/config';
import { writeSafetensors } from '../../src/formats/safetensors';
import { randomF32 } from '../../src/util/random';

const checkpoint: TrainingCheckpoint = {
  config: defaultTrainConfig({ seed: 9, steps: 40 }),
  step: 17,
  elapsedSeconds: 12.5,
  tokensSeen: 4096,
  modelName: 'tiny',
  params: randomF32(192, 1),
  m: randomF32(192, 2),
  v: randomF32(192, 3).map(Math.abs),
};

describe('training checkpoints', () => {
  it('keep the adapter, the AdamW moments, the step and the config exactly', async () => {
    const store = new MemoryCheckpointStore();
    expect(await store.load()).toBeUndefined();
    await store.save(serializeCheckpoint(checkpoint));
    expect(await deserializeCheckpoint((await store.load())!)).toEqual(checkpoint);
  });

  it('refuse files that are not Lora Lab checkpoints, saying where', async () => {
    const plain = writeSafetensors([{ name: 'params', dtype: 'F32', shape: [2], values: new Float32Array(2) }]);
    await expect(deserializeCheckpoint(plain, 'run/checkpoint.safetensors')).rejects.toThrow(
      /run\/checkpoint\.safetensors: has no readable training state/,
    );
    await expect(deserializeCheckpoint(new Blob(['garbage']), 'run/checkpoint.safetensors')).rejects.toThrow(
      /run\/checkpoint\.safetensors/,
    );
  });
});
