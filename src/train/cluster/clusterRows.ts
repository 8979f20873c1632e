/**
 * Training rows as the multi-GPU trainers read them: one JSON object per line with `prompt` and `completion`
 * (TRL's prompt-completion format; axolotl reads the same fields through a custom format). The lab trains on
 * BOS + encode(prompt + completion) + EOS with the loss on the completion, so the prompt is the SFT template
 * already filled in and the completion starts with the space the lab puts between them. Text rows (continued
 * pretraining) have an empty prompt and train on every token.
 */
import type { Example } from '../../data/example';
import { sftTrainPrompt } from '../../data/sftTemplate';

export interface ClusterRow {
  prompt: string;
  completion: string;
}

export function clusterRow(example: Example): ClusterRow {
  return example.kind === 'sft'
    ? { prompt: sftTrainPrompt(example.prompt), completion: ` ${example.response}` }
    : { prompt: '', completion: example.response };
}

/** The rows as JSON Lines, built in parts so a large split is never one string. */
export function clusterRowsJsonl(examples: readonly Example[]): Blob {
  const parts: string[] = [];
  for (const e of examples) parts.push(JSON.stringify(clusterRow(e)) + '\n');
  return new Blob(parts, { type: 'application/jsonl' });
}
