import { afterAll, describe, expect, it } from 'vitest';
import { testGpu } from '../setup/testGpu';
import { tinyLlama, randomPackedRow } from './fixtures';
import { meanLoss, referenceTokenLosses, type ReferenceLora } from './referenceModel';
import { LoraAdapter, loraLayout, initialLoraValues, type LoraConfig } from '../../src/model/lora/lora';
import { TrainingGraph } from '../../src/model/training/trainingGraph';
import { batchInputs, countTargets } from '../../src/train/batch';
import { PROJECTIONS } from '../../src/model/tensorNames';
import { randomF32 } from '../../src/util/random';
import { STORED_PRECISIONS, type StoredPrecision } from '../../src/kernels/storedValues';

const gpu = await testGpu();
const BATCH = 2;
const SEQ = 20;

/**
 * How far the GPU may be from the f64 reference, by how training keeps its checkpoints, gate and up.
 * f32: the loss to ~1e-6 relative through two layers and a 512-way softmax (a wrong mask or boundary moves it by
 * O(0.1)); each directional derivative to 1e-3 of finite differences of the f64 loss (measured ≤ 1.3e-5).
 * f16 pairs: the reference does not round, so the loss carries the f16 rounding of the residual stream, gate and up
 * (2⁻¹¹ relative each; measured ≤ 5.0e-4 off) and the gradients are those of the rounded forward pass (measured
 * ≤ 1.0e-2 relative, at the first layer's gate). The bounds leave 3× headroom and still catch a wrong gradient,
 * which is off by O(1).
 */
const TOLERANCE: Record<StoredPrecision, { loss: number; gradient: number }> = {
  f32: { loss: 2e-5, gradient: 1e-3 },
  'f16-packed': { loss: 1.5e-3, gradient: 3e-2 },
};

// Llama (normal RoPE, separate head, FFN 44 on the dense path) and Qwen2 (neox RoPE, q/k/v biases, tied head), with
// checkpoints, gate and up kept in f32 and in f16 pairs.
for (const [architecture, savedPrecision] of (['llama', 'qwen2'] as const).flatMap((a) => STORED_PRECISIONS.map((p) => [a, p] as const))) {
  const tolerance = TOLERANCE[savedPrecision];
  const SEED = architecture === 'llama' ? 2024 : 2025;
  const { model, tensors } = await tinyLlama(gpu, { architecture });
  const config = model.config;
  const lora: LoraConfig = { rank: 4, alpha: 8, dropout: 0, targets: PROJECTIONS, seed: 11 };

  // B = 0 (PEFT's start) would make every dA zero; random A and B make every gradient non-trivial.
  const { slots, totalFloats } = loraLayout(config, lora);
  const start = initialLoraValues(config, lora);
  const noise = randomF32(totalFloats, SEED, 0.3);
  for (const s of slots) for (let i = 0; i < s.outFeatures * lora.rank; i++) start[s.bOffset + i] = noise[s.bOffset + i];
  const adapter = LoraAdapter.fromValues(gpu, config, lora, start);
  const grads = adapter.allocateLike('grads', 'lora');
  const shape = { batch: BATCH, seqLen: SEQ, lossChunkRows: 64, savedPrecision };
  const graph = new TrainingGraph(gpu, config, model.weights, adapter, grads, shape);

  // Row 0 packs two sequences and padding, row 1 one sequence: packing boundaries are part of what is checked.
  const rows = [randomPackedRow(SEQ, [7, 9], config.nVocab, SEED + 1), randomPackedRow(SEQ, [SEQ], config.nVocab, SEED + 2)];
  const batch = batchInputs(rows, BATCH, SEQ);
  const count = countTargets(batch);

  const referenceLoss = (values: Float64Array | Float32Array, dropout?: ReferenceLora['dropout']) =>
    meanLoss(
      referenceTokenLosses(
        config,
        { tensors },
        { rank: lora.rank, scale: lora.alpha / lora.rank, slots, values, dropout },
        batch,
        BATCH,
        SEQ,
      ),
      batch.labels,
    );

  // The same adapter values with LoRA dropout: a graph of its own (it allocates the dropout scratch).
  const DROPOUT = 0.1;
  const dropAdapter = LoraAdapter.fromValues(gpu, config, { ...lora, dropout: DROPOUT }, start);
  const dropGraph = new TrainingGraph(gpu, config, model.weights, dropAdapter, grads, shape);
  const STREAM = [SEED, 3, 1]; // (run seed, step, micro-batch)

  /** Clears `grads`, runs the training pass of `g`, returns its loss and gradients. */
  async function trainingPass(g: TrainingGraph, stream?: number[]) {
    g.setBatch(batch);
    const rec = gpu.recorder();
    rec.clear(grads);
    rec.submit();
    const loss = await g.lossAndGradients(1 / count, stream);
    return { loss, grads: await adapter.readValues(grads) };
  }

  /** Directional derivatives of `loss` along a random probe per slot vs the GPU gradient `g`; relative errors within tolerance. */
  function expectMatchesFiniteDifferences(g: Float32Array, loss: (values: Float64Array) => number, context: string): string[] {
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
      const numeric = (loss(base.map((x, i) => x + eps * v[i])) - loss(base.map((x, i) => x - eps * v[i]))) / (2 * eps);
      let analytic = 0;
      for (let i = 0; i < totalFloats; i++) analytic += g[i] * v[i];
      const relative = Math.abs(numeric - analytic) / Math.max(Math.abs(numeric), Math.abs(analytic));
      report.push(`L${s.layer}.${s.projection} ${relative.toExponential(1)}`);
      expect(
        relative,
        `${context} layer ${s.layer} ${s.projection} (seed ${SEED}): finite difference ${numeric}, analytic ${analytic}`,
      ).toBeLessThan(tolerance.gradient);
    }
    return report;
  }

  /** Row 1 (one sequence) through Model.forward with `unmerged` applied: token losses equal the reference's, no dropout. */
  async function expectInferenceMatchesReference(unmerged: LoraAdapter): Promise<void> {
    const tokens = Array.from(batch.ids.subarray(SEQ, 2 * SEQ));
    model.reset();
    model.useAdapter(unmerged);
    const logits = await model.forward(tokens, 'all');
    model.useAdapter(undefined);
    const expected = referenceTokenLosses(
      config,
      { tensors },
      { rank: lora.rank, scale: lora.alpha / lora.rank, slots, values: start },
      batch,
      BATCH,
      SEQ,
    );
    const V = config.nVocab;
    for (let t = 0; t < SEQ; t++) {
      const label = batch.labels[SEQ + t];
      if (label < 0) continue;
      const row = logits.subarray(t * V, (t + 1) * V);
      const max = row.reduce((a, b) => Math.max(a, b), -Infinity);
      const lse = max + Math.log(row.reduce((sum, z) => sum + Math.exp(z - max), 0));
      expect(Math.abs(lse - row[label] - expected[SEQ + t]), `position ${t} (seed ${SEED})`).toBeLessThan(2e-5);
    }
  }

  afterAll(() => {
    graph.free();
    dropGraph.free();
    adapter.free();
    dropAdapter.free();
    gpu.buffers.free(grads);
    model.free();
  });

  describe(`the training graph of a tiny f32 ${architecture} with LoRA on every projection, saving ${savedPrecision}`, () => {
    it('computes the same loss as the f64 reference model (packed rows, masked prompts)', async () => {
      graph.setBatch(batch);
      const { mean, count: gpuCount } = await graph.loss();
      expect(gpuCount).toBe(count);
      console.log(
        `[gradcheck ${architecture} ${savedPrecision}] |loss − reference| ${Math.abs(mean - referenceLoss(start)).toExponential(2)}`,
      );
      expect(Math.abs(mean - referenceLoss(start))).toBeLessThan(tolerance.loss);
    });

    it('runs the same adapter unmerged in inference (Model.useAdapter) with the same token losses', async () => {
      adapter.writeValues(start);
      await expectInferenceMatchesReference(adapter);
    });

    it('gives LoRA gradients that match central finite differences of the loss in every layer and every target', async () => {
      const { grads: g } = await trainingPass(graph);
      const report = expectMatchesFiniteDifferences(g, (values) => referenceLoss(values), architecture);
      console.log(`[gradcheck ${architecture} ${savedPrecision}] relative errors: ${report.join(', ')}`);
    });
  });

  describe(`the training graph of a tiny f32 ${architecture} with LoRA dropout ${DROPOUT}, saving ${savedPrecision}`, () => {
    const dropout = { p: DROPOUT, stream: STREAM };

    it('computes the reference loss with the same masks, which differs from the loss without dropout', async () => {
      const { loss } = await trainingPass(dropGraph, STREAM);
      const withMasks = referenceLoss(start, dropout);
      expect(Math.abs(loss.mean - withMasks), `seed ${SEED}`).toBeLessThan(tolerance.loss);
      // Dropping a tenth of each adapter's inputs moves this loss by ~1e-2; 1e-3 shows the masks were applied.
      expect(Math.abs(withMasks - referenceLoss(start)), `seed ${SEED}`).toBeGreaterThan(1e-3);
    });

    it('ignores dropout when evaluating the loss and in inference (Model.useAdapter)', async () => {
      dropGraph.setBatch(batch);
      expect(Math.abs((await dropGraph.loss()).mean - referenceLoss(start)), `seed ${SEED}`).toBeLessThan(tolerance.loss);
      await expectInferenceMatchesReference(dropAdapter);
    });

    it('gives gradients that match finite differences of the loss with the masks fixed (the recompute redraws them)', async () => {
      const { grads: g } = await trainingPass(dropGraph, STREAM);
      const report = expectMatchesFiniteDifferences(g, (values) => referenceLoss(values, dropout), `${architecture} dropout`);
      console.log(`[gradcheck ${architecture} ${savedPrecision} dropout ${DROPOUT}] relative errors: ${report.join(', ')}`);
    });

    it('repeats bit for bit with the same mask stream and draws new masks for another step', async () => {
      const first = await trainingPass(dropGraph, STREAM);
      const again = await trainingPass(dropGraph, STREAM);
      expect(again.loss).toEqual(first.loss);
      expect(Buffer.from(again.grads.buffer).equals(Buffer.from(first.grads.buffer))).toBe(true);
      const nextStep = await trainingPass(dropGraph, [SEED, 4, 1]);
      expect(nextStep.loss.mean).not.toBe(first.loss.mean);
    });

    it('refuses a training pass without a mask stream', async () => {
      await expect(dropGraph.lossAndGradients(1)).rejects.toThrow(/training graph: LoRA dropout 0\.1 needs a mask stream/);
    });
  });
}
