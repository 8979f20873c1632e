import { cpSync, mkdtempSync, openAsBlob, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main';
import { sharedData } from '../sharedData';
import { readGguf } from '../../src/formats/gguf';
import { modelConfigFromGguf } from '../../src/model/config';
import { loraLayout, type LoraConfig } from '../../src/model/lora/lora';
import { exportPeft } from '../../src/model/lora/loraPeft';
import { writePeftDirectory } from '../../src/train/peftDirectory';
import { randomF32 } from '../../src/util/random';

// Real decoding on SwiftShader, on a machine other test runs share: minutes, not the default two.
vi.setConfig({ testTimeout: 600_000, hookTimeout: 600_000 });

async function evalCli(...argv: string[]) {
  let out = '';
  let err = '';
  const code = await main(['eval', ...argv], { out: (t) => (out += t), err: (t) => (err += t) });
  return { code, out, err };
}

const firstLine = (text: string) => text.split('\n')[0];

describe('lora-lab eval', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lora-lab-eval-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const model = sharedData('tiny-models', 'stories260K.gguf');

  const runArgs = (out: string) => [
    '--model',
    model,
    '--benchmark',
    'samples',
    '--count',
    '2',
    '--seed',
    '4',
    '--max-tokens',
    '16',
    '--run-id',
    'cli-run',
    '--out',
    out,
    '--software',
  ];
  const readRecords = (runDir: string) =>
    readFileSync(join(runDir, 'records.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));

  /** One complete run, made once: the first test inspects it, the second resumes a copy cut short. */
  const completeOut = join(dir, 'complete');
  let complete: Awaited<ReturnType<typeof evalCli>>;
  beforeAll(async () => {
    complete = await evalCli(...runArgs(completeOut));
  });

  it('evaluates stories260K on two sample problems: progress on stderr, summary on stdout, the run kept in --out', async () => {
    const r = complete;
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/^\[1\/2\] \S+ (right|wrong) \(/m);
    expect(r.err).toMatch(/^\[2\/2\] /m);
    expect(r.out).toMatch(
      /^run cli-run \(complete\): stories260K\.gguf, math500, sft-zero-shot, 16 tokens max\naccuracy \d\/2 = \d+\.\d%\nby subject:\n/,
    );
    expect(r.out).toMatch(/\nby level:\n/);
    const runDir = join(completeOut, 'cli-run');
    expect(JSON.parse(readFileSync(join(runDir, 'info.json'), 'utf8'))).toMatchObject({
      id: 'cli-run',
      generator: { kind: 'model', name: 'stories260K.gguf' },
    });
    const records = readRecords(runDir);
    expect(records).toHaveLength(2);
    expect(records[0]).toMatchObject({
      prompt: expect.stringContaining('### Instruction:'),
      output: expect.any(String),
      outputTokens: expect.any(Number),
    });
    expect(JSON.parse(readFileSync(join(runDir, 'summary.json'), 'utf8'))).toMatchObject({
      status: 'complete',
      summary: { overall: { total: 2 } },
    });
    expect(readFileSync(join(runDir, 'records.csv'), 'utf8').split('\r\n')).toHaveLength(4);
  });

  it('answers with a LoRA adapter (--adapter, a PEFT directory): the run names it and its answers change', async () => {
    const config = modelConfigFromGguf(await readGguf(await openAsBlob(model)));
    const lora: LoraConfig = { rank: 4, alpha: 8, dropout: 0, targets: ['q', 'v', 'up', 'down'], seed: 0 };
    // Random A and B at 0.5: far from the zero B of a fresh adapter, so greedy answers move.
    const values = randomF32(loraLayout(config, lora).totalFloats, 12, 0.5);
    const adapterDir = join(dir, 'random-adapter');
    await writePeftDirectory(adapterDir, exportPeft(config, lora, values, 'stories260K.gguf'));
    const out = join(dir, 'with-adapter');
    const r = await evalCli(...runArgs(out), '--adapter', adapterDir);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/^adapter random-adapter: rank 4, alpha 8, q, v, up, down$/m);
    expect(r.out).toMatch(/^run cli-run \(complete\): stories260K\.gguf \+ random-adapter, /);
    const outputs = readRecords(join(out, 'cli-run')).map((rec) => rec.output);
    const baseOutputs = readRecords(join(completeOut, 'cli-run')).map((rec) => rec.output);
    expect(outputs).not.toEqual(baseOutputs);
    const missing = await evalCli(...runArgs(join(dir, 'none')), '--adapter', join(dir, 'nowhere'));
    expect(missing).toMatchObject({ code: 1, err: expect.stringMatching(/nowhere: not found/) });
  });

  it('resumes an unfinished run in --out with the same --run-id, answering only the problems left', async () => {
    const out = join(dir, 'cut-short');
    cpSync(completeOut, out, { recursive: true });
    const runDir = join(out, 'cli-run');
    const all = readRecords(runDir);
    writeFileSync(join(runDir, 'records.jsonl'), JSON.stringify(all[0]) + '\n');
    const r = await evalCli(...runArgs(out));
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/resuming run cli-run: 1 of 2 problems done/);
    expect(r.err).not.toMatch(/\[1\/2\]/);
    const resumed = readRecords(runDir);
    const withoutTime = ({ timeMs: _, ...rest }: Record<string, unknown>) => rest;
    expect(resumed.map(withoutTime)).toEqual(all.map(withoutTime));
    const other = await evalCli(...runArgs(out).map((a) => (a === '16' ? '8' : a)));
    expect(other.err).toMatch(/cli-run: a run with this id exists with a different token budget or problem sample/);
  });

  it('rejects bad options in one line, before the model or the GPU', async () => {
    const cases: [string[], RegExp][] = [
      [['--benchmark', 'samples', '--count', '0'], /^lora-lab eval: --count: "0" is not a valid value$/],
      [['--benchmark', 'samples', '--prompt', 'cot'], /^lora-lab eval: --prompt: "cot" is not sft or minerva$/],
      [['--benchmark', 'samples', '--levels', '1,7'], /^lora-lab eval: --levels: "7" is not a level 1..5$/],
      [['--benchmark', 'math500'], /^lora-lab eval: --benchmark math500 needs --data <file.jsonl>/],
      [['--benchmark', 'aime'], /^lora-lab eval: --benchmark: "aime" is not one of samples, math500, math, gsm8k or a \.jsonl file$/],
      [['--benchmark', 'samples', '--data', 'x.jsonl'], /^lora-lab eval: --data is not used with --benchmark samples/],
      [['--benchmark', 'gsm8k', '--data', '/nonexistent/test.jsonl'], /^lora-lab eval: \/nonexistent\/test\.jsonl: file not found$/],
      [['--benchmark', 'samples', '--run-id', 'a b'], /^lora-lab eval: evaluation: run id "a b" may only hold/],
      [['--benchmark', 'samples', '--max-tokens', '-1'], /^lora-lab eval: --max-tokens: "-1" is not a valid value$/],
    ];
    for (const [args, message] of cases) {
      const r = await evalCli('--model', '/nonexistent/model.gguf', ...args);
      expect(firstLine(r.err), args.join(' ')).toMatch(message);
      expect(r.code, args.join(' ')).toBeGreaterThan(0);
    }
    const noModel = await evalCli('--model', '/nonexistent/model.gguf', '--benchmark', 'samples');
    expect(noModel).toMatchObject({ code: 1, err: 'lora-lab eval: /nonexistent/model.gguf: file not found\n' });
  });

  it('names the file and line of a broken benchmark, and an impossible sample, before loading the model', async () => {
    const broken = join(dir, 'broken.jsonl');
    writeFileSync(broken, '{"question":"1+1?","answer":"#### 2"}\n{"question": \n');
    const bad = await evalCli('--model', model, '--benchmark', broken);
    expect(bad).toMatchObject({
      code: 1,
      err: `lora-lab eval: ${broken}:2: not valid JSON — a benchmark file is JSON Lines, one problem per line\n`,
    });
    const tooMany = await evalCli('--model', model, '--benchmark', 'gsm8k', '--data', sharedData('gsm8k', 'test.jsonl'), '--count', '5000');
    expect(tooMany).toMatchObject({
      code: 1,
      err: 'lora-lab eval: asked for 5000 problems but only 1319 match — lower the count or widen the subjects/levels\n',
    });
    const noSubject = await evalCli('--model', model, '--benchmark', 'samples', '--subjects', 'Astrology');
    expect(noSubject.err).toMatch(
      /^lora-lab eval: eval: no problem matches the subjects and levels asked for — the benchmark has subjects /,
    );
  });
});
