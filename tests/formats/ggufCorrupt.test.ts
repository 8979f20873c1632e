import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { sharedData } from '../sharedData';
import { readGguf, type ReadGgufOptions } from '../../src/formats/gguf';
import { LabError } from '../../src/errors';
import { RawGguf } from './ggufBytes';

/** Reads `blob` expecting a LabError whose message matches `pattern`. */
async function refused(blob: Blob, pattern: RegExp, options: ReadGgufOptions = {}): Promise<void> {
  const error = await readGguf(blob, { name: 'bad.gguf', ...options }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(LabError);
  expect((error as Error).message).toMatch(/^bad\.gguf/);
  expect((error as Error).message).toMatch(pattern);
}

/** One F32 tensor "w" of `dims`, with enough zeroed data after the header. */
function oneTensor(dims: (number | bigint)[], typeId = 0, offset: number | bigint = 0, dataBytes = 64): Blob {
  return new RawGguf().header(1, 0).tensor('w', dims, typeId, offset).padTo(32).zeros(dataBytes).blob();
}

describe('readGguf refuses malformed headers with an error naming the field', () => {
  it('wrong magic', () => refused(new RawGguf().u32(0x46554746).u32(3).u64(0).u64(0).blob(), /not a GGUF file: magic/));
  it('version 1', () => refused(new RawGguf().header(0, 0, 1).blob(), /version 1 is not supported/));
  it('unknown version', () => refused(new RawGguf().header(0, 0, 7).blob(), /unsupported GGUF version 7/));
  it('big-endian file', () => refused(new RawGguf().header(0, 0, 0x03000000).blob(), /big-endian/));
  it('absurd tensor count', () => refused(new RawGguf().header(1n << 40n, 0).blob(), /tensor count is 1099511627776/));
  it("tensor count above the caller's limit", () =>
    refused(new RawGguf().header(3, 0).zeros(400).blob(), /tensor count is 3, more than/, { maxTensorCount: 2 }));
  it('absurd metadata count', () => refused(new RawGguf().header(0, 1n << 50n).blob(), /metadata count/));
  it('key length past the end', () =>
    refused(new RawGguf().header(0, 1).u64(1000).u8(65).blob(), /length of key of metadata entry 0 is 1000/));
  it('string value past the end', () =>
    refused(
      new RawGguf()
        .header(0, 1)
        .str('general.name')
        .u32(8)
        .u64(1n << 33n)
        .blob(),
      /metadata "general.name"/,
    ));
  it('unknown value type', () => refused(new RawGguf().header(0, 1).str('k').u32(13).u32(0).blob(), /metadata "k": unknown value type 13/));
  it('unknown array element type', () =>
    refused(new RawGguf().header(0, 1).str('k').u32(9).u32(42).u64(1).blob(), /unknown array element type 42/));
  it('array length larger than the file', () =>
    refused(
      new RawGguf()
        .header(0, 1)
        .str('tokenizer.ggml.scores')
        .u32(9)
        .u32(6)
        .u64(1n << 40n)
        .blob(),
      /metadata "tokenizer.ggml.scores" array length is 1099511627776/,
    ));
  it("array length above the caller's limit", () =>
    refused(new RawGguf().header(0, 1).str('a').u32(9).u32(0).u64(10).zeros(10).blob(), /array length is 10/, { maxArrayLength: 5 }));
  it('arrays nested too deep', () => {
    const raw = new RawGguf().header(0, 1).str('deep').u32(9);
    for (let i = 0; i < 10; i++) raw.u32(9).u64(1);
    return refused(raw.u32(0).u64(0).blob(), /nested deeper/);
  });
  it('duplicate metadata key', () => refused(new RawGguf().header(0, 2).kvU32('a', 1).kvU32('a', 2).blob(), /duplicate metadata key "a"/));
  it('alignment that is not a power of two', () =>
    refused(new RawGguf().header(0, 1).kvU32('general.alignment', 24).blob(), /general.alignment must be a u32 power of two/));
  it('unknown ggml type id', () => refused(oneTensor([32], 99), /tensor "w" has unknown ggml type id 99/));
  it('removed ggml type id 4', () => refused(oneTensor([32], 4), /tensor "w" has unknown ggml type id 4/));
  it('a type the caller does not support, naming the tensor', () =>
    refused(oneTensor([32], 3), /tensor "w" is Q4_1, which is not supported/, { supportedTypes: ['F32', 'Q4_0'] }));
  it('five dimensions', () => refused(oneTensor([1, 1, 1, 1, 1]), /tensor "w" has 5 dimensions/));
  it('zero dimensions', () => refused(oneTensor([]), /tensor "w" has 0 dimensions/));
  it('a zero-sized dimension', () => refused(oneTensor([4, 0]), /tensor "w" dimension 1 is 0/));
  it('a shape whose element count overflows', () =>
    refused(oneTensor([1n << 40n, 1n << 40n]), /tensor "w" shape .* more elements than the file could hold/));
  it('row length not a whole number of blocks', () =>
    refused(oneTensor([33], 2), /tensor "w" row length 33 is not a multiple of the Q4_0 block size 32/));
  it('data offset not aligned', () => refused(oneTensor([4], 0, 8), /tensor "w" data offset 8 is not a multiple of the alignment 32/));
  it('data offset past the end', () => refused(oneTensor([4], 0, 1n << 45n), /tensor "w" data offset 35184372088832 is past the end/));
  it('data running past the end', () => refused(oneTensor([64], 0, 0, 100), /tensor "w" data .* runs past the end of the file/));
  it('overlapping tensors', () =>
    refused(
      new RawGguf().header(2, 0).tensor('a', [16], 0, 0).tensor('b', [16], 0, 32).padTo(32).zeros(128).blob(),
      /tensor "b" data overlaps tensor "a"/,
    ));
  it('duplicate tensor names', () =>
    refused(
      new RawGguf().header(2, 0).tensor('a', [8], 0, 0).tensor('a', [8], 0, 32).padTo(32).zeros(64).blob(),
      /duplicate tensor name "a"/,
    ));
});

describe('readGguf on valid hand-built headers', () => {
  it('reads version 2 files (same layout as version 3)', async () => {
    const file = await readGguf(
      new RawGguf().header(1, 1, 2).kvString('general.architecture', 'llama').tensor('w', [32], 8, 0).padTo(32).zeros(34).blob(),
    );
    expect(file.version).toBe(2);
    expect(file.tensors[0]).toMatchObject({ name: 'w', dims: [32], byteLength: 34 });
    expect(file.tensors[0].type.name).toBe('Q8_0');
  });

  it('reads nested arrays, bools, 64-bit integers and a custom alignment', async () => {
    const raw = new RawGguf()
      .header(1, 4)
      .kvU32('general.alignment', 64)
      .str('nested')
      .u32(9)
      .u32(9)
      .u64(2)
      .u32(4)
      .u64(1)
      .u32(7)
      .u32(8)
      .u64(2)
      .str('x')
      .str('')
      .str('flags')
      .u32(9)
      .u32(7)
      .u64(2)
      .u8(1)
      .u8(0)
      .str('big')
      .u32(10)
      .u64(1n << 60n)
      .tensor('w', [16, 2], 0, 0);
    raw.padTo(64).zeros(128);
    const file = await readGguf(raw.blob());
    expect(file.alignment).toBe(64);
    expect(file.dataOffset % 64).toBe(0);
    expect(file.metadata.get('nested')).toEqual([new Uint32Array([7]), ['x', '']]);
    expect(file.metadata.get('flags')).toEqual([true, false]);
    expect(file.metadata.get('big')).toBe(1n << 60n);
    expect(file.tensors[0]).toMatchObject({ name: 'w', dims: [16, 2], offset: file.dataOffset, byteLength: 128 });
  });
});

describe('readGguf on truncated copies of stories260K', () => {
  const bytes = readFileSync(sharedData('tiny-models', 'stories260K.gguf'));
  const dataOffset = 14176;
  const cuts: number[] = [];
  for (let cut = 0; cut < dataOffset; cut += 47) cuts.push(cut);
  cuts.push(dataOffset - 1, dataOffset, dataOffset + 1, bytes.length - 1);

  it(`refuses every one of ${cuts.length} cuts with a LabError`, async () => {
    for (const cut of cuts) {
      const error = await readGguf(new Blob([bytes.subarray(0, cut)]), { name: 'bad.gguf' }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error, `cut at ${cut}`).toBeInstanceOf(LabError);
      const message = (error as Error).message;
      if (cut < dataOffset - 32)
        expect(message, `cut at ${cut}`).toMatch(/file ends at byte \d+ while reading|is \d+, more than|past the end/);
      else expect(message, `cut at ${cut}`).toMatch(/past the end of the file/);
    }
  });
});
