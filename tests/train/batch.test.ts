import { describe, expect, it } from 'vitest';
import { batchInputs, countTargets } from '../../src/train/batch';
import { packExamples } from '../../src/data/packing';

const example = (tokens: number[], promptLength: number, row: number) => ({
  tokens: Int32Array.from(tokens),
  targets: Uint8Array.from(tokens, (_, i) => (i >= promptLength ? 1 : 0)),
  from: { shard: 's', row },
});

describe('a micro-batch of packed rows', () => {
  // Row: [1 10 11 12] [1 20 21] pad pad; prompts "1 10" and "1" are masked.
  const packed = packExamples([example([1, 10, 11, 12], 2, 0), example([1, 20, 21], 1, 1)], 9, 0);
  const b = batchInputs(packed.rows, 2, 9);

  it('labels each position with the next token only where that token is a target of the same sequence', () => {
    expect(Array.from(b.labels.subarray(0, 9))).toEqual([-1, 11, 12, -1, 20, 21, -1, -1, -1]);
    expect(countTargets(b)).toBe(4);
  });

  it('restarts positions and attention at each packed sequence; padding is a sequence of its own', () => {
    expect(Array.from(b.positions.subarray(0, 9))).toEqual([0, 1, 2, 3, 0, 1, 2, 0, 1]);
    expect(Array.from(b.segStart.subarray(0, 9))).toEqual([0, 0, 0, 0, 4, 4, 4, 7, 7]);
  });

  it('fills missing rows with fully masked padding', () => {
    expect(Array.from(b.labels.subarray(9))).toEqual(new Array(9).fill(-1));
    expect(Array.from(b.positions.subarray(9))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
  });
});
