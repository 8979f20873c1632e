import type { BenchRow } from './harness';
import type { GpuLimits } from '../src/gpu/gpu';
import { MISTRAL_7B, mistralQ4KMBytes } from './mistral7b';
import { planTrainingMemory } from '../src/train/trainingMemoryPlan';
import { batchKvCacheBytes } from '../src/model/batchKvCache';
import { PROJECTIONS } from '../src/model/tensorNames';
import type { StoredPrecision } from '../src/kernels/storedValues';

// The device report's memory plans: what a 7B run needs, planned against this device's buffer and binding limits
// (WebGPU does not tell a page how much memory the device has, so the report gives the size, and whether one buffer
// or binding of this device refuses it). The f32 storage option is the peer column: what the packed f16 default saves.

type BufferLimits = Pick<GpuLimits, 'maxBufferSize' | 'maxStorageBufferBindingSize'>;

const GiB = 1024 ** 3;
const SEQ_LEN = 2048;
const EVAL_SLOTS = 8;
const EVAL_POSITIONS = 1024;

function trainingPlan(limits: BufferLimits, savedPrecision: StoredPrecision) {
  return planTrainingMemory(MISTRAL_7B, limits, {
    weightBytes: mistralQ4KMBytes(),
    modelBufferBytes: 0,
    lora: { rank: 16, alpha: 32, dropout: 0, targets: PROJECTIONS, seed: 0 },
    batch: 1,
    seqLen: SEQ_LEN,
    lossChunkRows: 256,
    savedPrecision,
  });
}

/** Rows (metric GiB, ours the packed f16 default, peer the f32 option) of the 7B QLoRA and evaluation plans. */
export function memoryPlanRows(suite: string, limits: BufferLimits): BenchRow[] {
  const training = trainingPlan(limits, 'f16-packed');
  const trainingF32 = trainingPlan(limits, 'f32');
  const verdict = training.problems.length
    ? `refused here: ${training.problems.join('; ')}`
    : "fits this device's buffer and binding limits";
  const kv = (precision: StoredPrecision) => batchKvCacheBytes(MISTRAL_7B, EVAL_POSITIONS, EVAL_SLOTS, precision) / GiB;
  const weights = mistralQ4KMBytes() / GiB;
  const peer = (value: number) => ({ name: 'f32 storage', value });
  return [
    {
      suite,
      case: `memory plan: Mistral-7B Q4_K_M QLoRA r16, all projections, seq ${SEQ_LEN}`,
      metric: 'GiB',
      ours: training.totalBytes / GiB,
      peer: peer(trainingF32.totalBytes / GiB),
      note: `f16 pairs (default); ${verdict}`,
    },
    {
      suite,
      case: `memory plan: Mistral-7B Q4_K_M evaluation, batch ${EVAL_SLOTS} × ${EVAL_POSITIONS} positions`,
      metric: 'GiB',
      ours: weights + kv('f16-packed'),
      peer: peer(weights + kv('f32')),
      note: `weights ${weights.toFixed(2)} GiB + KV cache ${kv('f16-packed').toFixed(2)} GiB in f16 pairs (${kv('f32').toFixed(2)} in f32)`,
    },
  ];
}
