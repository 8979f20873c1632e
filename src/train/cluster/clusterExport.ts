/**
 * A lab run exported for the trainers that run on many GPUs: the exact training and held-out rows (after the
 * lab's cleaning, split, subset and curriculum order, as text), an axolotl config and a TRL script with the run's
 * hyperparameters, and a README saying how to launch them and bring the adapter back to compare.
 */
import type { Example } from '../../data/example';
import type { TrainConfig } from '../config';
import { axolotlYaml } from './axolotlConfig';
import { clusterRowsJsonl } from './clusterRows';
import { clusterSettings, OUTPUT_DIR, TRAIN_FILE, VALIDATION_FILE, type ClusterSettings } from './clusterSettings';
import { trlScript } from './trlScript';

export interface ClusterExportInput {
  runName: string;
  config: TrainConfig;
  /** The base model the lab trained on (its GGUF file); the export names the Hugging Face model to use instead. */
  ggufFile: string;
  /** Hugging Face repository of the unquantized base model (default: the GGUF file name, to replace). */
  baseModel?: string;
  /** The examples behind the packed rows, in packing order (PreparedData.texts). */
  texts: { train: readonly Example[]; validation: readonly Example[] };
  /** Examples the lab cut at the sequence length (the trainers cut them the same way). */
  truncated: number;
}

export interface ClusterFile {
  /** File name in the export folder (flat, so a browser download keeps it). */
  name: string;
  blob: Blob;
}

export function clusterExport(input: ClusterExportInput): ClusterFile[] {
  const settings = clusterSettings(input.config, input.baseModel ?? input.ggufFile, input.texts.validation.length > 0);
  const text = (name: string, body: string): ClusterFile => ({ name, blob: new Blob([body], { type: 'text/plain' }) });
  return [
    { name: TRAIN_FILE, blob: clusterRowsJsonl(input.texts.train) },
    ...(settings.hasValidation ? [{ name: VALIDATION_FILE, blob: clusterRowsJsonl(input.texts.validation) }] : []),
    text('axolotl.yaml', axolotlYaml(settings)),
    text('train_trl.py', trlScript(settings)),
    text('lab-run.json', JSON.stringify({ name: input.runName, ggufFile: input.ggufFile, config: input.config }, null, 2) + '\n'),
    text('README.md', clusterReadme(input, settings)),
  ];
}

function clusterReadme(input: ClusterExportInput, s: ClusterSettings): string {
  const { train, validation } = input.texts;
  return `# ${input.runName}: the Lora Lab run, for GPUs

Trained in the lab on \`${input.ggufFile}\`. This folder holds the same run for axolotl or TRL.

- \`${TRAIN_FILE}\`: the ${train.length} training rows, in the lab's order (cleaned, split with seed ${s.seed}${input.config.curriculum ? ', stage by stage' : ''}).
- \`${VALIDATION_FILE}\`: ${validation.length} held-out rows.${input.truncated > 0 ? `\n- ${input.truncated} rows are longer than ${s.sequenceLength} tokens; the lab cut them there, and so do the trainers.` : ''}
- Each row is \`{"prompt", "completion"}\`: the prompt is the SFT template filled in, the completion is the
  response with its leading space. The lab trained on BOS + prompt + completion + EOS, the loss on the completion.
- \`axolotl.yaml\`, \`train_trl.py\`: rank ${s.rank}, alpha ${s.alpha}, dropout ${s.dropout}, modules ${s.targetModules.join(', ')},
  learning rate ${s.learningRate} (${s.scheduler}, ${s.warmupSteps} warmup steps), ${s.maxSteps} steps of ${s.microBatch} packed
  row(s) × ${s.accumulation} accumulation, sequence length ${s.sequenceLength}, seed ${s.seed}, on a 4-bit (NF4) base.
- \`lab-run.json\`: the lab's own settings.

## The base model

The lab ran a GGUF file; these trainers need the unquantized Hugging Face model it was made from. Set it once:
\`base_model\` in \`axolotl.yaml\`, and \`BASE_MODEL=<repo>\` for \`train_trl.py\` (now \`${s.baseModel}\`).

## One GPU

    pip install "trl>=0.20" peft bitsandbytes accelerate datasets
    python3 train_trl.py
    # or
    axolotl train axolotl.yaml

## Several GPUs

Each GPU takes ${s.microBatch} row(s) per micro-batch, so N GPUs multiply the batch by N: to keep the lab's global
batch of ${s.microBatch * s.accumulation} rows, divide \`gradient_accumulation_steps\` by N (or keep it and expect a larger batch).

    accelerate launch --num_processes 8 train_trl.py
    axolotl train axolotl.yaml --launcher accelerate -- --num_processes 8

DeepSpeed ZeRO (stage 2 shards the optimizer state and gradients; the 4-bit base stays whole on each GPU):

    accelerate launch --use_deepspeed --zero_stage 2 --num_processes 8 train_trl.py
    axolotl fetch deepspeed_configs && axolotl train axolotl.yaml --deepspeed deepspeed_configs/zero2.json

## Back to the lab

The trained adapter lands in \`${OUTPUT_DIR}/\` as PEFT files (\`adapter_config.json\`, \`adapter_model.safetensors\`).
In the lab, load the same GGUF model, open Adapters → Import and pick both files.
Then evaluate it and the lab's adapter "${input.runName}" in one Evaluate run: the same benchmark, count and seed
draw the same problems for both, so the comparison is problem by problem.
`;
}
