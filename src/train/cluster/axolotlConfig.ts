/**
 * The run as an axolotl config (keys from axolotl's config reference): QLoRA on a 4-bit base, the lab's
 * prompt/completion rows read as they are (format "{instruction}" adds nothing), loss on the completion only,
 * the held-out rows as `test_datasets`, and the data order kept (the lab's split and shuffle are already applied).
 */
import { OUTPUT_DIR, TRAIN_FILE, VALIDATION_FILE, type ClusterSettings } from './clusterSettings';

function dataset(path: string): string[] {
  return [
    `  - path: ${path}`,
    '    ds_type: json',
    '    split: train',
    '    type:',
    '      field_instruction: prompt',
    '      field_output: completion',
    '      format: "{instruction}"',
    '      no_input_format: "{instruction}"',
  ];
}

export function axolotlYaml(s: ClusterSettings): string {
  const lines = [
    `base_model: ${JSON.stringify(s.baseModel)}`,
    'load_in_4bit: true',
    'adapter: qlora',
    `lora_r: ${s.rank}`,
    `lora_alpha: ${s.alpha}`,
    `lora_dropout: ${s.dropout}`,
    'lora_target_modules:',
    ...s.targetModules.map((m) => `  - ${m}`),
    '',
    'datasets:',
    ...dataset(TRAIN_FILE),
    ...(s.hasValidation ? ['test_datasets:', ...dataset(VALIDATION_FILE)] : ['val_set_size: 0']),
    'shuffle_merged_datasets: false',
    'train_on_inputs: false',
    '',
    `sequence_len: ${s.sequenceLength}`,
    'sample_packing: true',
    'pad_to_sequence_len: true',
    `micro_batch_size: ${s.microBatch}`,
    `gradient_accumulation_steps: ${s.accumulation}`,
    `max_steps: ${s.maxSteps}`,
    '',
    'optimizer: adamw_torch',
    `learning_rate: ${s.learningRate}`,
    `lr_scheduler: ${s.scheduler === 'cosine_with_min_lr' ? 'cosine' : s.scheduler}`,
    ...(s.scheduler === 'cosine_with_min_lr' ? [`cosine_min_lr_ratio: ${s.minLrRatio}`] : []),
    `warmup_steps: ${s.warmupSteps}`,
    `weight_decay: ${s.weightDecay}`,
    `adam_beta1: ${s.beta1}`,
    `adam_beta2: ${s.beta2}`,
    `adam_epsilon: ${s.epsilon}`,
    `max_grad_norm: ${s.maxGradNorm}`,
    `seed: ${s.seed}`,
    '',
    'bf16: auto',
    'gradient_checkpointing: true',
    'flash_attention: true',
    ...(s.hasValidation && s.evalSteps > 0 ? [`eval_steps: ${s.evalSteps}`] : []),
    'logging_steps: 1',
    `output_dir: ./${OUTPUT_DIR}`,
  ];
  return lines.join('\n') + '\n';
}
