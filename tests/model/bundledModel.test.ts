import { createHash } from 'node:crypto';
import { openAsBlob, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MODEL_PATH, RECIPE, RECORD_PATH } from '../../scripts/tiny-math/recipe';
import { sftEvalPrompt } from '../../src/data/sftTemplate';
import { architecture, metaNumber, readGguf } from '../../src/formats/gguf';
import { testGpu } from '../setup/testGpu';
import { Engine } from '../../src/worker/engine';
import { nodeEvaluationEnvironment } from '../../src/eval/nodeEnvironment';
import { compareWithLlamaCpp } from './parityCompare';
import { expectParity, PARITY_TEST_TIMEOUT_MS, RELATIVE_TOLERANCE } from './paritySuite';

const path = fileURLToPath(MODEL_PATH);
const record = JSON.parse(readFileSync(fileURLToPath(RECORD_PATH), 'utf8')) as {
  recipe: typeof RECIPE;
  file: { bytes: number; sha256: string };
  training: { tokens: number };
};

/** Evaluation prompts, as the lab writes them, one after another: the first 16 tokens are one whole prompt. */
const MATH_TEXT = ['What is $7 + 9$?', 'What is the sum of 13 and 7?', 'Ava has 12 apples. Ben buys 3 more pencils. How many apples does Ava have?', 'Solve for $x$: $x + 6 = 49$.', 'What is $381 - 88$?', 'What is 40 minus 12?', 'Kofi has 20 shells and Nia has 7 shells. How many shells do they have together?']
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

  it('answers most easy sample problems (levels 1 and 2) and almost no word problem, in our engine', async () => {
    const engine = new Engine(testGpu, nodeEvaluationEnvironment());
    await engine.init();
    await engine.loadModel(new File([readFileSync(path)], 'tiny-math.gguf'), 'load');
    const easy = await engine.evaluate({ benchmark: { kind: 'samples' }, levels: [1, 2], count: 24, maxNewTokens: 24, batchSize: 12 }, 'easy');
    expect(easy.summary.overall.accuracy).toBeGreaterThan(0.6);
    const words = await engine.evaluate({ benchmark: { kind: 'samples' }, subjects: ['Word problems'], count: 24, maxNewTokens: 24, batchSize: 12 }, 'words');
    expect(words.summary.overall.accuracy).toBeLessThan(0.25);
  }, PARITY_TEST_TIMEOUT_MS);

  it(
    'agrees with llama.cpp: next-token distributions over math prompts and the greedy answer to one',
    async () => {
      const r = await compareWithLlamaCpp(await testGpu(), path, { text: MATH_TEXT });
      expectParity('tiny-math Q8_0', r, RELATIVE_TOLERANCE.Q8_0);
      // Not a near-tie race: the model answers "$7 + 9 = 16$." and llama.cpp does too.
      expect(r.greedy.ours.slice(0, 8)).toEqual(r.greedy.reference.slice(0, 8));
    },
    PARITY_TEST_TIMEOUT_MS,
  );
});
