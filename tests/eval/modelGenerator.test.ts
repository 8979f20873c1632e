import { openAsBlob, readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { sharedData, REPO_ROOT } from '../sharedData';
import { testGpu } from '../setup/testGpu';
import { Model } from '../../src/model/model';
import { Tokenizer, vocabFromGguf } from '../../src/tokenizer';
import { ModelGenerator } from '../../src/eval/modelGenerator';
import { parseBenchmark } from '../../src/eval/benchmarks';
import { runEvaluation } from '../../src/eval/runner';
import { MemoryResultsStore } from '../../src/eval/resultsStore';
import type { ProblemRecord, RunInfo } from '../../src/eval/records';
import { buildPrompt } from '../../src/eval/prompts';
import type { EvalProblem } from '../../src/eval/benchmarks';
import type { Completion } from '../../src/eval/generator';

// Real decoding on SwiftShader, on a machine other test runs share: minutes, not the default two.
vi.setConfig({ testTimeout: 600_000, hookTimeout: 600_000 });

/**
 * The harness end to end with a real model: stories260K (a 260K-parameter story model) answering two of our
 * sample problems (kept short: SwiftShader prefills the ~140-token prompt in seconds). Its accuracy is 0 and
 * nothing here depends on it; what is checked is that every record is filled from real decoding, and that
 * greedy decoding makes a run reproducible.
 */
let model: Model;
let tokenizer: Tokenizer;
const problems = parseBenchmark(readFileSync(`${REPO_ROOT}public/samples/problems.jsonl`, 'utf8'), 'problems.jsonl').slice(0, 2);
const MAX_NEW_TOKENS = 16;
/** The first run, made once: the records the tests below inspect and compare against. */
let store: MemoryResultsStore;
let firstRun: { status: string; records: ProblemRecord[] };

beforeAll(async () => {
  model = await Model.load(await testGpu(), await openAsBlob(sharedData('tiny-models', 'stories260K.gguf')), { maxContext: 512 });
  tokenizer = new Tokenizer(vocabFromGguf(model.file, 'stories260K.gguf'));
  const generator = new ModelGenerator('stories260K.gguf', model, tokenizer);
  store = new MemoryResultsStore();
  firstRun = await runEvaluation({ run: runInfo('tiny', generator), problems, generator, store, batchSize: 1 });
});

function runInfo(id: string, generator: ModelGenerator, on: readonly EvalProblem[] = problems): RunInfo {
  return {
    id,
    name: id,
    benchmark: 'math500',
    promptStyle: 'sft-zero-shot',
    generator: { kind: generator.kind, name: generator.name },
    maxNewTokens: MAX_NEW_TOKENS,
    problemIds: on.map((p) => p.id),
    createdAt: '2025-01-01T00:00:00.000Z',
  };
}

const withoutTimes = (records: readonly ProblemRecord[]) => records.map(({ timeMs: _, ...rest }) => rest);

/**
 * A problem whose prompt leaves only a few positions of the 512-token context: its sequence ends (context full)
 * after a few tokens, while a sample problem decodes its whole budget. Listed first in the batch below, it is
 * prefilled second: what makes it finish first is its length, not its place.
 */
function nearlyFullProblem(room: number): EvalProblem {
  const fits = (repeats: number) =>
    tokenizer.encode(buildPrompt('Once upon a time '.repeat(repeats), 'sft-zero-shot')).length <= 512 - room;
  let repeats = 1;
  while (fits(repeats + 1)) repeats++;
  return { ...problems[0], id: 'nearly-full', problem: 'Once upon a time '.repeat(repeats) };
}

describe('ModelGenerator (greedy decoding through the engine)', () => {
  it('fills every record from real decoding: prompt, output, extraction, verdict, token counts and time', async () => {
    const { status, records } = firstRun;
    expect(status).toBe('complete');
    expect(records.map((r) => r.problemId)).toEqual(problems.map((p) => p.id));
    records.forEach((record, i) => {
      expect(record.prompt).toContain(problems[i].problem);
      expect(record.promptTokens).toBe(tokenizer.encode(record.prompt).length);
      expect(record.outputTokens).toBeGreaterThan(0);
      expect(record.outputTokens).toBeLessThanOrEqual(MAX_NEW_TOKENS);
      expect(record.output.length).toBeGreaterThan(0);
      expect(record.timeMs).toBeGreaterThan(0);
      expect(record.rule).not.toBe('');
      expect(record.reason).not.toBe('');
      if (record.extracted) expect(record.output.slice(record.extracted.start, record.extracted.end)).toContain(record.extracted.text);
      else expect(record).toMatchObject({ correct: false, rule: 'no-answer' });
    });
    expect((await store.loadRun('tiny'))!.records).toEqual(records);
  });

  it('gives the same records when the problems decode together as one batch as when they decode one at a time', async () => {
    const generator = new ModelGenerator('stories260K.gguf', model, tokenizer);
    // The first run used batch size 1; here both problems share every decode step.
    const second = await runEvaluation({
      run: runInfo('again', generator),
      problems,
      generator,
      store: new MemoryResultsStore(),
      batchSize: 2,
    });
    expect(withoutTimes(second.records)).toEqual(withoutTimes(firstRun.records));
  });

  it('reports a completion the moment its sequence ends, while the rest of the batch still decodes', async () => {
    const generator = new ModelGenerator('stories260K.gguf', model, tokenizer);
    const short = nearlyFullProblem(4);
    const reported: string[] = [];
    const completions = await generator.generate(
      [
        { id: problems[0].id, prompt: buildPrompt(problems[0].problem, 'sft-zero-shot') },
        { id: short.id, prompt: buildPrompt(short.problem, 'sft-zero-shot') },
      ],
      { maxNewTokens: MAX_NEW_TOKENS, onCompletion: (c: Completion) => reported.push(`${c.id}:${c.outputTokens}`) },
    );
    expect(completions.map((c) => c.id)).toEqual([problems[0].id, short.id]);
    expect(completions[1].outputTokens).toBeLessThan(MAX_NEW_TOKENS);
    expect(reported).toEqual([`${short.id}:${completions[1].outputTokens}`, `${problems[0].id}:${MAX_NEW_TOKENS}`]);
  });

  it('keeps a finished problem of a batch when stopped after it, and the resumed run ends as an uninterrupted one', async () => {
    const generator = new ModelGenerator('stories260K.gguf', model, tokenizer);
    const both = [problems[0], nearlyFullProblem(4)];
    const uninterrupted = await runEvaluation({
      run: runInfo('whole', generator, both),
      problems: both,
      generator,
      store: new MemoryResultsStore(),
      batchSize: 2,
    });
    const store = new MemoryResultsStore();
    const controller = new AbortController();
    const stopped = await runEvaluation({
      run: runInfo('cut', generator, both),
      problems: both,
      generator,
      store,
      batchSize: 2,
      signal: controller.signal,
      onRecord: () => controller.abort(new Error('stopped by the test')),
    });
    expect(stopped.status).toBe('stopped');
    expect(stopped.records.map((r) => r.problemId)).toEqual(['nearly-full']);
    expect((await store.loadRun('cut'))!.records.map((r) => r.problemId)).toEqual(['nearly-full']);
    const redone: string[] = [];
    const resumed = await runEvaluation({
      run: runInfo('cut', generator, both),
      problems: both,
      generator,
      store,
      batchSize: 2,
      onRecord: (r) => redone.push(r.problemId),
    });
    expect(resumed.status).toBe('complete');
    expect(redone).toEqual([problems[0].id]);
    expect(withoutTimes(resumed.records)).toEqual(withoutTimes(uninterrupted.records));
  });

  it('stops at a stop text and ends the completion with it, so the runner cuts it like any other output', async () => {
    const generator = new ModelGenerator('stories260K.gguf', model, tokenizer);
    // stories260K continues "Once upon a time" with ", there was a little girl" (llama.cpp's greedy text).
    const [stopped] = await generator.generate([{ id: 'x', prompt: 'Once upon a time' }], { maxNewTokens: 16, stop: ['little'] });
    expect(stopped.text).toBe(', there was a little');
    const [budget] = await generator.generate([{ id: 'y', prompt: 'Once upon a time' }], { maxNewTokens: 5 });
    expect(budget.outputTokens).toBe(5);
    expect(budget.text.startsWith(', there was a')).toBe(true);
  });

  it('rejects with an AbortError when stopped, which the runner reads as a stop', async () => {
    const generator = new ModelGenerator('stories260K.gguf', model, tokenizer);
    const controller = new AbortController();
    controller.abort(new Error('cancelled by the user'));
    await expect(generator.generate([{ id: 'x', prompt: 'Once' }], { maxNewTokens: 4, signal: controller.signal })).rejects.toMatchObject({
      name: 'AbortError',
    });
    const result = await runEvaluation({
      run: runInfo('stop', generator),
      problems,
      generator,
      store: new MemoryResultsStore(),
      signal: controller.signal,
    });
    expect(result).toEqual({ status: 'stopped', records: [] });
  });

  it('names the problem when its prompt does not fit the context', async () => {
    const generator = new ModelGenerator('stories260K.gguf', model, tokenizer);
    const long = 'Once upon a time '.repeat(200);
    await expect(generator.generate([{ id: 'too-long', prompt: long }], { maxNewTokens: 4 })).rejects.toThrow(
      /^problem too-long: the prompt has \d+ tokens but the context holds 512/,
    );
  });
});
