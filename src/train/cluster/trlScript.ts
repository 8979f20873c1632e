/**
 * The run as a TRL script: SFTTrainer with peft's LoraConfig on a 4-bit (bitsandbytes NF4) base, the lab's
 * prompt/completion rows with the loss on the completion, packing to the run's sequence length.
 * Launched by `python3 train_trl.py` or `accelerate launch train_trl.py` (the README gives both).
 */
import { OUTPUT_DIR, TRAIN_FILE, VALIDATION_FILE, type ClusterSettings } from './clusterSettings';

const py = (value: string | number | boolean): string =>
  typeof value === 'boolean' ? (value ? 'True' : 'False') : typeof value === 'string' ? JSON.stringify(value) : String(value);

export function trlScript(s: ClusterSettings): string {
  const files = s.hasValidation ? `{"train": ${py(TRAIN_FILE)}, "validation": ${py(VALIDATION_FILE)}}` : `{"train": ${py(TRAIN_FILE)}}`;
  const schedulerKwargs = s.scheduler === 'cosine_with_min_lr' ? `{"min_lr_rate": ${s.minLrRatio}}` : '{}';
  return `"""Trains the Lora Lab run's adapter with TRL on one or many GPUs (see README.md)."""
import os

import torch
from datasets import load_dataset
from peft import LoraConfig
from transformers import AutoModelForCausalLM, AutoTokenizer, BitsAndBytesConfig
from trl import SFTConfig, SFTTrainer

BASE_MODEL = os.environ.get("BASE_MODEL", ${py(s.baseModel)})

data = load_dataset("json", data_files=${files})

tokenizer = AutoTokenizer.from_pretrained(BASE_MODEL)
if tokenizer.pad_token is None:
    tokenizer.pad_token = tokenizer.eos_token

model = AutoModelForCausalLM.from_pretrained(
    BASE_MODEL,
    quantization_config=BitsAndBytesConfig(
        load_in_4bit=True,
        bnb_4bit_quant_type="nf4",
        bnb_4bit_compute_dtype=torch.bfloat16,
        bnb_4bit_use_double_quant=True,
    ),
    torch_dtype=torch.bfloat16,
    device_map={"": int(os.environ.get("LOCAL_RANK", 0))},
)

lora = LoraConfig(
    r=${s.rank},
    lora_alpha=${s.alpha},
    lora_dropout=${s.dropout},
    target_modules=${JSON.stringify(s.targetModules)},
    bias="none",
    task_type="CAUSAL_LM",
)

args = SFTConfig(
    output_dir=${py(OUTPUT_DIR)},
    max_steps=${s.maxSteps},
    per_device_train_batch_size=${s.microBatch},
    gradient_accumulation_steps=${s.accumulation},
    max_length=${s.sequenceLength},
    packing=True,
    completion_only_loss=True,
    learning_rate=${s.learningRate},
    lr_scheduler_type=${py(s.scheduler)},
    lr_scheduler_kwargs=${schedulerKwargs},
    warmup_steps=${s.warmupSteps},
    optim="adamw_torch",
    weight_decay=${s.weightDecay},
    adam_beta1=${s.beta1},
    adam_beta2=${s.beta2},
    adam_epsilon=${s.epsilon},
    max_grad_norm=${s.maxGradNorm},
    seed=${s.seed},
    data_seed=${s.seed},
    bf16=True,
    gradient_checkpointing=True,
    eval_strategy=${py(s.hasValidation && s.evalSteps > 0 ? 'steps' : 'no')},
    eval_steps=${s.evalSteps > 0 ? s.evalSteps : 'None'},
    logging_steps=1,
    save_strategy="steps",
    save_steps=${Math.max(1, Math.floor(s.maxSteps / 10))},
)

trainer = SFTTrainer(
    model=model,
    args=args,
    train_dataset=data["train"],
    eval_dataset=data.get("validation"),
    processing_class=tokenizer,
    peft_config=lora,
)
trainer.train()
trainer.save_model(${py(OUTPUT_DIR)})
`;
}
