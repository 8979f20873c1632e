import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SAMPLE_SHARD_PATH } from '../../scripts/make-sample-shard';
import { examplesIn, type Example } from '../../src/data/example';
import { examplesFingerprint } from '../../src/data/examplesFingerprint';
import { packExamples, type PackedRow } from '../../src/data/packing';
import { ShardCollection } from '../../src/data/shardCollection';
import type { TokenizedExample } from '../../src/data/tokenize';
import { LabError } from '../../src/errors';
import { Tokenizer, vocabFromGguf } from '../../src/tokenizer';
import { defaultTrainConfig, type TrainConfig } from '../../src/train/config';
import { prepareTrainingData } from '../../src/train/prepareData';
import type { AdapterSummary } from '../../src/worker/adapterLibrary';
import { exportRunForCluster } from '../../src/worker/clusterExportJob';
import { fileBlob } from '../data/files';
import { rowsIn, storiesVocabulary } from './fixtures';

const tokenizer = new Tokenizer(vocabFromGguf(await storiesVocabulary()));
const collection = new ShardCollection();
await collection.add(await fileBlob(SAMPLE_SHARD_PATH), 'sample.jsonl');
const examples = [...examplesIn(collection.examples())];

/** Keys of axolotl's config reference (docs/config-reference.qmd in axolotl-ai-cloud/axolotl) that the export writes. */
const AXOLOTL_KEYS = new Set([
  'base_model',
  'load_in_4bit',
  'adapter',
  'lora_r',
  'lora_alpha',
  'lora_dropout',
  'lora_target_modules',
  'datasets',
  'test_datasets',
  'val_set_size',
  'shuffle_merged_datasets',
  'train_on_inputs',
  'sequence_len',
  'sample_packing',
  'pad_to_sequence_len',
  'micro_batch_size',
  'gradient_accumulation_steps',
  'max_steps',
  'optimizer',
  'learning_rate',
  'lr_scheduler',
  'cosine_min_lr_ratio',
  'warmup_steps',
  'weight_decay',
  'adam_beta1',
  'adam_beta2',
  'adam_epsilon',
  'max_grad_norm',
  'seed',
  'bf16',
  'gradient_checkpointing',
  'flash_attention',
  'eval_steps',
  'logging_steps',
  'output_dir',
]);
/** Keys of a dataset entry, including a custom format's fields (the reference's "custom user prompt" example). */
const AXOLOTL_DATASET_KEYS = new Set([
  'path',
  'ds_type',
  'split',
  'type',
  'field_instruction',
  'field_output',
  'format',
  'no_input_format',
]);

function trainedRun(config: TrainConfig, validationFraction: number, on: readonly Example[] = examples): AdapterSummary {
  return {
    id: 'mathy-1',
    name: 'mathy',
    status: 'done',
    config,
    lora: config.lora,
    steps: config.steps,
    metrics: [],
    trainExamples: 0,
    data: {
      shards: [{ name: 'sample.jsonl', examples: on.length }],
      trainExamples: 0,
      validationExamples: 0,
      trainRows: 0,
      validationRows: 0,
      seqLen: config.seqLen,
      rebuild: { examplesFingerprint: examplesFingerprint(on), validationFraction },
    },
    baseModel: { fileName: 'stories260K.gguf', fileBytes: 1, fingerprint: 'x' },
    evaluationRunIds: [],
    createdAt: '2025-01-01T00:00:00Z',
  };
}

async function filesOf(run: AdapterSummary): Promise<Map<string, string>> {
  const files = exportRunForCluster(run, examples, tokenizer);
  return new Map(await Promise.all(files.map(async (f) => [f.name, await f.blob.text()] as const)));
}

/** The exported rows as the README says the trainers read them: BOS + prompt + completion + EOS, loss on the completion, cut at seqLen. */
function packExported(jsonl: string, seqLen: number): PackedRow[] {
  const bos = tokenizer.bosId!;
  const eos = tokenizer.eosId!;
  const tokenized: TokenizedExample[] = jsonl
    .trim()
    .split('\n')
    .map((line, i) => {
      const { prompt, completion } = JSON.parse(line) as { prompt: string; completion: string };
      const body = tokenizer.encode(prompt + completion, { addSpecial: false });
      const promptIds = prompt === '' ? [] : tokenizer.encode(prompt, { addSpecial: false });
      let promptLength = 0;
      while (promptLength < promptIds.length && promptIds[promptLength] === body[promptLength]) promptLength++;
      const tokens = Int32Array.from([bos, ...body, eos]).slice(0, seqLen);
      const targets = new Uint8Array(body.length + 2).fill(1, 1 + promptLength).slice(0, seqLen);
      return { tokens, targets, from: { shard: 'export', row: i + 1 } };
    });
  return packExamples(tokenized, seqLen, eos).rows;
}

function expectSameRows(actual: PackedRow[], expected: readonly PackedRow[]): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((row, i) => {
    expect(Array.from(row.tokens), `row ${i}`).toEqual(Array.from(expected[i].tokens));
    expect(Array.from(row.targets), `row ${i}`).toEqual(Array.from(expected[i].targets));
  });
}

describe('a lab run exported for multi-GPU trainers', () => {
  const config = defaultTrainConfig({
    seed: 7,
    steps: 120,
    seqLen: 256,
    batch: 2,
    accumulation: 4,
    warmupSteps: 6,
    lr: 1e-4,
    evalEvery: 20,
    minLrRatio: 0.1,
  });
  config.lora = { ...config.lora, rank: 8, alpha: 16, dropout: 0.05, targets: ['q', 'v', 'down'] };

  it('its training and held-out rows, tokenized as the README says, are exactly the rows the lab trains on', async () => {
    const files = await filesOf(trainedRun(config, 0.1));
    const prepared = prepareTrainingData(examples, tokenizer, { seqLen: 256, seed: 7, validationFraction: 0.1 });
    expect(prepared.truncated).toBeGreaterThan(0); // rows cut at seqLen are cut the same way
    expect(files.get('train.jsonl')!.trim().split('\n')).toHaveLength(prepared.trainExamples);
    expect(files.get('validation.jsonl')!.trim().split('\n')).toHaveLength(prepared.validationExamples);
    expectSameRows(packExported(files.get('train.jsonl')!, 256), rowsIn(prepared.train));
    expectSameRows(packExported(files.get('validation.jsonl')!, 256), rowsIn(prepared.validation));
  });

  it('with a curriculum the rows come stage by stage, as the lab packs them', async () => {
    const curriculum = { stages: ['normal', 'hard'], rule: { by: 'source' as const, hardSources: ['arithmetic'] } };
    const staged = { ...config, curriculum };
    const files = await filesOf(trainedRun(staged, 0.1));
    const prepared = prepareTrainingData(examples, tokenizer, { seqLen: 256, seed: 7, validationFraction: 0.1, curriculum });
    expect(prepared.stages!.length).toBe(2);
    expectSameRows(packExported(files.get('train.jsonl')!, 256), rowsIn(prepared.train));
  });

  it("the axolotl config uses only documented keys and carries the run's hyperparameters", async () => {
    const yaml = (await filesOf(trainedRun(config, 0.1))).get('axolotl.yaml')!;
    const topKeys = [...yaml.matchAll(/^(\w+):/gm)].map((m) => m[1]);
    expect(topKeys.filter((k) => !AXOLOTL_KEYS.has(k))).toEqual([]);
    const datasetKeys = [...yaml.matchAll(/^ {2,}-? ?(\w+):/gm)].map((m) => m[1]);
    expect(datasetKeys.filter((k) => !AXOLOTL_DATASET_KEYS.has(k))).toEqual([]);
    const value = (key: string) => yaml.match(new RegExp(`^${key}: (.*)$`, 'm'))?.[1];
    expect([
      value('lora_r'),
      value('lora_alpha'),
      value('lora_dropout'),
      value('learning_rate'),
      value('lr_scheduler'),
      value('cosine_min_lr_ratio'),
    ]).toEqual(['8', '16', '0.05', '0.0001', 'cosine', '0.1']);
    expect([
      value('warmup_steps'),
      value('max_steps'),
      value('micro_batch_size'),
      value('gradient_accumulation_steps'),
      value('sequence_len'),
      value('seed'),
    ]).toEqual(['6', '120', '2', '4', '256', '7']);
    expect(yaml).toContain('lora_target_modules:\n  - q_proj\n  - v_proj\n  - down_proj\n');
    expect(value('load_in_4bit')).toBe('true');
    expect(value('train_on_inputs')).toBe('false');
  });

  it('the TRL script compiles and carries the same hyperparameters', async () => {
    const script = (await filesOf(trainedRun(config, 0.1))).get('train_trl.py')!;
    const path = join(mkdtempSync(join(tmpdir(), 'trl-')), 'train_trl.py');
    writeFileSync(path, script);
    execFileSync('python3', ['-m', 'py_compile', path]);
    for (const setting of [
      'r=8,',
      'lora_alpha=16,',
      'lora_dropout=0.05,',
      'target_modules=["q_proj","v_proj","down_proj"]',
      'learning_rate=0.0001,',
      'lr_scheduler_type="cosine_with_min_lr"',
      'lr_scheduler_kwargs={"min_lr_rate": 0.1}',
      'warmup_steps=6,',
      'max_steps=120,',
      'per_device_train_batch_size=2,',
      'gradient_accumulation_steps=4,',
      'max_length=256,',
      'seed=7,',
      'load_in_4bit=True',
    ]) {
      expect(script).toContain(setting);
    }
  });

  it('the README gives single- and multi-GPU launches and the way back to the lab', async () => {
    const readme = (await filesOf(trainedRun(config, 0.1))).get('README.md')!;
    for (const text of [
      'python3 train_trl.py',
      'accelerate launch --num_processes',
      '--zero_stage 2',
      'axolotl train axolotl.yaml',
      'Adapters → Import',
    ])
      expect(readme).toContain(text);
  });

  it('is refused when the loaded shards are not the ones the run trained on, naming them', () => {
    const run = trainedRun(config, 0.1, examples.slice(1));
    expect(() => exportRunForCluster(run, examples, tokenizer)).toThrow(LabError);
    expect(() => exportRunForCluster(run, examples, tokenizer)).toThrow(/not the ones.*sample\.jsonl/s);
  });
});
