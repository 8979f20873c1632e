import { afterAll, describe, expect, it } from 'vitest';
import { testGpu } from '../setup/testGpu';
import { tinyLlama, randomPackedRow } from './fixtures';
import { meanLoss, referenceTokenLosses } from './referenceModel';
import { LoraAdapter, loraLayout, initialLoraValues } from '../../src/model/lora';
import { TrainingGraph } from '../../src/model/trainingGraph';
import { batchInputs, countTargets } from '../../src/train/batch';
import { PROJECTIONS } from '../../src/model/tensorNames';
import { randomF32 } from '../../src/util/random';

const gpu = await testGpu();
const { model, tensors } = await tinyLlama(gpu);
const config = model.config;
const lora = { rank: 4, alpha: 8, dropout: 0, targets: PROJECTIONS, seed: 11 };
const SEED = 2024;
const BATCH = 2;
const SEQ = 20;

// B = 0 (PEFT's start) would make every dA zero; random A and B make every gradient non-trivial.
const { slots, totalFloats } = loraLayout(config, lora);
const start = initialLoraValues(config, lora);
const noise = randomF32(totalFloats, SEED, 0.3);
for (const s of slots) for (let i = 0; i < s.outFeatures * lora.rank; i++) start[s.bOffset + i] = noise[s.bOffset + i];
const adapter = LoraAdapter.fromValues(gpu, config, lora, start);
const grads = adapter.allocateLike('grads', 'lora');
const graph = new TrainingGraph(gpu, config, model.weights, adapter, grads, { batch: BATCH, seqLen: SEQ, lossChunkRows: 64 });

// Row 0 packs two sequences and padding, row 1 one sequence: packing boundaries are part of what is checked.
const rows = [randomPackedRow(SEQ, [7, 9], config.nVocab, SEED + 1), randomPackedRow(SEQ, [SEQ], config.nVocab, SEED + 2)];
const batch = batchInputs(rows, BATCH, SEQ);
const count = countTargets(batch);
graph.setBatch(batch);

const referenceLoss = (values: Float64Array | Float32Array) =>
  meanLoss(referenceTokenLosses(config, { tensors }, { rank: lora.rank, scale: lora.alpha / lora.rank, slots, values }, batch, BATCH, SEQ), batch.labels);

afterAll(() => {
  graph.free();
  adapter.free();
  gpu.buffers.free(grads);
  model.free();
});

describe('the training graph of a tiny f32 Llama with LoRA on every projection', () => {
  it('computes the same loss as the f64 reference model (packed rows, masked prompts)', async () => {
    adapter.writeValues(start);
    const { mean, count: gpuCount } = await graph.loss();
    expect(gpuCount).toBe(count);
    // f32 through two layers and a 512-way softmax: ~1e-6 relative; a wrong mask or boundary moves it by O(0.1).
    expect(Math.abs(mean - referenceLoss(start))).toBeLessThan(2e-5);
  });

  it('gives LoRA gradients that match central finite differences of the loss in every layer and every target', async () => {
    adapter.writeValues(start);
    const rec = gpu.recorder();
    rec.clear(grads);
    rec.submit();
    await graph.lossAndGradients(1 / count);
    const g = await adapter.readValues(grads);
    // The finite differences are taken of the f64 reference loss: f32 losses could not resolve a one-slot
    // directional derivative to 1e-3 (their rounding divided by 2ε is ~1e-4 of a ~1e-3 derivative).
    const eps = 1e-4;
    const base = Float64Array.from(start);
    const report: string[] = [];
    for (const s of slots) {
      const v = new Float64Array(totalFloats);
      const probe = randomF32(totalFloats, SEED + 100 * s.layer + PROJECTIONS.indexOf(s.projection));
      for (let i = 0; i < lora.rank * s.inFeatures; i++) v[s.aOffset + i] = probe[s.aOffset + i];
      for (let i = 0; i < s.outFeatures * lora.rank; i++) v[s.bOffset + i] = probe[s.bOffset + i];
      const numeric = (referenceLoss(base.map((x, i) => x + eps * v[i])) - referenceLoss(base.map((x, i) => x - eps * v[i]))) / (2 * eps);
      let analytic = 0;
      for (let i = 0; i < totalFloats; i++) analytic += g[i] * v[i];
      const relative = Math.abs(numeric - analytic) / Math.max(Math.abs(numeric), Math.abs(analytic));
      report.push(`L${s.layer}.${s.projection} ${relative.toExponential(1)}`);
      expect(relative, `layer ${s.layer} ${s.projection} (seed ${SEED}): finite difference ${numeric}, analytic ${analytic}`).toBeLessThan(1e-3);
    }
    console.log(`[gradcheck] relative errors: ${report.join(', ')}`);
  });
});
