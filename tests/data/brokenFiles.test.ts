import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { LabError } from '../../src/errors';
import { loadShard } from '../../src/data/shard';
import { blobOf, jsonl } from './files';
import { parquetFile } from './parquetEncoder';

const good = (i: number) => ({ question: `What is ${i} + ${i}?`, answer: `${i} + ${i} = ${2 * i}\n#### ${2 * i}` });

function concatBytes(...parts: (string | Uint8Array)[]): Uint8Array {
  const bytes = parts.map((p) => (typeof p === 'string' ? new TextEncoder().encode(p) : p));
  const out = new Uint8Array(bytes.reduce((n, b) => n + b.length, 0));
  let at = 0;
  for (const b of bytes) {
    out.set(b, at);
    at += b.length;
  }
  return out;
}

async function loadError(blob: Blob, name: string): Promise<LabError> {
  const error = await loadShard(blob, name).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(LabError);
  return error as LabError;
}

describe('bad rows are counted and listed; the good rows around them load', () => {
  it('a truncated JSON Lines file keeps every complete line and names the cut one', async () => {
    const text = jsonl([good(1), good(2), good(3)]);
    const shard = await loadShard(blobOf(text.slice(0, text.length - 20)), 'cut.jsonl');
    expect(shard.rowsLoaded).toBe(2);
    expect(shard.bad).toHaveLength(1);
    expect(shard.bad[0].row).toBe(3);
    expect(shard.bad[0].reason).toMatch(/broken JSON.*ends in the middle of this line/);
  });

  it('a mixed file reports each kind of bad row with its line number and reason', async () => {
    const bytes = concatBytes(
      JSON.stringify(good(1)) + '\n', // line 1
      '{"question": "What is 2?", "answer": \n', // line 2: broken JSON
      JSON.stringify({ question: 'Where is the answer?' }) + '\n', // line 3: missing field
      JSON.stringify({ question: 'Empty?', answer: '   ' }) + '\n', // line 4: empty response
      '{"question": "bad bytes", "answer": "#### 1"}\n', // line 5: gets a stray byte below
      '\n', // line 6: blank, skipped silently
      JSON.stringify({ question: 'Long?', answer: 'x'.repeat(200_001) }) + '\n', // line 7: absurd length
      '[1, 2, 3]\n', // line 8: not an object
      JSON.stringify({ question: 42, answer: '#### 42' }) + '\n', // line 9: a number is usable text
      JSON.stringify({ question: ['a list'], answer: '#### 1' }) + '\n', // line 10: not text
      JSON.stringify(good(11)) + '\n', // line 11
    );
    // Make line 5 invalid UTF-8: a lone continuation byte inside the question.
    const line5 = new TextEncoder().encode('{"question": "bad ');
    const at = indexOfBytes(bytes, line5) + line5.length;
    const withBadByte = concatBytes(bytes.subarray(0, at), new Uint8Array([0x80]), bytes.subarray(at));
    const shard = await loadShard(blobOf(withBadByte), 'mixed.jsonl');
    expect(shard.bad.map((b) => [b.row, b.reason.replace(/ \(.*\)$/, '')])).toEqual([
      [2, 'broken JSON'],
      [3, 'missing field "answer"'],
      [4, 'empty response'],
      [5, 'invalid UTF-8'],
      [7, 'too long: 200006 characters'],
      [8, 'not a JSON object'],
      [10, 'field "question" is not text'],
    ]);
    expect(shard.badCount).toBe(7);
    expect(shard.examples.map((e) => e.row)).toEqual([1, 9, 11]);
  });

  it('a line longer than the byte limit is rejected without being held whole', async () => {
    const text = jsonl([good(1), { question: 'q', answer: 'y'.repeat(5000) }, good(3)]);
    const shard = await loadShard(blobOf(text), 'long.jsonl', { maxRowBytes: 1000 });
    expect(shard.bad).toEqual([{ row: 2, reason: 'line longer than 1000 bytes' }]);
    expect(shard.rowsLoaded).toBe(2);
  });

  it('a truncated JSON array keeps the complete elements and names the unfinished one', async () => {
    const text = JSON.stringify([good(0), good(1), good(2)]);
    const shard = await loadShard(blobOf(text.slice(0, text.length - 15)), 'cut.json');
    expect(shard.rowsLoaded).toBe(2);
    expect(shard.bad).toEqual([{ row: 2, reason: 'the file ends inside this row (truncated?): the array is not closed' }]);
  });

  it('a JSON array element that is balanced but invalid is one bad row', async () => {
    const text = `[${JSON.stringify(good(0))}, {"question": "x", "answer": tru}, ${JSON.stringify(good(2))}]`;
    const shard = await loadShard(blobOf(text), 'mixed.json');
    expect(shard.examples.map((e) => e.row)).toEqual([0, 2]);
    expect(shard.bad[0].row).toBe(1);
    expect(shard.bad[0].reason).toMatch(/^broken JSON/);
  });

  it('a truncated gzip file keeps the rows decompressed before the cut', async () => {
    const rows = Array.from({ length: 2000 }, (_, i) => good(i));
    const packed = gzipSync(jsonl(rows));
    const shard = await loadShard(blobOf(packed.subarray(0, Math.floor(packed.length * 0.6))), 'cut.jsonl.gz');
    expect(shard.rowsLoaded).toBeGreaterThan(100);
    expect(shard.rowsLoaded).toBeLessThan(2000);
    expect(shard.examples.every((e, i) => e.row === i + 1)).toBe(true);
    expect(shard.bad[shard.bad.length - 1].reason).toMatch(/compressed data ends early or is damaged/);
  });

  it('a Parquet row with a null field or invalid UTF-8 is a bad row with its row index', async () => {
    const rows = [good(0), { question: null, answer: '#### 1' }, { question: new Uint8Array([0x68, 0xc3]), answer: '#### 2' }, good(3)];
    const bytes = parquetFile(
      [
        { name: 'question', kind: 'string' },
        { name: 'answer', kind: 'string' },
      ],
      rows,
      2,
    );
    const shard = await loadShard(blobOf(bytes), 'gsm.parquet');
    expect(shard.bad).toEqual([
      { row: 1, reason: 'missing field "question"' },
      { row: 2, reason: 'field "question" is not valid UTF-8' },
    ]);
    expect(shard.examples.map((e) => e.row)).toEqual([0, 3]);
  });
});

describe('a file that is not a dataset gets one clear error', () => {
  it('a 0-byte file', async () => {
    expect((await loadError(blobOf(''), 'empty.jsonl')).message).toBe(
      'empty.jsonl: the file is empty (0 bytes) — pick the shard file itself, not a placeholder',
    );
  });

  it('a binary file', async () => {
    const bytes = Uint8Array.from({ length: 2048 }, (_, i) => (i * 37) & 0xff);
    expect((await loadError(blobOf(bytes), 'model.bin')).what).toBe('this is a binary file, not a dataset');
  });

  it('a Parquet file whose columns are no known layout names its columns', async () => {
    const bytes = parquetFile(
      [
        { name: 'id', kind: 'int' },
        { name: 'label', kind: 'string' },
      ],
      [{ id: 1, label: 'cat' }],
    );
    const error = await loadError(blobOf(bytes), 'labels.parquet');
    expect(error.what).toBe('no known dataset layout (fields: id, label)');
    expect(error.hint).toMatch(/prompt=instruction,response=output/);
  });

  it('a Parquet file with a damaged footer', async () => {
    const bytes = parquetFile([{ name: 'text', kind: 'string' }], [{ text: 'hello' }]);
    bytes.fill(0x41, bytes.length - 40, bytes.length - 8);
    expect((await loadError(blobOf(bytes), 'broken.parquet')).what).toMatch(/^not a readable Parquet file/);
  });

  it('a text file that is not JSON at all', async () => {
    const error = await loadError(blobOf('# Notes\n\nThis is a README, not data.\n'), 'README.md');
    expect(error.what).toMatch(/^no row is a JSON object, so this is not a dataset/);
  });

  it('JSON rows with unknown fields list the fields seen', async () => {
    const error = await loadError(
      blobOf(
        jsonl([
          { a: 1, b: 2 },
          { a: 3, c: 4 },
        ]),
      ),
      'odd.jsonl',
    );
    expect(error.what).toBe('no known dataset layout (fields: a, b, c)');
  });
});

function indexOfBytes(haystack: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}
