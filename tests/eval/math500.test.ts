import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { sharedData } from '../sharedData';
import { gradeAnswer } from '../../src/eval/grade';
import { seededRandom } from '../../src/util/random';

interface Math500Row {
  problem: string;
  solution: string;
  answer: string;
  subject: string;
  level: number;
  unique_id: string;
}

const rows: Math500Row[] = readFileSync(sharedData('math500', 'test.jsonl'), 'utf8')
  .trim()
  .split('\n')
  .map((line) => JSON.parse(line) as Math500Row);

/**
 * Every pair of different answer strings in MATH-500 that the grader calls equal, as unordered pairs (spaces
 * removed). Each is a true coincidence: the same value written with a unit, a degree sign, a dollar sign, a
 * thousands separator, a short `\frac14`, a variable name, or a list in another order.
 */
const TRUE_COINCIDENCES = [
  ['90^\\circ', '90'],
  ['120^\\circ', '120'],
  ['30^\\circ', '30'],
  ['36^\\circ', '36'],
  ['36', '\\$36'],
  ['36^\\circ', '\\$36'],
  ['10,\\!080', '10080'],
  ['15\\mbox{cm}^2', '15'],
  ['\\frac14', '\\frac{1}{4}'],
  ['x=5', '5'],
  ['1,-2', '-2,1'],
].map((pair) => [...pair].sort().join(' ~ '));

describe('grader on MATH-500 reference solutions', () => {
  it('grades every reference solution equal to its own answer field', () => {
    const failures = rows.flatMap((row) => {
      const v = gradeAnswer(row.answer, row.solution);
      return v.equal ? [] : [`${row.unique_id}: answer ${row.answer}, extracted ${v.pred?.text} (${v.rule}: ${v.reason})`];
    });
    expect(failures).toEqual([]);
  });

  it('extracts the boxed answer from every solution, keeping its span', () => {
    for (const row of rows) {
      const v = gradeAnswer(row.answer, row.solution);
      expect(v.pred?.method).toBe('boxed');
      expect(row.solution.slice(v.pred!.start, v.pred!.end)).toMatch(/^\\boxed/);
    }
  });

  it('grades each distinct answer against every other as not equal, except the listed true coincidences', () => {
    const answers = [...new Set(rows.map((row) => row.answer.replace(/\s/g, '')))];
    const equalPairs = new Set<string>();
    for (const gold of answers) {
      for (const pred of answers) {
        if (gold !== pred && gradeAnswer(gold, `\\boxed{${pred}}`).equal) equalPairs.add([gold, pred].sort().join(' ~ '));
      }
    }
    expect([...equalPairs].sort()).toEqual([...TRUE_COINCIDENCES].sort());
  });

  it("grades whole solutions against other problems' answers as not equal (seeded shifts), bar coincidences", () => {
    const seed = 7;
    const next = seededRandom(seed);
    const unexpected: string[] = [];
    for (let round = 0; round < 3; round++) {
      const shift = 1 + Math.floor(next() * (rows.length - 1));
      rows.forEach((row, i) => {
        const other = rows[(i + shift) % rows.length];
        if (!gradeAnswer(other.answer, row.solution).equal) return;
        const key = [other.answer.replace(/\s/g, ''), row.answer.replace(/\s/g, '')].sort().join(' ~ ');
        const sameText = other.answer.replace(/\s/g, '') === row.answer.replace(/\s/g, '');
        if (!sameText && !TRUE_COINCIDENCES.includes(key)) unexpected.push(`seed ${seed}, shift ${shift}: ${key}`);
      });
    }
    expect(unexpected).toEqual([]);
  });
});
