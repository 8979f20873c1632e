import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { CliCommand, CliIo } from '../command';
import { CliUsageError } from '../command';
import { flag, numberFlag, parseArgs, type ParsedArgs } from '../args';
import { LabError } from '../../errors';
import { openFileSource } from '../../formats/nodeFileSource';
import type { Engine } from '../../worker/engine';
import { adapterAtPath, cancelOnInterrupt, cliEngine } from '../engine';
import { sampleProblems } from '../../eval/benchmarks';
import {
  checkEvaluationRequest,
  loadBenchmark,
  type BenchmarkSource,
  type EvaluationOutcome,
  type EvaluationRequest,
  type FileBenchmarkFormat,
} from '../../eval/evaluation';
import { nodeEvaluationEnvironment } from '../../eval/nodeEnvironment';
import { FsResultsStore } from '../../eval/fsResultsStore';
import { MemoryResultsStore } from '../../eval/resultsStore';
import type { PromptStyle } from '../../eval/prompts';
import type { Tally } from '../../eval/records';
import { DEFAULT_EVAL_BATCH } from '../../eval/runner';

const NAMED_BENCHMARKS: FileBenchmarkFormat[] = ['math500', 'math', 'gsm8k'];
const PROMPTS: Record<string, PromptStyle> = {
  sft: 'sft-zero-shot',
  'sft-zero-shot': 'sft-zero-shot',
  minerva: 'minerva-4shot',
  'minerva-4shot': 'minerva-4shot',
};

/** `--benchmark` and `--data` → where the problems come from; a file is read now so its errors come before the GPU. */
function benchmarkSource(parsed: ParsedArgs): BenchmarkSource {
  const benchmark = flag(parsed, 'benchmark');
  const data = flag(parsed, 'data');
  if (!benchmark) throw new CliUsageError('--benchmark is required');
  const fileSource = (path: string, format?: FileBenchmarkFormat): BenchmarkSource => {
    if (!existsSync(path)) throw new LabError('file not found', path);
    return { kind: 'file', file: new File([readFileSync(path)], path), format };
  };
  if (benchmark === 'samples') {
    if (data) throw new CliUsageError('--data is not used with --benchmark samples (the bundled problem set)');
    return { kind: 'samples' };
  }
  if ((NAMED_BENCHMARKS as string[]).includes(benchmark)) {
    if (!data) throw new CliUsageError(`--benchmark ${benchmark} needs --data <file.jsonl> (its test set)`);
    return fileSource(data, benchmark as FileBenchmarkFormat);
  }
  if (!benchmark.endsWith('.jsonl'))
    throw new CliUsageError(`--benchmark: "${benchmark}" is not one of samples, ${NAMED_BENCHMARKS.join(', ')} or a .jsonl file`);
  if (data) throw new CliUsageError('--data is only used with a named benchmark (the file is given to --benchmark)');
  return fileSource(benchmark);
}

function list(parsed: ParsedArgs, name: string): string[] | undefined {
  const raw = flag(parsed, name);
  if (raw === undefined) return undefined;
  const items = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (items.length === 0) throw new CliUsageError(`--${name}: "${raw}" names nothing`);
  return items;
}

function parseRequest(parsed: ParsedArgs): EvaluationRequest {
  const whole = (n: number) => Number.isInteger(n) && n >= 0;
  const positive = (n: number) => Number.isInteger(n) && n >= 1;
  const prompt = flag(parsed, 'prompt') ?? 'sft';
  if (!(prompt in PROMPTS)) throw new CliUsageError(`--prompt: "${prompt}" is not sft or minerva`);
  const levels = list(parsed, 'levels')?.map((l) => {
    const level = Number(l);
    if (!Number.isInteger(level) || level < 1 || level > 5) throw new CliUsageError(`--levels: "${l}" is not a level 1..5`);
    return level;
  });
  const request: EvaluationRequest = {
    benchmark: benchmarkSource(parsed),
    runId: flag(parsed, 'run-id'),
    count: flag(parsed, 'count') === undefined ? undefined : numberFlag(parsed, 'count', 0, positive),
    subjects: list(parsed, 'subjects'),
    levels,
    seed: numberFlag(parsed, 'seed', 0, whole),
    promptStyle: PROMPTS[prompt],
    maxNewTokens: numberFlag(parsed, 'max-tokens', 512, positive),
    batchSize: numberFlag(parsed, 'batch', DEFAULT_EVAL_BATCH, positive),
  };
  checkEvaluationRequest(request);
  return request;
}

const percent = (t: Tally) => `${(100 * t.accuracy).toFixed(1)}%`;
const row = (label: string, t: Tally) => `  ${label.padEnd(24)} ${`${t.correct}/${t.total}`.padStart(9)}  ${percent(t).padStart(6)}`;

function summaryText(outcome: EvaluationOutcome): string {
  const { run, summary } = outcome;
  const lines = [
    `run ${run.id} (${outcome.status}): ${run.generator.name}, ${run.benchmark}, ${run.promptStyle}, ${run.maxNewTokens} tokens max`,
    `accuracy ${summary.overall.correct}/${summary.overall.total} = ${percent(summary.overall)}${outcome.status === 'stopped' ? ` (${run.problemIds.length - summary.overall.total} problems not run)` : ''}`,
    'by subject:',
    ...Object.entries(summary.bySubject).map(([s, t]) => row(s, t)),
    'by level:',
    ...Object.entries(summary.byLevel).map(([l, t]) => row(l, t)),
  ];
  return lines.join('\n') + '\n';
}

/** Beside the run's info.json and records.jsonl (written as problems finish): summary.json and records.csv. */
async function writeSummary(engine: Engine, outcome: EvaluationOutcome, runDir: string, io: CliIo): Promise<void> {
  writeFileSync(
    join(runDir, 'summary.json'),
    JSON.stringify({ run: outcome.run, status: outcome.status, summary: outcome.summary }, null, 2) + '\n',
  );
  writeFileSync(join(runDir, 'records.csv'), await engine.exportEvaluation(outcome.run.id, 'csv'));
  io.err(`results in ${runDir}: info.json, records.jsonl, records.csv, summary.json\n`);
}

export const command: CliCommand = {
  name: 'eval',
  summary: 'evaluate a GGUF model on MATH, MATH-500, GSM8K or the sample problems (greedy, graded)',
  usage: `usage: lora-lab eval --model <file.gguf> --benchmark <samples|math500|math|gsm8k|file.jsonl> [--data <file.jsonl>]
                      [--adapter <dir|file.gguf>] [--count N] [--subjects a,b] [--levels 1,2] [--seed S] [--prompt sft|minerva]
                      [--max-tokens N] [--batch N] [--run-id ID] [--out <dir>] [--software]

Answers each problem greedily on the GPU (Dawn), grades it as it finishes (progress on stderr) and prints the
accuracy overall, by subject and by level. The same evaluation the lab page runs.
  --benchmark      samples (the bundled set), a named benchmark with --data, or a JSONL file (layout detected)
  --adapter        answer with this LoRA adapter on the model (unmerged): a PEFT directory (what lora-lab train
                   writes) or a llama.cpp LoRA .gguf
  --count N        problems to draw (default: all that match), seeded by --seed (default 0)
  --subjects a,b   only these subjects (MATH: Algebra, Geometry, ...; GSM8K has one, gsm8k)
  --levels 1,2     only these levels (MATH)
  --prompt         sft: the SFT template, zero-shot (default); minerva: Minerva's 4-shot prompt
  --max-tokens N   tokens per answer at most (default 512)
  --batch N        problems decoded together on the GPU, each problem saved as it finishes (default 8); the
                   records are the same for any N, only the speed changes
  --run-id ID      the run's id (default: benchmark, prompt and time); an unfinished run in --out resumes
  --out <dir>      keep the run in <dir>/<run id>/: info.json, records.jsonl (one record per problem, written as
                   each finishes), and at the end records.csv and summary.json
  --software       use SwiftShader when no Vulkan driver is chosen
Ctrl-C stops, keeping every finished batch (the one in progress is dropped); with --out, the same --run-id
resumes it.`,
  async run(args, io) {
    const parsed = parseArgs(args, {
      values: [
        'model',
        'adapter',
        'benchmark',
        'data',
        'count',
        'subjects',
        'levels',
        'seed',
        'prompt',
        'max-tokens',
        'batch',
        'run-id',
        'out',
      ],
      switches: ['software'],
    });
    if (parsed.positional.length > 0) throw new CliUsageError(`unexpected argument "${parsed.positional[0]}"`);
    const modelPath = flag(parsed, 'model');
    if (!modelPath) throw new CliUsageError('--model is required');
    const request = parseRequest(parsed);
    if (!existsSync(modelPath)) throw new LabError('file not found', modelPath);
    const adapterPath = flag(parsed, 'adapter');
    const adapter = adapterPath === undefined ? undefined : await adapterAtPath(adapterPath);
    const out = flag(parsed, 'out');
    const store = out ? new FsResultsStore(out) : new MemoryResultsStore();
    const environment = nodeEvaluationEnvironment(store);
    // Sampling now surfaces a bad file or an impossible sample before minutes of model loading.
    const all = await loadBenchmark(request.benchmark, environment);
    const chosen = sampleProblems(all, {
      count: request.count,
      subjects: request.subjects,
      levels: request.levels,
      seed: request.seed ?? 0,
    });
    if (chosen.length === 0)
      throw new LabError(
        'no problem matches the subjects and levels asked for',
        'eval',
        `the benchmark has subjects ${[...new Set(all.map((p) => p.subject))].join(', ')}`,
      );

    const { engine, close } = cliEngine({ software: parsed.flags.has('software'), evaluationEnv: environment });
    const jobId = 'eval';
    try {
      const status = await engine.init();
      io.err(`GPU: ${status.gpuAdapterName}\n`);
      // A ByteSource, not openAsBlob: Node 20's openAsBlob reports a file over 4 GiB (any 7B GGUF) modulo 2^32.
      const info = await engine.loadModel(await openFileSource(modelPath), 'load');
      io.err(
        `loaded ${basename(modelPath)} (${info.config.architecture}, ${info.config.nLayers} layers) in ${info.loadSeconds.toFixed(1)} s; ${chosen.length} problems\n`,
      );
      if (adapter) {
        const { lora } = await adapter.use(engine);
        io.err(`adapter ${adapter.name}: rank ${lora.rank}, alpha ${lora.alpha}, ${lora.targets.join(', ')}\n`);
      }
      const resumed = request.runId ? await store.loadRun(request.runId) : null;
      if (resumed) io.err(`resuming run ${request.runId}: ${resumed.records.length} of ${resumed.info.problemIds.length} problems done\n`);
      const outcome = await cancelOnInterrupt(engine, jobId, io, 'stopping; the batch in progress is dropped...\n', () =>
        engine.evaluate(request, jobId, (p) => {
          if (!p.record) return;
          const r = p.record;
          io.err(
            `[${p.done}/${p.total}] ${r.problemId} ${r.correct ? 'right' : 'wrong'} (${r.rule}; ${r.outputTokens} tokens, ${(r.timeMs / 1000).toFixed(1)} s) — ${p.correct} right so far\n`,
          );
        }),
      );
      io.out(summaryText(outcome));
      if (store instanceof FsResultsStore) await writeSummary(engine, outcome, store.runDir(outcome.run.id), io);
      return outcome.status === 'complete' ? 0 : 130;
    } finally {
      close();
    }
  },
};
