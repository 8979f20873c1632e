import { createHash } from 'node:crypto';
import { mkdtempSync, openAsBlob, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MODEL_PATH, RECIPE, RECORD_PATH } from '../../scripts/tiny-math/recipe';
import { sftEvalPrompt } from '../../src/data/sftTemplate';
import { architecture, metaNumber, readGguf, readTensorBytes, writeGguf } from '../../src/formats/gguf';
import { dequantize } from '../../src/formats/quant';
import { testGpu } from '../setup/testGpu';
import { Engine } from '../../src/worker/engine';
import { nodeEvaluationEnvironment } from '../../src/eval/nodeEnvironment';
import { compareWithLlamaCpp } from './parityCompare';
import { PARITY_TEST_TIMEOUT_MS } from './paritySuite';

const path = fileURLToPath(MODEL_PATH);
const record = JSON.parse(readFileSync(fileURLToPath(RECORD_PATH), 'utf8')) as {
  recipe: typeof RECIPE;
  file: { bytes: number; sha256: string };
  training: { tokens: number };
};

/** Evaluation prompts, as the lab writes them, one after another: the first 16 tokens are one whole prompt. */
const MATH_TEXT = [
  'What is $7 + 9$?',
  'What is the sum of 13 and 7?',
  'Ava has 12 apples. Ben buys 3 more pencils. How many apples does Ava have?',
  'Solve for $x$: $x + 6 = 49$.',
  'What is $381 - 88$?',
  'What is 40 minus 12?',
  'Kofi has 20 shells and Nia has 7 shells. How many shells do they have together?',
]
  .map(sftEvalPrompt)
  .join(' ');

describe('the bundled model (models/tiny-math.gguf)', () => {
  it('is the file its recipe record describes: size and SHA-256', () => {
    const bytes = readFileSync(path);
    expect(bytes.length).toBe(record.file.bytes);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(record.file.sha256);
    expect(record.recipe).toEqual(RECIPE);
  });

  it('is a Llama with grouped-query attention and its own small vocabulary, under 10 MB', async () => {
    const file = await readGguf(await openAsBlob(path), { name: 'tiny-math.gguf' });
    expect(architecture(file)).toBe('llama');
    expect(metaNumber(file, 'llama.attention.head_count')).toBe(RECIPE.pretrain.heads);
    expect(metaNumber(file, 'llama.attention.head_count_kv')).toBe(RECIPE.pretrain.kvHeads);
    expect(metaNumber(file, 'llama.vocab_size')).toBeLessThan(1024);
    expect(record.file.bytes).toBeLessThan(10 * 2 ** 20);
  });

  it(
    'answers most easy sample problems (levels 1 and 2) and almost no word problem, in our engine',
    async () => {
      const engine = new Engine(testGpu, nodeEvaluationEnvironment());
      await engine.init();
      await engine.loadModel(new File([readFileSync(path)], 'tiny-math.gguf'), 'load');
      const easy = await engine.evaluate(
        { benchmark: { kind: 'samples' }, levels: [1, 2], count: 24, maxNewTokens: 24, batchSize: 12 },
        'easy',
      );
      expect(easy.summary.overall.accuracy).toBeGreaterThan(0.6);
      const words = await engine.evaluate(
        { benchmark: { kind: 'samples' }, subjects: ['Word problems'], count: 24, maxNewTokens: 24, batchSize: 12 },
        'words',
      );
      expect(words.summary.overall.accuracy).toBeLessThan(0.25);
    },
    PARITY_TEST_TIMEOUT_MS,
  );

  it(
    'computes what llama.cpp computes: the same weights in F32 give the same distributions and greedy answers',
    async () => {
      const r = await compareWithLlamaCpp(await testGpu(), await dequantizedCopy(), { text: MATH_TEXT, kvCache: 'f32' });
      console.log(`[parity tiny-math F32] max |Δlog p| ${r.maxLogProbDiff.toExponential(2)}, logit std ${r.logitStd.toFixed(2)}`);
      // f32 on both sides, different summation orders. The std-relative bound of the random parity models does not
      // fit a trained model whose confident logits stand tens of units above the rest: the bound here is absolute.
      expect(r.maxLogProbDiff).toBeLessThan(1e-3);
      expect(r.top1.filter((p) => p.ours === p.reference)).toHaveLength(r.top1.length);
      expect(r.greedy.ours).toEqual(r.greedy.reference);
    },
    PARITY_TEST_TIMEOUT_MS,
  );

  it(
    'answers as llama.cpp does from the Q8_0 file (which rounds activations to 8 bits where we keep f32)',
    async () => {
      const r = await compareWithLlamaCpp(await testGpu(), path, { text: MATH_TEXT });
      const clear = r.top1.filter((p) => p.referenceMargin > 1);
      console.log(
        `[parity tiny-math Q8_0] max |Δlog p| ${r.maxLogProbDiff.toExponential(2)}; top-1 agrees at ${r.top1.filter((p) => p.ours === p.reference).length}/${r.top1.length}, ${clear.length} with a margin over 1`,
      );
      expect(clear.every((p) => p.ours === p.reference)).toBe(true);
      expect(clear.length).toBeGreaterThan(r.top1.length / 2);
      // The first prompt is one whole problem: "$7 + 9 = 16$." and its answer line, token for token.
      expect(r.greedy.ours.slice(0, 12)).toEqual(r.greedy.reference.slice(0, 12));
    },
    PARITY_TEST_TIMEOUT_MS,
  );
});

/** The bundled model with every tensor dequantized to F32 (the values our engine and llama.cpp both multiply by). */
async function dequantizedCopy(): Promise<string> {
  const blob = await openAsBlob(path);
  const file = await readGguf(blob, { name: 'tiny-math.gguf' });
  const tensors = await Promise.all(
    file.tensors.map(async (t) => {
      const count = t.dims.reduce((a, b) => a * b, 1);
      const values = dequantize(t.type.name, await readTensorBytes(blob, t), count);
      return { name: t.name, dims: t.dims, type: 'F32' as const, data: new Uint8Array(values.buffer) };
    }),
  );
  const metadata = [...file.metadata.keys()].map((key) => ({
    key,
    value: key === 'general.file_type' ? 0 : file.metadata.get(key)!,
    type: file.metadataTypes.get(key),
  }));
  const out = join(mkdtempSync(join(tmpdir(), 'lora-lab-tiny-math-')), 'tiny-math-f32.gguf');
  writeFileSync(out, new Uint8Array(await writeGguf(metadata, tensors).arrayBuffer()));
  return out;
}
