import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, openAsBlob, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from '../setup/cli';
import { readGguf } from '../../src/formats/gguf';
import { modelConfigFromGguf, type ModelConfig } from '../../src/model/config';
import { initialLoraValues, loraLayout, LoraAdapter, type LoraConfig } from '../../src/model/lora/lora';
import { exportGgufLora, importGgufLoraValues } from '../../src/model/lora/loraGguf';
import { importPeftValues } from '../../src/model/lora/loraPeft';
import { Model } from '../../src/model/model';
import { PROJECTIONS } from '../../src/model/tensorNames';
import { readPeftDirectory } from '../../src/train/peftDirectory';
import { Tokenizer, vocabFromGguf } from '../../src/tokenizer';
import { randomF32 } from '../../src/util/random';
import { testGpu } from '../setup/testGpu';
import { sharedData } from '../sharedData';
import { purpleRobotStories } from '../train/styleData';
import { compareWithLlamaCpp, PARITY_TEXT, PROMPT_TOKENS } from './parityCompare';
import { writeParityModel } from './parityModels';
import { expectParity, F32_KV_TOLERANCE, PARITY_TEST_TIMEOUT_MS, RELATIVE_TOLERANCE } from './paritySuite';

/**
 * Our adapters in llama.cpp (CPU, through node-llama-cpp): the GGUF LoRA export applied with `--lora` on its base,
 * and the merged GGUF on its own, against our engine with the same adapter applied unmerged. Tolerances are the
 * parity suite's (fractions of the logit std, per weight format); each comparison also checks that the adapter
 * moves the distributions far more than the tolerance, so agreement means the adapter was applied the same way.
 */

const SEED = 20251126;
const STORIES = sharedData('tiny-models', 'stories260K.gguf');
const dir = mkdtempSync(join(tmpdir(), 'lora-lab-lora-llamacpp-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function configOf(path: string): Promise<ModelConfig> {
  return modelConfigFromGguf(await readGguf(await openAsBlob(path)));
}

/** PEFT's A, and a random B large enough that the adapter changes the model as much as a trained one might. */
function randomAdapter(model: ModelConfig, seed: number): { lora: LoraConfig; values: Float32Array } {
  const lora: LoraConfig = { rank: 4, alpha: 8, dropout: 0, targets: PROJECTIONS, seed };
  const values = initialLoraValues(model, lora);
  for (const s of loraLayout(model, lora).slots) values.set(randomF32(s.outFeatures * lora.rank, seed + s.bOffset, 0.1), s.bOffset);
  return { lora, values };
}

function expectAdapterMatters(effect: number | undefined, logitStd: number, relativeTolerance: number): void {
  expect(effect, 'the adapter changes our log-probabilities').toBeGreaterThan(100 * relativeTolerance * logitStd);
}

describe.each(['llama', 'qwen2'] as const)('%s-shaped tiny model with a random adapter on every projection, in llama.cpp', (arch) => {
  it(
    'agrees with our engine (F32 base, f32 KV caches)',
    async () => {
      const gpu = await testGpu();
      const model = await writeParityModel(dir, arch, 'F32', SEED);
      const config = await configOf(model.path);
      const adapter = randomAdapter(config, SEED);
      const loraPath = join(dir, `${arch}-lora.gguf`);
      writeFileSync(loraPath, new Uint8Array(await exportGgufLora(config, adapter.lora, adapter.values, 'random').arrayBuffer()));
      const r = await compareWithLlamaCpp(gpu, model.path, { ours: adapter, referenceLora: loraPath, kvCache: 'f32' });
      expectParity(`lora ${arch} F32, seed ${SEED}, effect ${r.adapterEffect?.toExponential(2)}`, r, F32_KV_TOLERANCE);
      expectAdapterMatters(r.adapterEffect, r.logitStd, F32_KV_TOLERANCE);
    },
    PARITY_TEST_TIMEOUT_MS,
  );
});

describe('stories260K with an adapter trained by our trainer, in llama.cpp', () => {
  const peftDir = join(dir, 'stories-adapter');
  const path = (name: string) => join(dir, name);
  let trained: { lora: LoraConfig; values: Float32Array };

  beforeAll(async () => {
    const shard = path('robots.jsonl');
    writeFileSync(
      shard,
      purpleRobotStories(24, 5)
        .map((text) => JSON.stringify({ text }))
        .join('\n') + '\n',
    );
    const run = await cli([
      'train',
      '--model',
      STORIES,
      '--data',
      shard,
      '--out',
      peftDir,
      '--steps',
      '4',
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
    trained = await importPeftValues(await configOf(STORIES), await readPeftDirectory(peftDir));
    for (const [format, out, quant] of [
      ['gguf-lora', 'lora.gguf'],
      ['merged', 'merged-F32.gguf', 'F32'],
      ['merged', 'merged-Q8_0.gguf', 'Q8_0'],
      ['merged', 'merged-Q4_0.gguf', 'Q4_0'],
    ]) {
      const exported = await cli([
        'export',
        '--model',
        STORIES,
        '--adapter',
        peftDir,
        '--format',
        format,
        '--out',
        path(out),
        ...(quant ? ['--quant', quant] : []),
      ]);
      expect(exported.code, exported.err).toBe(0);
    }
  }, PARITY_TEST_TIMEOUT_MS);

  it(
    'the exported GGUF LoRA imports back to the same values, so our logits with it are the same',
    async () => {
      const gpu = await testGpu();
      const config = await configOf(STORIES);
      const back = await importGgufLoraValues(config, await openAsBlob(path('lora.gguf')));
      expect(back.lora).toMatchObject({ rank: trained.lora.rank, alpha: trained.lora.alpha, targets: trained.lora.targets });
      expect(back.values).toEqual(trained.values);
      const model = await Model.load(gpu, await openAsBlob(STORIES), { maxContext: 256, maxStepTokens: PROMPT_TOKENS });
      const tokens = new Tokenizer(vocabFromGguf(model.file)).encode(PARITY_TEXT).slice(0, PROMPT_TOKENS);
      const logits = async (adapter: { lora: LoraConfig; values: Float32Array }) => {
        const lora = LoraAdapter.fromValues(gpu, config, adapter.lora, adapter.values);
        model.useAdapter(lora);
        model.reset();
        const out = await model.forward(tokens, 'all');
        model.useAdapter(undefined);
        lora.free();
        return out;
      };
      try {
        expect(await logits(back)).toEqual(await logits(trained));
      } finally {
        model.free();
      }
    },
    PARITY_TEST_TIMEOUT_MS,
  );

  it(
    'llama.cpp with the GGUF LoRA on the base agrees with our engine (F32, f32 KV caches)',
    async () => {
      const r = await compareWithLlamaCpp(await testGpu(), STORIES, { ours: trained, referenceLora: path('lora.gguf'), kvCache: 'f32' });
      expectParity(`lora stories260K trained, effect ${r.adapterEffect?.toExponential(2)}`, r, F32_KV_TOLERANCE);
      expectAdapterMatters(r.adapterEffect, r.logitStd, F32_KV_TOLERANCE);
    },
    PARITY_TEST_TIMEOUT_MS,
  );

  it(
    'llama.cpp running the merged F32 model agrees with our engine applying the adapter unmerged (F32, f32 KV caches)',
    async () => {
      const r = await compareWithLlamaCpp(await testGpu(), STORIES, {
        ours: trained,
        referenceModel: path('merged-F32.gguf'),
        kvCache: 'f32',
      });
      expectParity('merged F32 stories260K vs ours unmerged', r, F32_KV_TOLERANCE);
    },
    PARITY_TEST_TIMEOUT_MS,
  );

  it(
    'the merged Q8_0 model runs the same in llama.cpp and in our engine (Q8_0 tolerance)',
    async () => {
      const r = await compareWithLlamaCpp(await testGpu(), path('merged-Q8_0.gguf'));
      expectParity('merged Q8_0 stories260K, both sides', r, RELATIVE_TOLERANCE.Q8_0);
    },
    PARITY_TEST_TIMEOUT_MS,
  );

  it(
    'llama.cpp running the merged Q8_0 model stays within the Q8_0 bound of our engine applying the adapter unmerged in f32',
    async () => {
      const r = await compareWithLlamaCpp(await testGpu(), STORIES, { ours: trained, referenceModel: path('merged-Q8_0.gguf') });
      const tol = RELATIVE_TOLERANCE.Q8_0 * r.logitStd;
      const decided = r.top1.filter((p) => p.referenceMargin > 2 * tol);
      console.log(
        `[merged Q8_0 stories260K vs ours unmerged f32] max |Δlog p| ${r.maxLogProbDiff.toExponential(2)} (tolerance ${tol.toExponential(2)}), ` +
          `top-1 agrees at ${r.top1.filter((p) => p.ours === p.reference).length}/${PROMPT_TOKENS}, at ${decided.filter((p) => p.ours === p.reference).length}/${decided.length} clear positions`,
      );
      // Weight rounding on one side only: the log-probability bound holds and clear top-1 choices agree; near-ties may
      // part more often than between two runs of the same weights, so their count is not bounded here.
      expect(r.maxLogProbDiff).toBeLessThan(tol);
      for (const p of decided) expect(p.ours).toBe(p.reference);
    },
    PARITY_TEST_TIMEOUT_MS,
  );

  it(
    'the merged Q4_0 model runs the same in llama.cpp and in our engine (Q4_0 tolerance)',
    async () => {
      const r = await compareWithLlamaCpp(await testGpu(), path('merged-Q4_0.gguf'));
      expectParity('merged Q4_0 stories260K, both sides', r, RELATIVE_TOLERANCE.Q4_0);
    },
    PARITY_TEST_TIMEOUT_MS,
  );
});
