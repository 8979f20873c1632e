import { appendFileSync, existsSync, mkdirSync, openAsBlob, statSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type { CliCommand, CliIo } from '../command';
import { CliUsageError } from '../command';
import { flag, numberFlag, parseArgs, type ParsedArgs } from '../args';
import { cancelOnInterrupt, cliEngine } from '../engine';
import { LabError } from '../../errors';
import { openFileSource } from '../../formats/nodeFileSource';
import { PROJECTIONS, type Projection } from '../../model/tensorNames';
import { describeStageRule, HARD, NORMAL, parseStageRule } from '../../data/curriculum';
import { checkTrainConfig, type TrainConfig } from '../../train/config';
import type { StepMetrics } from '../../train/trainer';
import type { Engine } from '../../worker/engine';
import type { InterruptedRun } from '../../worker/training';
import { trainConfigFromRequest, type TrainingPlan, type TrainRequest } from '../../worker/trainRequest';
import { FsStorage } from '../../worker/storage/fsStorage';

/** Positions of the model's KV cache and inference step: the least Model.load allows, as training brings its own buffers. */
const MODEL_CONTEXT = 16;

export const command: CliCommand = {
  name: 'train',
  summary: 'fine-tune a LoRA adapter on a GGUF model (Dawn), writing a PEFT adapter and metrics',
  usage: `usage: lora-lab train --model <file.gguf> --data <shard>... --out <dir> [options]

Trains a LoRA adapter on the frozen (quantized) model with the lab's engine (the shards deduplicated as in the
page), and writes into <dir>: adapter_config.json + adapter_model.safetensors (PEFT layout) and metrics.jsonl (one
JSON object per step). <dir> is the engine's storage, laid out as in the page: runs/<id>/ holds the run until it
finishes (its packed data and checkpoint, for --resume), adapters/<id>/ the adapter. Ctrl-C stops after the
current step and saves.
  --steps N            optimizer steps (default 100)
  --rank R             LoRA rank (default 16)
  --alpha A            LoRA alpha; scale = alpha / rank (default 2 × rank)
  --dropout P          LoRA dropout on the adapter's input while training, in [0, 1) (default 0)
  --lr X               peak learning rate (default 2e-4)
  --warmup N           warmup steps (default 3% of the steps)
  --schedule S         cosine, linear or constant decay after warmup (default cosine)
  --targets LIST       projections, comma-separated, from q,k,v,o,gate,up,down (default all)
  --seq-len L          tokens per packed row (default 512)
  --batch B            rows per micro-batch (default 1)
  --accumulation N     micro-batches per optimizer step (default 1)
  --max-grad-norm X    clip the gradient norm (default 1; 0 disables)
  --seed S             seeds the adapter, the split, the data order and the dropout masks (default 0)
  --validation F       held-out fraction of the examples (default 0.02)
  --eval-every N       held-out loss (on 2 micro-batches) every N steps (default 0: only at the end)
  --stages LIST        curriculum: train the stages one after the other in this order, e.g. normal,hard
                       (Skywork-Math); the steps are split between stages by their size, each stage shuffled
                       on its own every epoch (default: no curriculum, all examples shuffled together)
  --stage-rule R       which stage an example is in (default level:4):
                         level:N    hard = MATH level ≥ N ("Level 4", "Level 5"), everything else normal
                         source:A,B hard = rows whose source (MetaMathQA type, NuminaMath source) is A or B
                         field[:S]  the stage field the shard's mapping set; S (default normal) where absent
  --checkpoint-every N save a checkpoint every N steps (default 50)
  --memory-budget-gb G refuse a model or training plan needing more GPU memory than this (GB), with its numbers
  --export DIR         also write the run for multi-GPU trainers into DIR: its exact training and held-out rows
                       (train.jsonl, validation.jsonl), axolotl.yaml, train_trl.py and a README with the launch commands
  --resume             continue the run stopped in <dir> from its checkpoint, with its saved settings and data
  --software           use SwiftShader when no Vulkan driver is chosen`,
  async run(args, io) {
    const parsed = parseArgs(args, {
      values: [
        'model',
        'data',
        'out',
        'steps',
        'rank',
        'alpha',
        'dropout',
        'stages',
        'stage-rule',
        'lr',
        'warmup',
        'schedule',
        'targets',
        'seq-len',
        'batch',
        'accumulation',
        'max-grad-norm',
        'seed',
        'validation',
        'eval-every',
        'checkpoint-every',
        'memory-budget-gb',
        'export',
      ],
      switches: ['resume', 'software'],
    });
    if (parsed.positional.length > 0) throw new CliUsageError(`unexpected argument "${parsed.positional[0]}"`);
    const modelPath = required(parsed, 'model');
    const out = required(parsed, 'out');
    const resume = parsed.flags.has('resume');
    const shards = parsed.flags.get('data') ?? [];
    if (shards.length === 0 && !resume) throw new CliUsageError('--data is required (one or more shard files)');
    for (const path of [modelPath, ...shards])
      if (!existsSync(path) || !statSync(path).isFile()) throw new LabError('file not found', path);
    if (existsSync(out) && !statSync(out).isDirectory())
      throw new LabError('exists and is not a directory', out, 'Choose a directory for --out.');
    const request = resume ? undefined : requestFromFlags(parsed, basename(resolve(out)));
    const budgetGb = flag(parsed, 'memory-budget-gb') === undefined ? undefined : numberFlag(parsed, 'memory-budget-gb', 0, (g) => g > 0);

    // The lab's engine over <out> as its storage: the run, its checkpoint and the adapter live there as in the page.
    const { engine, close } = cliEngine({ software: parsed.flags.has('software'), storage: new FsStorage(out) });
    try {
      // Everything that can be wrong with the files is found before the GPU starts.
      const run = resume ? await runToResume(engine, out) : undefined;
      if (run) io.err(`resuming "${run.name}" at step ${run.step} of ${run.steps} with its saved settings and data\n`);
      else await addShards(engine, shards, io);
      const status = await engine.init();
      io.err(`GPU: ${status.gpuAdapterName}\n`);
      if (budgetGb !== undefined) await engine.setMemoryBudget(budgetGb * 1e9);
      // A ByteSource, not fs.openAsBlob: Node 20 reports the size of a file over 4 GiB (a 7B GGUF) modulo 2^32.
      // The smallest inference buffers the model allows: training brings its own.
      await engine.loadModel(await openFileSource(modelPath), 'load', undefined, {
        maxContext: MODEL_CONTEXT,
        maxStepTokens: MODEL_CONTEXT,
      });
      const metricsPath = join(out, 'metrics.jsonl');
      mkdirSync(out, { recursive: true });
      // A resumed run replays its stored steps first, so the file is written whole either way.
      writeFileSync(metricsPath, '');
      let steps = run?.steps ?? 0;
      const onMetrics = (m: StepMetrics) => report(io, metricsPath, m, steps);
      const onPlanned = (plan: TrainingPlan) => {
        steps = plan.steps;
        io.err(
          `data: ${plan.trainRows} training rows of ${request!.seqLen} tokens; ${plan.steps} steps = ${plan.epochs.toFixed(2)} epochs\n`,
        );
        const curriculum = request!.curriculum;
        if (curriculum) io.err(`curriculum (${describeStageRule(curriculum.rule)}): ${curriculum.stages.join(', then ')}\n`);
      };
      const adapter = await cancelOnInterrupt(engine, 'train', io, 'stopping after this step…\n', () =>
        run ? engine.resumeTraining(run.runId, 'train', onMetrics) : engine.train(request!, 'train', onMetrics, onPlanned),
      );
      for (const file of await engine.exportAdapter(adapter.id))
        writeFileSync(join(out, file.name), new Uint8Array(await file.blob.arrayBuffer()));
      io.err(`${adapter.status} at step ${adapter.steps}; adapter written to ${out}\n`);
      const exportDir = flag(parsed, 'export');
      if (exportDir !== undefined) {
        mkdirSync(exportDir, { recursive: true });
        for (const file of await engine.exportForCluster(adapter.id))
          writeFileSync(join(exportDir, file.name), new Uint8Array(await file.blob.arrayBuffer()));
        io.err(`the run for multi-GPU trainers written to ${exportDir} (see its README.md)\n`);
      }
      return 0;
    } finally {
      close();
    }
  },
};

/** Loads the shards into the engine's workspace (deduplicated as in the page), saying what it skipped. */
async function addShards(engine: Engine, paths: string[], io: CliIo): Promise<void> {
  for (const path of paths) {
    const { added, failed } = await engine.addShards([new File([await openAsBlob(path)], path)]);
    if (failed.length > 0) throw new LabError(failed[0].message);
    const r = added[0];
    if (r.badCount > 0) io.err(`${path}: skipped ${r.badCount} bad ${r.unit}s (first: ${r.unit} ${r.bad[0].row}: ${r.bad[0].reason})\n`);
    const removed = r.duplicates.exact + r.duplicates.near;
    if (removed > 0) io.err(`${path}: removed ${removed} duplicate ${r.unit}s\n`);
  }
  const { stats } = await engine.dataSummary();
  if (stats.rows === 0) throw new LabError('no usable examples', paths.join(', '), 'Check the files with `lora-lab data`.');
}

/** The run a stopped `lora-lab train` left in <out> (the newest, if there are several). */
async function runToResume(engine: Engine, out: string): Promise<InterruptedRun> {
  const run = (await engine.interruptedRuns()).at(-1);
  if (!run) throw new LabError('has no checkpoint to resume', out, 'Run without --resume to start a new run.');
  return run;
}

function required(parsed: ParsedArgs, name: string): string {
  const value = flag(parsed, name);
  if (value === undefined || value === '') throw new CliUsageError(`--${name} is required`);
  return value;
}

function requestFromFlags(parsed: ParsedArgs, name: string): TrainRequest {
  const whole = (n: number) => Number.isInteger(n) && n >= 0;
  const positive = (n: number) => Number.isInteger(n) && n > 0;
  const rank = numberFlag(parsed, 'rank', 16, positive);
  const steps = numberFlag(parsed, 'steps', 100, positive);
  const schedule = flag(parsed, 'schedule') ?? 'cosine';
  if (schedule !== 'cosine' && schedule !== 'linear' && schedule !== 'constant')
    throw new CliUsageError(`--schedule: "${schedule}" is not cosine, linear or constant`);
  const targetList = (flag(parsed, 'targets') ?? PROJECTIONS.join(','))
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  for (const t of targetList)
    if (!(PROJECTIONS as readonly string[]).includes(t))
      throw new CliUsageError(`--targets: "${t}" is not one of ${PROJECTIONS.join(', ')}`);
  const request: TrainRequest = {
    name,
    seed: numberFlag(parsed, 'seed', 0, whole),
    rank,
    alpha: numberFlag(parsed, 'alpha', 2 * rank, (a) => a > 0),
    dropout: numberFlag(parsed, 'dropout', 0, (p) => p >= 0 && p < 1),
    targets: targetList as Projection[],
    steps,
    lr: numberFlag(parsed, 'lr', 2e-4, (x) => x > 0),
    warmupSteps: numberFlag(parsed, 'warmup', Math.round(0.03 * steps), whole),
    decay: schedule,
    seqLen: numberFlag(parsed, 'seq-len', 512, positive),
    batch: numberFlag(parsed, 'batch', 1, positive),
    accumulation: numberFlag(parsed, 'accumulation', 1, positive),
    maxGradNorm: numberFlag(parsed, 'max-grad-norm', 1, (x) => x >= 0),
    validationFraction: numberFlag(parsed, 'validation', 0.02, (f) => f >= 0 && f < 1),
    evalEvery: numberFlag(parsed, 'eval-every', 0, whole),
    checkpointEvery: numberFlag(parsed, 'checkpoint-every', 50, whole),
    curriculum: curriculumFromFlags(parsed),
  };
  try {
    checkTrainConfig(trainConfigFromRequest(request, steps));
  } catch (error) {
    throw new CliUsageError(error instanceof LabError ? error.what : String(error));
  }
  return request;
}

function curriculumFromFlags(parsed: ParsedArgs): TrainConfig['curriculum'] {
  const stages = flag(parsed, 'stages');
  const ruleText = flag(parsed, 'stage-rule');
  if (stages === undefined) {
    if (ruleText !== undefined) throw new CliUsageError('--stage-rule needs --stages (e.g. --stages normal,hard)');
    return undefined;
  }
  const list = stages
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  try {
    const rule = parseStageRule(ruleText ?? 'level:4');
    if (rule.by !== 'field') {
      const unknown = list.filter((s) => s !== NORMAL && s !== HARD);
      if (unknown.length > 0)
        throw new CliUsageError(`--stages: "${unknown[0]}" is not a stage of --stage-rule ${rule.by} (${NORMAL} or ${HARD})`);
    }
    return { stages: list, rule };
  } catch (error) {
    throw error instanceof LabError ? new CliUsageError(`--stage-rule: ${error.what}${error.hint ? ` (${error.hint})` : ''}`) : error;
  }
}

function report(io: CliIo, metricsPath: string, m: StepMetrics, steps: number): void {
  appendFileSync(metricsPath, JSON.stringify(m) + '\n');
  const evalPart = m.eval_loss === undefined ? '' : ` eval ${m.eval_loss.toFixed(4)}`;
  const stagePart = m.stage === undefined ? '' : ` [${m.stage}]`;
  io.err(
    `step ${m.step}/${steps}${stagePart} loss ${m.loss.toFixed(4)}${evalPart} lr ${m.lr.toExponential(2)} |g| ${m.grad_norm.toFixed(3)} ` +
      `${m.tokens_per_s.toFixed(1)} tok/s eta ${Math.round(m.eta_s)} s\n`,
  );
}
