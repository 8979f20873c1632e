/**
 * Curriculum stages, as Skywork-Math trained: a "normal" stage, then a "hard" stage (MATH levels 4-5 seeded
 * its hard problems). A rule picks each example's stage by level, by source, or from a field the loader
 * mapped into `stage`; `stageOrder` then lists the examples stage by stage.
 */
import type { Example } from './example';

export type StageRule =
  | { by: 'level'; hardFromLevel: number }
  | { by: 'source'; hardSources: string[] }
  /** Keep the stage a field mapping set (e.g. `stage: 'difficulty'`), with a fallback for rows without one. */
  | { by: 'field'; fallback: string };

export const NORMAL = 'normal';
export const HARD = 'hard';

export function stageOf(example: Example, rule: StageRule): string {
  switch (rule.by) {
    case 'level':
      return example.level !== undefined && example.level >= rule.hardFromLevel ? HARD : NORMAL;
    case 'source':
      return example.source !== undefined && rule.hardSources.includes(example.source) ? HARD : NORMAL;
    case 'field':
      return example.stage ?? rule.fallback;
  }
}

/** Copies of the examples with `stage` set by the rule. */
export function tagStages(examples: readonly Example[], rule: StageRule): Example[] {
  return examples.map((e) => ({ ...e, stage: stageOf(e, rule) }));
}

/** Examples grouped by stage in the order given; stages not listed come last, in first-seen order. */
export function stageOrder(examples: readonly Example[], stages: readonly string[] = [NORMAL, HARD]): Map<string, Example[]> {
  const groups = new Map<string, Example[]>(stages.map((s) => [s, []]));
  for (const e of examples) {
    const stage = e.stage ?? NORMAL;
    const group = groups.get(stage);
    if (group) group.push(e);
    else groups.set(stage, [e]);
  }
  return groups;
}
