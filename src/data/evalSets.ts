/**
 * Evaluation sets as decontamination sees them: each problem's text with an id a person can look up.
 * Any shard the loader reads can serve (MATH, MATH-500, GSM8K test); only the prompt (the problem) is used,
 * because that is what would leak into training data.
 */
import type { EvalItem } from './decontaminate';
import { rowLabel, type Example, type RowUnit } from './example';

export function evalItems(examples: Iterable<Example>, set: string, unit: RowUnit): EvalItem[] {
  const items: EvalItem[] = [];
  for (const e of examples) items.push({ id: e.id ?? rowLabel(set, unit, e.row), set, text: e.prompt || e.response });
  return items;
}
