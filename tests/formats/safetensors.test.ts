import { describe, expect, it } from 'vitest';
import { readSafetensors, readSafetensorsF32, writeSafetensors } from '../../src/formats/safetensors';
import { LabError } from '../../src/errors';
import { randomF32 } from '../../src/util/random';

/** A file assembled by hand from the format description: u64 header length, JSON header, data buffer. */
function handBuilt(header: unknown, data: Uint8Array, headerText = JSON.stringify(header)): Blob {
  const json = new TextEncoder().encode(headerText);
  const length = new Uint8Array(8);
  new DataView(length.buffer).setBigUint64(0, BigInt(json.length), true);
  return new Blob([length, json, data] as Uint8Array<ArrayBuffer>[]);
}

async function refused(blob: Blob, pattern: RegExp): Promise<void> {
  const error = await readSafetensors(blob, { name: 'bad.safetensors' }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(LabError);
  expect((error as Error).message).toMatch(/^bad\.safetensors: /);
  expect((error as Error).message).toMatch(pattern);
}

const f32Bytes = (values: number[]) => new Uint8Array(new Float32Array(values).buffer);

describe('safetensors reader', () => {
  it('reads a hand-built file: dtypes, shapes, absolute offsets, metadata, a zero-size tensor', async () => {
    const data = new Uint8Array([...f32Bytes([1, 2, 3, 4, 5, 6]), 0x00, 0x3c, 0x00, 0xc0, 7]);
    const blob = handBuilt(
      {
        __metadata__: { format: 'pt' },
        'lora_A.weight': { dtype: 'F32', shape: [2, 3], data_offsets: [0, 24] },
        half: { dtype: 'F16', shape: [2], data_offsets: [24, 28] },
        empty: { dtype: 'F32', shape: [0, 4], data_offsets: [28, 28] },
        byte: { dtype: 'U8', shape: [1], data_offsets: [28, 29] },
      },
      data,
    );
    const file = await readSafetensors(blob);
    expect(file.metadata).toEqual({ format: 'pt' });
    expect(file.tensors.map((t) => [t.name, t.dtype, t.shape, t.offset - file.dataOffset, t.byteLength])).toEqual([
      ['lora_A.weight', 'F32', [2, 3], 0, 24],
      ['half', 'F16', [2], 24, 4],
      ['empty', 'F32', [0, 4], 28, 0],
      ['byte', 'U8', [1], 28, 1],
    ]);
    expect(Array.from(await readSafetensorsF32(blob, file.tensors[0]))).toEqual([1, 2, 3, 4, 5, 6]);
    expect(Array.from(await readSafetensorsF32(blob, file.tensors[1]))).toEqual([1, -2]);
    await expect(readSafetensorsF32(blob, file.tensors[3])).rejects.toThrow(/only F32, F16 and BF16/);
  });

  it('round-trips what the writer writes (F32 exactly, F16 and BF16 as their rounding), with an aligned data buffer', async () => {
    const a = randomF32(4 * 16, 1, 0.02);
    const b = randomF32(16 * 8, 2, 0.02);
    const blob = writeSafetensors(
      [
        { name: 'base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight', dtype: 'F32', shape: [4, 16], values: a },
        { name: 'base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight', dtype: 'F16', shape: [16, 4], values: b.subarray(0, 64) },
        { name: 'bf', dtype: 'BF16', shape: [8, 8], values: b.subarray(64) },
      ],
      { format: 'pt' },
    );
    const file = await readSafetensors(blob);
    expect(file.dataOffset % 8).toBe(0);
    expect(file.metadata).toEqual({ format: 'pt' });
    expect(await readSafetensorsF32(blob, file.tensors[0])).toEqual(a);
    const half = await readSafetensorsF32(blob, file.tensors[1]);
    half.forEach((v, i) => expect(Math.abs(v - b[i])).toBeLessThanOrEqual(Math.abs(b[i]) * 2 ** -11));
    const brain = await readSafetensorsF32(blob, file.tensors[2]);
    brain.forEach((v, i) => expect(Math.abs(v - b[64 + i])).toBeLessThanOrEqual(Math.abs(b[64 + i]) * 2 ** -8));
  });

  it('round-trips F32 bit for bit: NaN payloads, -0, infinities, subnormals, and a view into a larger buffer', async () => {
    const bits = new Uint32Array([
      0x7fc00001, 0xffa5a5a5, 0x7f800001, 0x80000000, 0x00000000, 0x7f800000, 0xff800000, 0x00000001, 0x807fffff, 0x3f800000,
    ]);
    const shared = new Float32Array(bits.length + 3);
    new Uint32Array(shared.buffer).set(bits, 2);
    const values = shared.subarray(2, 2 + bits.length);
    const blob = writeSafetensors([{ name: 'odd', dtype: 'F32', shape: [2, 5], values }]);
    const stored = new Uint8Array(await blob.arrayBuffer());
    const file = await readSafetensors(blob);
    // The file is little-endian whatever the platform: each value's bytes, low byte first.
    const expected = new Uint8Array(bits.length * 4);
    bits.forEach((b, i) => new DataView(expected.buffer).setUint32(4 * i, b, true));
    expect(stored.subarray(file.dataOffset)).toEqual(expected);
    const read = await readSafetensorsF32(blob, file.tensors[0]);
    expect(Array.from(new Uint32Array(read.buffer, read.byteOffset, read.length))).toEqual(Array.from(bits));
  });

  it('writer refuses a shape that does not match the values', () => {
    expect(() => writeSafetensors([{ name: 'w', dtype: 'F32', shape: [2, 2], values: new Float32Array(3) }])).toThrow(
      /shape \[2, 2\] holds 4 values, got 3/,
    );
  });
});

describe('safetensors reader refuses bad files with the field named', () => {
  const ok = { w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } };
  const data = f32Bytes([1, 2]);
  it('too short', () => refused(new Blob([new Uint8Array(5)]), /too short/));
  it('header length past the end', () => {
    const b = new Uint8Array(16);
    new DataView(b.buffer).setBigUint64(0, 1n << 40n, true);
    return refused(new Blob([b]), /header length 1099511627776 runs past the end/);
  });
  it('header above the size limit', async () => {
    const error = await readSafetensors(handBuilt(ok, data), { name: 'bad.safetensors', maxHeaderBytes: 10 }).catch((e: Error) => e);
    expect((error as Error).message).toMatch(/larger than the 10-byte limit/);
  });
  it('invalid JSON', () => refused(handBuilt(null, data, '{"w": '), /not valid UTF-8 JSON/));
  it('invalid UTF-8', () => {
    const json = new Uint8Array([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]); // {"<0xff>":1}
    const length = new Uint8Array(8);
    new DataView(length.buffer).setBigUint64(0, BigInt(json.length), true);
    return refused(new Blob([length, json]), /not valid UTF-8 JSON/);
  });
  it('a header that is not an object', () => refused(handBuilt([1, 2], data), /not a JSON object/));
  it('an unknown dtype', () => refused(handBuilt({ w: { ...ok.w, dtype: 'F12' } }, data), /tensor "w" has unknown dtype "F12"/));
  it('a bad shape', () => refused(handBuilt({ w: { ...ok.w, shape: [-2] } }, data), /tensor "w" shape \[-2\]/));
  it('bad data_offsets', () =>
    refused(handBuilt({ w: { ...ok.w, data_offsets: [0] } }, data), /tensor "w" data_offsets \[0\] is not \[begin, end\]/));
  it('offsets that end before they begin', () =>
    refused(handBuilt({ w: { ...ok.w, data_offsets: [8, 0] } }, data), /end before they begin/));
  it('offsets past the data buffer', () =>
    refused(handBuilt({ w: { ...ok.w, data_offsets: [0, 16] } }, data), /end 16 is past the 8-byte data buffer/));
  it('shape × dtype not matching the range', () =>
    refused(handBuilt({ w: { ...ok.w, shape: [3] } }, data), /tensor "w" is F32 \[3\] = 12 bytes, but data_offsets cover 8/));
  it('overlapping tensors', () =>
    refused(
      handBuilt(
        {
          a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
          b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] },
        },
        data,
      ),
      /overlaps/,
    ));
  it('a gap between tensors', () =>
    refused(handBuilt({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, data), /gap of 4 bytes before tensor "a"/));
  it('bytes after the last tensor', () =>
    refused(handBuilt({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, data), /4 bytes after the last tensor/));
  it('non-string metadata', () => refused(handBuilt({ ...ok, __metadata__: { r: 16 } }, data), /__metadata__ "r" is not a string/));

  it('every truncation of a valid file', async () => {
    const bytes = new Uint8Array(
      await writeSafetensors([{ name: 'w', dtype: 'F32', shape: [3, 5], values: randomF32(15, 3) }]).arrayBuffer(),
    );
    for (let cut = 0; cut < bytes.length; cut += 3) {
      const error = await readSafetensors(new Blob([bytes.subarray(0, cut)])).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error, `cut at ${cut}`).toBeInstanceOf(LabError);
    }
  });
});
