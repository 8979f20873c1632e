import { describe, expect, it } from 'vitest';
import { parseBudgetGb, storeBudgetGb, storedBudgetGb } from '../../src/ui/gpu/memoryBudget';

describe('the GPU memory budget field', () => {
  it('reads GB as 10^9 bytes, and an empty field as no budget', () => {
    expect(parseBudgetGb('8')).toEqual({ bytes: 8e9 });
    expect(parseBudgetGb(' 0.002 ')).toEqual({ bytes: 2_000_000 });
    expect(parseBudgetGb('')).toEqual({ bytes: null });
  });

  it('refuses text that is not a positive number of GB, quoting it', () => {
    expect(parseBudgetGb('0')).toEqual({ error: '"0" is not a number of GB above 0' });
    expect(parseBudgetGb('-1')).toEqual({ error: '"-1" is not a number of GB above 0' });
    expect(parseBudgetGb('eight')).toEqual({ error: '"eight" is not a number of GB above 0' });
  });

  it('keeps the budget across reloads, and forgets it when the field is emptied', () => {
    const items = new Map<string, string>();
    const storage = {
      getItem: (k: string) => items.get(k) ?? null,
      setItem: (k: string, v: string) => void items.set(k, v),
      removeItem: (k: string) => void items.delete(k),
    };
    storeBudgetGb(' 6 ', storage);
    expect(storedBudgetGb(storage)).toBe('6');
    storeBudgetGb('', storage);
    expect(storedBudgetGb(storage)).toBe('');
  });
});
