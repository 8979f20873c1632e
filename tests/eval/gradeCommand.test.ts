import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main';
import { sharedData } from '../sharedData';

async function grade(...argv: string[]) {
  let out = '';
  let err = '';
  const code = await main(['grade', ...argv], { out: (t) => (out += t), err: (t) => (err += t) });
  return { code, out, err };
}

describe('lora-lab grade', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lora-lab-grade-'));
  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes every row back with verdict and reason, and ends with the agreement on labelled rows', async () => {
    const pairs = file(
      'pairs.jsonl',
      [
        { id: 'a', gold: '\\frac{3}{4}', pred: 'So the answer is $\\boxed{0.75}$.', equal: true },
        { id: 'b', gold: '[0,1)', pred: '(0,1)', equal: true },
        { id: 'c', gold: '#### 18', pred: 'She makes $18 a day.', mode: 'gsm8k' },
      ]
        .map((r) => JSON.stringify(r))
        .join('\n') + '\n',
    );
    const { code, out } = await grade(pairs);
    expect(code).toBe(0);
    const lines = out.trim().split('\n');
    expect(lines).toHaveLength(4);
    const rows = lines.slice(0, 3).map((l) => JSON.parse(l));
    expect(rows.map((r) => [r.id, r.verdict])).toEqual([
      ['a', true],
      ['b', false],
      ['c', true],
    ]);
    expect(rows[0].reason).toMatch(/^number-exact: /);
    expect(rows[1].reason).toMatch(/^brackets: /);
    expect(lines[3]).toBe('agree 1/2');
  });

  it('prints no agreement line when no row has a label', async () => {
    const { out } = await grade(file('unlabelled.jsonl', '{"gold":"2","pred":"2"}\n'));
    expect(out.trim().split('\n')).toHaveLength(1);
  });

  it('grades the real dev pairs and reports the agreement as its last line', async () => {
    const { code, out } = await grade(sharedData('equiv', 'dev_pairs.jsonl'));
    expect(code).toBe(0);
    expect(out.trim().split('\n').at(-1)).toMatch(/^agree \d+\/282$/);
  });

  it('names the file and line of a broken row, in one line', async () => {
    const path = file('broken.jsonl', '{"gold":"1","pred":"1"}\n{"gold": "2", "pred": \n');
    const { code, err } = await grade(path);
    expect(code).toBe(1);
    expect(err).toMatch(new RegExp(`^lora-lab grade: ${path}:2: not valid JSON`));
    expect(err.trim().split('\n')).toHaveLength(1);
  });

  it('names a missing field and a bad mode', async () => {
    const missing = await grade(file('missing.jsonl', '{"gold":"1"}\n'));
    expect(missing.err).toMatch(/missing\.jsonl:1: field "pred" is missing/);
    const badMode = await grade(file('mode.jsonl', '{"gold":"1","pred":"1","mode":"aime"}\n'));
    expect(badMode.err).toMatch(/mode\.jsonl:1: field "mode" is "aime"/);
  });

  it('reports an unreadable file and usage errors', async () => {
    const gone = await grade(join(dir, 'nope.jsonl'));
    expect(gone.code).toBe(1);
    expect(gone.err).toMatch(/nope\.jsonl: cannot read the file \(ENOENT\)/);
    expect((await grade()).code).toBe(2);
    expect((await grade(file('x.jsonl', '{"gold":"1","pred":"1"}'), '--mode', 'aime')).err).toMatch(/--mode: "aime"/);
  });
});
