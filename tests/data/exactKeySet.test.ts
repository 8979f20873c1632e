import { describe, expect, it } from 'vitest';
import { ExactKeySet } from '../../src/data/exactKeySet';
import { hash53 } from '../../src/data/textKeys';

describe('ExactKeySet', () => {
  it('finds the first id stored under each 53-bit key, as a Map would, across table growth', () => {
    const set = new ExactKeySet();
    const reference = new Map<number, number>();
    // Keys that share their low 32 bits or their high bits, to catch a slot compared on half a key.
    const keys = Array.from({ length: 20_000 }, (_, i) => (i % 3 === 0 ? 2 ** 40 + i : i % 3 === 1 ? i * 2 ** 32 + 7 : hash53(`row ${i}`)));
    keys.forEach((key, id) => {
      set.add(key, id);
      if (!reference.has(key)) reference.set(key, id);
    });
    set.add(keys[5], 99_999);
    expect(set.size).toBe(reference.size);
    for (const [key, id] of reference) expect(set.get(key)).toBe(id);
    expect(set.get(hash53('never added'))).toBeUndefined();
  });

  it('forgets the keys of the ids it is truncated to drop', () => {
    const set = new ExactKeySet();
    for (let id = 0; id < 3000; id++) set.add(hash53(`k${id}`), id);
    set.truncate(1000);
    expect(set.size).toBe(1000);
    expect(set.get(hash53('k999'))).toBe(999);
    expect(set.get(hash53('k1000'))).toBeUndefined();
    set.add(hash53('k1000'), 1000);
    expect(set.get(hash53('k1000'))).toBe(1000);
  });
});
