import { describe, expect, it } from 'vitest';
import { BandIndex } from '../../src/data/bandIndex';
import { seededRandom } from '../../src/util/random';

describe('BandIndex', () => {
  it('returns exactly the rows sharing a band key, as a Map of buckets per band would, across table growth', () => {
    const seed = 20250101;
    console.log(`BandIndex random test seed ${seed}`);
    const next = seededRandom(seed);
    const bands = 16;
    const index = new BandIndex(bands);
    const reference = Array.from({ length: bands }, () => new Map<number, number[]>());
    // Few distinct keys in some bands (many shared buckets), 32-bit keys in others (mostly singletons).
    const keyOf = (band: number) => (band % 2 === 0 ? Math.floor(next() * 50) : Math.floor(next() * 2 ** 32));
    const rows = 5000;
    const keys: number[][] = [];
    for (let id = 0; id < rows; id++) {
      const bandKeys = Array.from({ length: bands }, (_, band) => keyOf(band));
      keys.push(bandKeys);
      index.add(id, bandKeys);
      bandKeys.forEach((key, band) => reference[band].set(key, [...(reference[band].get(key) ?? []), id]));
    }
    for (const probe of [0, 1, 777, 4999]) {
      const found: number[] = [];
      index.candidates(keys[probe], (id) => found.push(id));
      const expected = keys[probe].flatMap((key, band) => reference[band].get(key)!);
      expect(found.sort((a, b) => a - b)).toEqual(expected.sort((a, b) => a - b));
    }
    const nothing: number[] = [];
    index.candidates(
      Array.from({ length: bands }, (_, band) => (band % 2 === 0 ? 1000 + band : 7)),
      (id) => nothing.push(id),
    );
    expect(nothing).toEqual([]); // keys no row has
  });

  it('refuses a band count its table cannot name', () => {
    expect(() => new BandIndex(0)).toThrow(RangeError);
    expect(() => new BandIndex(256)).toThrow(RangeError);
  });
});
