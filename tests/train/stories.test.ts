import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, openAsBlob, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testGpu } from '../setup/testGpu';
import { rowsIn, STORIES_PATH } from './fixtures';
import { purpleRobotStories } from './styleData';
import { cli } from '../setup/cli';
import { Model } from '../../src/model/model';
import { generate } from '../../src/model/generate';
import { loadPeftAdapter } from '../../src/model/lora/loraPeft';
import { TrainingGraph } from '../../src/model/training/trainingGraph';
import { Tokenizer, vocabFromGguf } from '../../src/tokenizer';
import { prepareTrainingData } from '../../src/train/prepareData';
import { readPeftDirectory } from '../../src/train/peftDirectory';
import { batchInputs } from '../../src/train/batch';
import type { Example } from '../../src/data/example';

const STEPS = 6;
const dir = mkdtempSync(join(tmpdir(), 'lora-lab-stories-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('lora-lab train on the real stories260K', () => {
  it('refuses bad options and data before any GPU work', async () => {
    const shard = join(dir, 'bad.jsonl');
    writeFileSync(shard, 'not json at all\n');
    const base = ['train', '--model', STORIES_PATH, '--out', join(dir, 'x')];
    expect(await cli([...base, '--data', shard, '--targets', 'q,qkv'])).toMatchObject({
      code: 2,
      err: expect.stringMatching(/--targets: "qkv" is not one of q, k, v, o, gate, up, down/),
    });
    expect(await cli([...base, '--data', shard, '--rank', '0'])).toMatchObject({
      code: 2,
      err: expect.stringMatching(/--rank: "0" is not a valid value/),
    });
    expect(await cli([...base, '--data', shard, '--dropout', '1'])).toMatchObject({
      code: 2,
      err: expect.stringMatching(/--dropout: "1" is not a valid value/),
    });
    expect(await cli([...base, '--data', shard, '--stages', 'normal,medium'])).toMatchObject({
      code: 2,
      err: expect.stringMatching(/--stages: "medium" is not a stage of --stage-rule level \(normal or hard\)/),
    });
    expect(await cli([...base, '--data', shard, '--stages', 'normal,hard', '--stage-rule', 'level:x'])).toMatchObject({
      code: 2,
      err: expect.stringMatching(/--stage-rule: hard-from level NaN is not a positive integer/),
    });
    expect(await cli([...base, '--data', shard, '--stages', 'normal,hard', '--stage-rule', 'difficulty'])).toMatchObject({
      code: 2,
      err: expect.stringMatching(/--stage-rule: "difficulty" is not a stage rule \(Use level:N, source:A,B or field\.\)/),
    });
    expect(await cli([...base, '--data', shard, '--stage-rule', 'level:4'])).toMatchObject({
      code: 2,
      err: expect.stringMatching(/--stage-rule needs --stages/),
    });
    expect(await cli([...base, '--data', shard, '--stages', 'hard,hard'])).toMatchObject({
      code: 2,
      err: expect.stringMatching(/curriculum stage listed twice/),
    });
    expect(await cli([...base, '--data', join(dir, 'missing.jsonl')])).toMatchObject({
      err: expect.stringMatching(/missing\.jsonl: file not found/),
    });
    expect((await cli([...base, '--data', shard])).err).toMatch(/bad\.jsonl/);
    expect((await cli([...base, '--data', shard, '--resume'])).err).toMatch(/has no checkpoint to resume/);
    expect(existsSync(join(dir, 'x', 'metrics.jsonl'))).toBe(false);
  });

  it("refuses a run over --memory-budget-gb before it starts, with the plan's numbers, leaving nothing to resume", async () => {
    const shard = join(dir, 'budget.jsonl');
    writeFileSync(
      shard,
      purpleRobotStories(8, 1)
        .map((text) => JSON.stringify({ text }))
        .join('\n') + '\n',
    );
    const out = join(dir, 'budget');
    const run = await cli([
      'train',
      '--model',
      STORIES_PATH,
      '--data',
      shard,
      '--out',
      out,
      '--steps',
      '2',
      '--seq-len',
      '48',
      '--memory-budget-gb',
      '0.0015',
      '--software',
    ]);
    expect(run.code).toBe(1);
    expect(run.err).toMatch(
      /memory plan: training does not fit this GPU: needs [\d.]+ MiB of GPU memory but 1\.43 MiB is available .*— Plan: weights \(frozen, as stored\) 1\.12 MiB, /,
    );
    expect(existsSync(join(out, 'runs'))).toBe(false);
    expect((await cli(['train', '--model', STORIES_PATH, '--out', out, '--resume'])).err).toMatch(/has no checkpoint to resume/);
  });

  it('teaches a new style: lower loss on it, and greedy text in that style only with the adapter', async () => {
    const stories = purpleRobotStories(24, 5);
    const shard = join(dir, 'robots.jsonl');
    writeFileSync(shard, stories.map((text) => JSON.stringify({ text })).join('\n') + '\n');
    const out = join(dir, 'adapter');
    const run = await cli([
      'train',
      '--model',
      STORIES_PATH,
      '--data',
      shard,
      '--out',
      out,
      '--steps',
      String(STEPS),
      '--lr',
      '1e-2',
      '--warmup',
      '1',
      '--rank',
      '8',
      '--seq-len',
      '48',
      '--batch',
      '6',
      '--validation',
      '0',
      '--seed',
      '3',
      '--software',
    ]);
    expect(run.code, run.err).toBe(0);
    const metrics = readFileSync(join(out, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(metrics.map((m) => m.step)).toEqual(Array.from({ length: STEPS }, (_, i) => i + 1));
    for (const m of metrics) for (const key of ['loss', 'lr', 'grad_norm', 'tokens_per_s']) expect(Number.isFinite(m[key]), key).toBe(true);

    const gpu = await testGpu();
    const model = await Model.load(gpu, await openAsBlob(STORIES_PATH), { maxContext: 64, maxStepTokens: 64 });
    const tokenizer = new Tokenizer(vocabFromGguf(model.file));
    // The adapter goes through its PEFT files (Q/K rows in Hugging Face order) and back.
    const adapter = await loadPeftAdapter(gpu, model.config, await readPeftDirectory(out));
    try {
      // Loss on the style sentences, base versus adapter, in one batch through the training graph.
      const examples: Example[] = stories.map((response, row) => ({ kind: 'text', prompt: '', response, shard: 'robots', row }));
      const data = prepareTrainingData(examples, tokenizer, { seqLen: 48, seed: 3, validationFraction: 0 });
      const grads = adapter.allocateLike('unused grads', 'lora');
      const graph = new TrainingGraph(gpu, model.config, model.weights, adapter, grads, {
        batch: data.train.length,
        seqLen: 48,
        lossChunkRows: 256,
      });
      graph.setBatch(batchInputs(rowsIn(data.train), data.train.length, 48));
      const tuned = (await graph.loss()).mean;
      const values = await adapter.readValues();
      adapter.writeValues(new Float32Array(values.length));
      const baseLoss = (await graph.loss()).mean;
      adapter.writeValues(values);
      graph.free();
      gpu.buffers.free(grads);

      const greedy = async () => (await generate(model, tokenizer, 'Once upon a time,', { maxTokens: 14, temperature: 0 })).text;
      const baseText = await greedy();
      model.useAdapter(adapter);
      const tunedText = await greedy();
      model.useAdapter(undefined);
      console.log(`[stories] loss ${baseLoss.toFixed(3)} → ${tuned.toFixed(3)}; base: "${baseText}"; with adapter: "${tunedText}"`);
      expect(tuned).toBeLessThan(0.6 * baseLoss);
      expect(tunedText).toMatch(/purple robot|Beep/);
      expect(baseText).not.toMatch(/purple|robot|Beep/);
      // Switching back needs no reload: the base text again.
      expect(await greedy()).toBe(baseText);
      // `lora-lab generate --adapter` applies the same files.
      const generated = await cli([
        'generate',
        '--model',
        STORIES_PATH,
        '--prompt',
        'Once upon a time,',
        '--max-tokens',
        '14',
        '--adapter',
        out,
        '--software',
      ]);
      expect(generated.code, generated.err).toBe(0);
      expect(generated.out).toBe(`${tunedText}\n`);
    } finally {
      adapter.free();
      model.free();
    }
  }, 1_800_000);
});
