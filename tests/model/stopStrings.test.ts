import { describe, expect, it } from 'vitest';
import { StopStringFilter } from '../../src/model/stopStrings';

function run(pieces: string[], stops: string[]): { shown: string[]; output: string; stopped: boolean } {
  const filter = new StopStringFilter(stops);
  const shown: string[] = [];
  for (const p of pieces) {
    const out = filter.push(p);
    if (out) shown.push(out);
    if (filter.stopped) break;
  }
  const rest = filter.flush();
  if (rest) shown.push(rest);
  return { shown, output: filter.output, stopped: filter.stopped };
}

describe('stop strings', () => {
  it('passes text through unchanged when there is no stop string', () => {
    expect(run(['Hello', ' world'], [])).toEqual({ shown: ['Hello', ' world'], output: 'Hello world', stopped: false });
  });

  it('ends before a stop string that arrives split over several pieces, showing none of it', () => {
    const r = run(['The answer', ' is 4.\n\n##', '# Instr', 'uction: more'], ['### Instruction']);
    expect(r.output).toBe('The answer is 4.\n\n');
    expect(r.shown.join('')).toBe('The answer is 4.\n\n');
    expect(r.stopped).toBe(true);
  });

  it('holds back a possible start of a stop string and releases it when it turns out not to be one', () => {
    const filter = new StopStringFilter(['</s>']);
    expect(filter.push('a <')).toBe('a ');
    expect(filter.push('b')).toBe('<b');
    expect(filter.stopped).toBe(false);
  });

  it('stops at the earliest of several stop strings', () => {
    expect(run(['x END y STOP'], ['STOP', 'END']).output).toBe('x ');
  });

  it('shows held-back text when the stream ends without a stop', () => {
    expect(run(['value: ', '#'], ['###']).shown.join('')).toBe('value: #');
  });
});
