import { describe, expect, it } from 'vitest';
import { doublingSizes, parseSizes } from '../../src/ui/scaling/sizes';

describe('parseSizes: the scaling experiment sizes field', () => {
  it('reads sizes separated by commas, spaces or semicolons', () => {
    expect(parseSizes('8, 16 32;64')).toEqual({ sizes: [8, 16, 32, 64] });
    expect(parseSizes('1_000, 2000')).toEqual({ sizes: [1000, 2000] });
  });

  it('refuses an empty field, non-integers, zero and sizes that do not grow, naming the culprit', () => {
    expect(parseSizes('  ')).toEqual({ error: 'Give at least one size, e.g. 8, 16, 32.' });
    expect(parseSizes('8, 1.5')).toEqual({ error: '"1.5" is not a whole number of examples (1 or more).' });
    expect(parseSizes('0')).toEqual({ error: '"0" is not a whole number of examples (1 or more).' });
    expect(parseSizes('16, 8')).toEqual({ error: 'Sizes must grow: 8 comes after 16.' });
    expect(parseSizes('8, 8')).toEqual({ error: 'Sizes must grow: 8 comes after 8.' });
  });
});

describe('doublingSizes', () => {
  it('doubles from the smallest size without passing the largest', () => {
    expect(doublingSizes(1000, 8000)).toEqual([1000, 2000, 4000, 8000]);
    expect(doublingSizes(8, 50)).toEqual([8, 16, 32]);
  });
});
