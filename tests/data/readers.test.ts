import { describe, expect, it } from 'vitest';
import { jsonArray } from '../../src/data/readers/jsonArray';
import { jsonLines } from '../../src/data/readers/jsonLines';
import type { RawRecord } from '../../src/data/readers/record';
import { seededRandom } from '../../src/util/random';

const LIMITS = { maxRowBytes: 1 << 20 };
const values = [
  { s: 'a "quoted" string with \\ backslash, [brackets] and {braces}', n: 1 },
  { nested: { list: [1, [2, [3]], { deep: ']' }] }, unicode: 'héllo — ∑ 🎉' },
  'a bare string, with a comma',
  12.5,
  null,
  { escaped: '\\"', tail: '\\' },
];

/** Splits bytes at random points (1..7 bytes apart) so every token boundary lands across chunks somewhere. */
async function* randomChunks(bytes: Uint8Array, seed: number): AsyncGenerator<Uint8Array> {
  const next = seededRandom(seed);
  for (let at = 0; at < bytes.length;) {
    const size = 1 + Math.floor(next() * 7);
    yield bytes.slice(at, at + size);
    at += size;
  }
}

async function collect(batches: AsyncIterable<RawRecord[]>): Promise<RawRecord[]> {
  const out: RawRecord[] = [];
  for await (const batch of batches) out.push(...batch);
  return out;
}

describe('streaming readers give the same rows however the bytes are chunked', () => {
  for (const seed of [1, 2, 3]) {
    it(`a JSON array split at random points yields each element with its index (seed ${seed})`, async () => {
      const bytes = new TextEncoder().encode(` [\n ${values.map((v) => JSON.stringify(v)).join(' ,\n  ')} ]\n`);
      const records = await collect(jsonArray(randomChunks(bytes, seed), LIMITS));
      expect(records).toEqual(values.map((value, row) => ({ row, value })));
    });

    it(`JSON Lines split at random points, with CRLF endings, yields each line with its number (seed ${seed})`, async () => {
      const bytes = new TextEncoder().encode(values.map((v) => JSON.stringify(v)).join('\r\n') + '\r\n');
      const records = await collect(jsonLines(randomChunks(bytes, seed), LIMITS));
      expect(records).toEqual(values.map((value, i) => ({ row: i + 1, value })));
    });
  }

  it('an empty JSON array yields no rows and no errors', async () => {
    const records = await collect(jsonArray(randomChunks(new TextEncoder().encode('[ ]'), 1), LIMITS));
    expect(records).toEqual([]);
  });

  it('text after the closing bracket is reported once', async () => {
    const records = await collect(jsonArray(randomChunks(new TextEncoder().encode('[1] junk more'), 1), LIMITS));
    expect(records).toEqual([
      { row: 0, value: 1 },
      { row: 1, error: 'text after the closing "]" of the array was ignored' },
    ]);
  });
});
