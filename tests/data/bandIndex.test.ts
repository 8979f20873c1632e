import { describe, expect, it } from 'vitest';
import { BandIndex } from '../../src/data/bandIndex';
import { seededRandom } from '../../src/util/random';

describe('BandIndex', () => {
  it('returns every row sharing a band key, as a Map of buckets per band would, and few others, across table growth', () => {
    const seed = 20250101;
    console.log(`BandIndex random test seed ${seed}`);
    const next = seededRandom(seed);
    const bands = 16;
    const keys: number[][] = [];
    const index = new BandIndex(bands, (first, count) => Uint32Array.from(keys.slice(first, first + count).flat()));
    const reference = Array.from({ length: bands }, () => new Map<number, number[]>());
    // Few distinct keys in some bands (many shared buckets), 32-bit keys in others (mostly singletons).
    const keyOf = (band: number) => (band % 2 === 0 ? Math.floor(next() * 50) : Math.floor(next() * 2 ** 32));
    const rows = 5000;
    for (let id = 0; id < rows; id++) {
      const bandKeys = Array.from({ length: bands }, (_, band) => keyOf(band));
      keys.push(bandKeys);
      index.add(id, bandKeys);
      bandKeys.forEach((key, band) => reference[band].set(key, [...(reference[band].get(key) ?? []), id]));
    }
    for (const probe of [0, 1, 777, 4999]) {
      const found: number[] = [];
      index.candidates(keys[probe], (id) => found.push(id));
      const expected = new Set(keys[probe].flatMap((key, band) => reference[band].get(key)!));
      const others = found.filter((id) => !expected.has(id));
      expect(new Set(found.filter((id) => expected.has(id)))).toEqual(expected);
      // Buckets share chains; 8 bits of each key's hash let about 1 in 256 of another key's rows through.
      expect(others.length).toBeLessThan(found.length / 20 + 3);
    }
    index.truncate(777);
    const kept: number[] = [];
    index.candidates(keys[4999], (id) => kept.push(id));
    expect(kept.every((id) => id < 777)).toBe(true);
    index.add(777, keys[777]);
    expect(() => index.add(779, keys[779])).toThrow(/expected row 778/);
    const nothing: number[] = [];
    index.candidates(
      Array.from({ length: bands }, (_, band) => (band % 2 === 0 ? 1000 + band : 7)),
      (id) => nothing.push(id),
    );
    expect(nothing.length).toBeLessThan(3); // keys no row has: only another key's rows let through by chance
  });

  it('refuses a band count its table cannot name', () => {
    const none = () => new Uint32Array(0);
    expect(() => new BandIndex(0, none)).toThrow(RangeError);
    expect(() => new BandIndex(256, none)).toThrow(RangeError);
  });
});
