import { appendFileSync, existsSync, mkdirSync, openAsBlob, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CliCommand, CliIo } from '../command';
import { CliUsageError } from '../command';
import { flag, numberFlag, parseArgs, type ParsedArgs } from '../args';
import { LabError } from '../../errors';
import { createNodeGpu } from '../../gpu/node';
import { describeAdapter } from '../../gpu/acquire';
import { readGguf } from '../../formats/gguf';
import { openFileSource } from '../../formats/nodeFileSource';
import { loadShard } from '../../data/shard';
import type { Example } from '../../data/example';
import { modelConfigFromGguf } from '../../model/config';
import { Model } from '../../model/model';
import { describeMemoryPlan, planInferenceMemory } from '../../model/memoryPlan';
import { exportPeft } from '../../model/loraPeft';
import { PROJECTIONS, type Projection } from '../../model/tensorNames';
import { describeStageRule, HARD, NORMAL, parseStageRule } from '../../data/curriculum';
import { Tokenizer, vocabFromGguf } from '../../tokenizer';
import { checkTrainConfig, defaultTrainConfig, type TrainConfig } from '../../train/config';
import { deserializeCheckpoint, type TrainingCheckpoint } from '../../train/checkpoint';
import { FsCheckpointStore } from '../../train/fsCheckpointStore';
import { assertTrainingPlanFits, planTrainingMemory } from '../../train/memoryPlan';
import { prepareTrainingData } from '../../train/prepareData';
import { planStages } from '../../train/dataOrder';
import { writePeftDirectory } from '../../train/peftDirectory';
import { Trainer, type StepMetrics } from '../../train/trainer';

/** The smallest inference buffers Model.load allows: training brings its own. */
const MODEL_CONTEXT = 16;

export const command: CliCommand = {
  name: 'train',
  summary: 'fine-tune a LoRA adapter on a GGUF model (Dawn), writing a PEFT adapter and metrics',
  usage: `usage: lora-lab train --model <file.gguf> --data <shard>... --out <dir> [options]

Trains a LoRA adapter on the frozen (quantized) model with the same trainer as the lab, and writes into <dir>:
adapter_config.json + adapter_model.safetensors (PEFT layout), metrics.jsonl (one JSON object per step) and
checkpoint.safetensors (adapter + AdamW state, for --resume). Ctrl-C stops after the current step and saves.
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
  --eval-every N       held-out loss every N steps (default 0: only at the end)
  --stages LIST        curriculum: train the stages one after the other in this order, e.g. normal,hard
                       (Skywork-Math); the steps are split between stages by their size, each stage shuffled
                       on its own every epoch (default: no curriculum, all examples shuffled together)
  --stage-rule R       which stage an example is in (default level:4):
                         level:N    hard = MATH level ≥ N ("Level 4", "Level 5"), everything else normal
                         source:A,B hard = rows whose source (MetaMathQA type, NuminaMath source) is A or B
                         field[:S]  the stage field the shard's mapping set; S (default normal) where absent
  --checkpoint-every N save a checkpoint every N steps (default 50)
  --memory-budget-gb G refuse plans needing more GPU memory than this
  --resume             continue from <dir>/checkpoint.safetensors with its saved settings
  --software           use SwiftShader when no Vulkan driver is chosen`,
  async run(args, io) {
    const parsed = parseArgs(args, {
      values: ['model', 'data', 'out', 'steps', 'rank', 'alpha', 'dropout', 'stages', 'stage-rule', 'lr', 'warmup', 'schedule', 'targets', 'seq-len', 'batch', 'accumulation',
        'max-grad-norm', 'seed', 'validation', 'eval-every', 'checkpoint-every', 'memory-budget-gb'],
      switches: ['resume', 'software'],
    });
    if (parsed.positional.length > 0) throw new CliUsageError(`unexpected argument "${parsed.positional[0]}"`);
    const modelPath = required(parsed, 'model');
    const out = required(parsed, 'out');
    const shards = parsed.flags.get('data') ?? [];
    if (shards.length === 0) throw new CliUsageError('--data is required (one or more shard files)');
    for (const path of [modelPath, ...shards]) if (!existsSync(path) || !statSync(path).isFile()) throw new LabError('file not found', path);
    if (existsSync(out) && !statSync(out).isDirectory()) throw new LabError('exists and is not a directory', out, 'Choose a directory for --out.');
    const store = new FsCheckpointStore(out);
    let checkpoint: TrainingCheckpoint | undefined;
    if (parsed.flags.has('resume')) {
      const blob = await store.load();
      if (!blob) throw new LabError('has no checkpoint to resume', store.location, 'Run without --resume to start a new run.');
      checkpoint = await deserializeCheckpoint(blob, store.location);
      io.err(`resuming at step ${checkpoint.step} with the checkpoint's settings\n`);
    }
    const config = checkpoint?.config ?? configFromFlags(parsed);
    const validation = numberFlag(parsed, 'validation', 0.02, (f) => f >= 0 && f < 1);
    const budgetGb = flag(parsed, 'memory-budget-gb') === undefined ? undefined : numberFlag(parsed, 'memory-budget-gb', 0, (g) => g > 0);

    // Everything that can be wrong with the files is found before the GPU starts.
    // A ByteSource, not fs.openAsBlob: Node 20 reports the size of a file over 4 GiB (a 7B GGUF) modulo 2^32.
    const modelSource = await openFileSource(modelPath);
    const file = await readGguf(modelSource, { name: modelPath });
    const modelConfig = modelConfigFromGguf(file);
    const tokenizer = new Tokenizer(vocabFromGguf(file, modelPath));
    const examples: Example[] = [];
    for (const path of shards) {
      const shard = await loadShard(await openAsBlob(path), path);
      if (shard.badCount > 0) io.err(`${path}: skipped ${shard.badCount} bad ${shard.unit}s (first: ${shard.unit} ${shard.bad[0].row}: ${shard.bad[0].reason})\n`);
      examples.push(...shard.examples);
    }
    if (examples.length === 0) throw new LabError('no usable examples', shards.join(', '), 'Check the files with `lora-lab data`.');
    const data = prepareTrainingData(examples, tokenizer, { seqLen: config.seqLen, seed: config.seed, validationFraction: validation, curriculum: config.curriculum });
    io.err(
      `data: ${data.trainExamples} training examples in ${data.train.length} rows of ${config.seqLen} tokens (${(100 * data.utilisation).toFixed(0)}% used), ` +
        `${data.validationExamples} held out; ${data.truncated} truncated, ${data.dropped} dropped\n`,
    );
    if (config.curriculum && data.stages) {
      const plan = planStages(data.stages, config.steps, config.batch);
      io.err(`curriculum (${describeStageRule(config.curriculum.rule)}):\n`);
      for (const [i, s] of plan.entries()) {
        io.err(`  ${s.name}: ${data.stages[i].examples} examples in ${s.rows} rows, steps ${s.firstStep + 1}-${s.firstStep + s.steps}\n`);
      }
    }

    const gpu = await createNodeGpu({ useSoftwareFallback: parsed.flags.has('software') });
    io.err(`GPU: ${describeAdapter(gpu.info)}\n`);
    try {
      const inference = planInferenceMemory(file, modelConfig, gpu.limits, { maxContext: MODEL_CONTEXT, maxStepTokens: MODEL_CONTEXT });
      const [weights, ...rest] = inference.items;
      const plan = planTrainingMemory(modelConfig, gpu.limits, {
        weightBytes: weights.bytes,
        modelBufferBytes: rest.reduce((sum, i) => sum + i.bytes, 0),
        lora: config.lora,
        batch: config.batch,
        seqLen: config.seqLen,
        lossChunkRows: config.lossChunkRows,
        budgetBytes: budgetGb === undefined ? undefined : budgetGb * 1e9,
      });
      io.err(`memory plan:\n${describeMemoryPlan(plan).join('\n')}\n`);
      assertTrainingPlanFits(plan);
      const model = await Model.load(gpu, modelSource, { maxContext: MODEL_CONTEXT, maxStepTokens: MODEL_CONTEXT });
      mkdirSync(out, { recursive: true });
      const metricsPath = join(out, 'metrics.jsonl');
      if (!checkpoint) writeFileSync(metricsPath, '');
      const options = { store, onMetrics: (m: StepMetrics) => report(io, metricsPath, m, config.steps) };
      const trainer = checkpoint ? Trainer.resume(gpu, model, data, checkpoint, options) : Trainer.start(gpu, model, data, config, options);
      const stop = new AbortController();
      const onSignal = () => {
        io.err('stopping after this step…\n');
        stop.abort();
      };
      process.once('SIGINT', onSignal);
      try {
        const result = await trainer.run(stop.signal);
        if (result.status === 'done') await trainer.saveCheckpoint();
        const values = await trainer.adapter.readValues();
        await writePeftDirectory(out, exportPeft(modelConfig, config.lora, values, modelConfig.name));
        io.err(`${result.status} at step ${result.step}; adapter written to ${out}\n`);
      } finally {
        process.off('SIGINT', onSignal);
        trainer.free();
        trainer.adapter.free();
        model.free();
      }
      return 0;
    } finally {
      gpu.destroy();
    }
  },
};

function required(parsed: ParsedArgs, name: string): string {
  const value = flag(parsed, name);
  if (value === undefined || value === '') throw new CliUsageError(`--${name} is required`);
  return value;
}

function configFromFlags(parsed: ParsedArgs): TrainConfig {
  const whole = (n: number) => Number.isInteger(n) && n >= 0;
  const positive = (n: number) => Number.isInteger(n) && n > 0;
  const seed = numberFlag(parsed, 'seed', 0, whole);
  const rank = numberFlag(parsed, 'rank', 16, positive);
  const steps = numberFlag(parsed, 'steps', 100, positive);
  const schedule = flag(parsed, 'schedule') ?? 'cosine';
  if (schedule !== 'cosine' && schedule !== 'linear' && schedule !== 'constant') throw new CliUsageError(`--schedule: "${schedule}" is not cosine, linear or constant`);
  const targetList = (flag(parsed, 'targets') ?? PROJECTIONS.join(',')).split(',').map((t) => t.trim()).filter(Boolean);
  for (const t of targetList) if (!(PROJECTIONS as readonly string[]).includes(t)) throw new CliUsageError(`--targets: "${t}" is not one of ${PROJECTIONS.join(', ')}`);
  const config = defaultTrainConfig({
    seed,
    lora: { rank, alpha: numberFlag(parsed, 'alpha', 2 * rank, (a) => a > 0), dropout: numberFlag(parsed, 'dropout', 0, (p) => p >= 0 && p < 1), targets: targetList as Projection[], seed },
    steps,
    lr: numberFlag(parsed, 'lr', 2e-4, (x) => x > 0),
    warmupSteps: numberFlag(parsed, 'warmup', Math.round(0.03 * steps), whole),
    decay: schedule,
    seqLen: numberFlag(parsed, 'seq-len', 512, positive),
    batch: numberFlag(parsed, 'batch', 1, positive),
    accumulation: numberFlag(parsed, 'accumulation', 1, positive),
    maxGradNorm: numberFlag(parsed, 'max-grad-norm', 1, (x) => x >= 0),
    evalEvery: numberFlag(parsed, 'eval-every', 0, whole),
    checkpointEvery: numberFlag(parsed, 'checkpoint-every', 50, whole),
    curriculum: curriculumFromFlags(parsed),
  });
  try {
    checkTrainConfig(config);
  } catch (error) {
    throw new CliUsageError(error instanceof LabError ? error.what : String(error));
  }
  return config;
}

function curriculumFromFlags(parsed: ParsedArgs): TrainConfig['curriculum'] {
  const stages = flag(parsed, 'stages');
  const ruleText = flag(parsed, 'stage-rule');
  if (stages === undefined) {
    if (ruleText !== undefined) throw new CliUsageError('--stage-rule needs --stages (e.g. --stages normal,hard)');
    return undefined;
  }
  const list = stages.split(',').map((s) => s.trim()).filter(Boolean);
  try {
    const rule = parseStageRule(ruleText ?? 'level:4');
    if (rule.by !== 'field') {
      const unknown = list.filter((s) => s !== NORMAL && s !== HARD);
      if (unknown.length > 0) throw new CliUsageError(`--stages: "${unknown[0]}" is not a stage of --stage-rule ${rule.by} (${NORMAL} or ${HARD})`);
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
