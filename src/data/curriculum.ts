/**
 * Curriculum stages, as Skywork-Math trained: a "normal" stage, then a "hard" stage (MATH levels 4-5 seeded
 * its hard problems). A rule picks each example's stage by level, by source, or from a field the loader
 * mapped into `stage`; `stageOrder` then lists the examples stage by stage.
 */
import { LabError } from '../errors';
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

/** Items grouped by their stage in the order given; stages not listed come last, in first-seen order. */
export function groupByStage<T>(
  items: Iterable<T>,
  stageOfItem: (item: T) => string,
  stages: readonly string[] = [NORMAL, HARD],
): Map<string, T[]> {
  const groups = new Map<string, T[]>(stages.map((s) => [s, []]));
  for (const item of items) {
    const stage = stageOfItem(item);
    const group = groups.get(stage);
    if (group) group.push(item);
    else groups.set(stage, [item]);
  }
  return groups;
}

/** The rule in words, for help texts and run summaries. */
export function describeStageRule(rule: StageRule): string {
  switch (rule.by) {
    case 'level':
      return `hard = level ≥ ${rule.hardFromLevel} (MATH "Level N"), everything else normal`;
    case 'source':
      return `hard = source is ${rule.hardSources.join(' or ')}, everything else normal`;
    case 'field':
      return `the stage field the shard mapping set, "${rule.fallback}" where a row has none`;
  }
}

/** Refuses a rule that would put every example in one stage by mistake. */
export function checkStageRule(rule: StageRule): void {
  const where = 'curriculum rule';
  if (rule.by === 'level' && !(Number.isInteger(rule.hardFromLevel) && rule.hardFromLevel >= 1)) {
    throw new LabError(
      `hard-from level ${rule.hardFromLevel} is not a positive integer`,
      where,
      'MATH levels run 1 to 5; 4 makes levels 4-5 hard.',
    );
  }
  if (rule.by === 'source' && rule.hardSources.length === 0)
    throw new LabError('no hard sources listed', where, 'Name the sources whose rows are hard.');
  if (rule.by === 'field' && rule.fallback === '') throw new LabError('the fallback stage is empty', where);
}

/**
 * A rule from its command-line form: "level:4" (level ≥ 4 is hard), "source:A,B" (rows from source A or B are
 * hard) or "field" / "field:STAGE" (the loader's stage field, STAGE — default normal — where absent).
 */
export function parseStageRule(text: string): StageRule {
  const [kind, ...rest] = text.split(':');
  const arg = rest.join(':').trim();
  let rule: StageRule;
  if (kind === 'level') rule = { by: 'level', hardFromLevel: arg === '' ? NaN : Number(arg) };
  else if (kind === 'source')
    rule = {
      by: 'source',
      hardSources: arg
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    };
  else if (kind === 'field') rule = { by: 'field', fallback: rest.length === 0 ? NORMAL : arg };
  else throw new LabError(`"${text}" is not a stage rule`, 'curriculum rule', 'Use level:N, source:A,B or field.');
  checkStageRule(rule);
  return rule;
}
