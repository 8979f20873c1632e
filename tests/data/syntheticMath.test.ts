import { describe, expect, it } from 'vitest';
import { ContaminationIndex } from '../../src/data/decontaminate';
import { ALL_SKILLS, BASE_SKILLS, DEMO_SKILLS, generateProblems, mathProblemRow, metaMathRow, splitOf } from '../../src/data/syntheticMath';
import { gradeAnswer } from '../../src/eval/grade';
import { extractAnswer } from '../../src/eval/extract';

describe('synthetic math problems (src/data/syntheticMath)', () => {
  const train = generateProblems({ skills: ALL_SKILLS, split: 'train', perSkill: 80, seed: 11 });
  const test = generateProblems({ skills: ALL_SKILLS, split: 'test', perSkill: 12, seed: 12 });

  it('puts every problem in the split its computation hashes to, so train and test share no computation', () => {
    expect(train.every((p) => splitOf(p.computation) === 'train')).toBe(true);
    expect(test.every((p) => splitOf(p.computation) === 'test')).toBe(true);
    const trainComputations = new Set(train.map((p) => p.computation));
    expect(test.filter((p) => trainComputations.has(p.computation))).toEqual([]);
  });

  it('holds out about a tenth of the computations', () => {
    const many = Array.from({ length: 5000 }, (_, i) => `add ${i} ${i % 97}`);
    const held = many.filter((c) => splitOf(c) === 'test').length / many.length;
    expect(held).toBeGreaterThan(0.08);
    expect(held).toBeLessThan(0.12);
  });

  it('never repeats a question within a set, and gives the same set for the same seed', () => {
    const keys = train.map((p) => p.question);
    expect(new Set(keys).size).toBe(keys.length);
    expect(generateProblems({ skills: ALL_SKILLS, split: 'train', perSkill: 80, seed: 11 })).toEqual(train);
    expect(generateProblems({ skills: ALL_SKILLS, split: 'train', perSkill: 80, seed: 12 })).not.toEqual(train);
  });

  it('computes every answer: the worked solution ends on it, and the lab grades it correct in both layouts', () => {
    for (const p of [...train.slice(0, 200), ...test]) {
      const row = metaMathRow(p);
      expect(row.response.endsWith(`The answer is: ${p.answer}`)).toBe(true);
      expect(extractAnswer(row.response)?.text, p.question).toBe(p.answer);
      const math = mathProblemRow(p, 1);
      expect(gradeAnswer(math.answer, math.solution).equal, p.question).toBe(true);
    }
  });

  it('spans levels 1 to 5, word problems only at levels 4 and 5 and only in the demo skills', () => {
    expect(new Set(test.map((p) => p.level))).toEqual(new Set([1, 2, 3, 4, 5]));
    const base = generateProblems({ skills: BASE_SKILLS, split: 'train', perSkill: 50, seed: 3 });
    expect(base.every((p) => p.subject !== 'Word problems' && p.level <= 3)).toBe(true);
    const demo = generateProblems({ skills: DEMO_SKILLS, split: 'train', perSkill: 50, seed: 3 });
    expect(demo.every((p) => p.subject === 'Word problems' && p.level >= 4)).toBe(true);
  });

  it("leaves nothing for the lab's decontamination to remove from the train split, which does catch a planted test problem", () => {
    const heldOut = generateProblems({ skills: DEMO_SKILLS, split: 'test', perSkill: 80, seed: 20240708 });
    const filter = new ContaminationIndex();
    filter.add(heldOut.map((p, i) => ({ id: String(i), set: 'problems.jsonl', text: p.question })));
    const shard = generateProblems({ skills: DEMO_SKILLS, split: 'train', perSkill: 1000, seed: 20240709 }).map(metaMathRow);
    expect(shard.filter((r) => filter.match({ prompt: r.query, response: r.response }) !== undefined)).toEqual([]);
    const leak = metaMathRow(heldOut[5]);
    expect(filter.match({ prompt: `Please help. ${leak.query}`, response: leak.response })?.item.id).toBe('5');
  });
});
