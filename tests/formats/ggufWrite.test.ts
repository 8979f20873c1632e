import { describe, expect, it } from 'vitest';
import { openAsBlob, readFileSync } from 'node:fs';
import { sharedData } from '../sharedData';
import { llamaCppVocab } from '../../scripts/lib/llamaCppVocab';
import {
  copyMetadata,
  GgufValueType,
  layoutGguf,
  readGguf,
  readTensorBytes,
  writeGguf,
  type GgufMetaEntry,
  type GgufTensorToWrite,
} from '../../src/formats/gguf';
import { quantize, QUANTIZABLE_TYPES } from '../../src/formats/quant';
import { randomF32 } from '../../src/util/random';

const T = GgufValueType;

describe('writeGguf then readGguf', () => {
  it('round-trips metadata of every value type, nested arrays included', async () => {
    const entries: GgufMetaEntry[] = [
      { key: 'u8', value: 255, type: { type: T.UINT8 } },
      { key: 'i8', value: -128, type: { type: T.INT8 } },
      { key: 'u16', value: 65535, type: { type: T.UINT16 } },
      { key: 'i16', value: -32768, type: { type: T.INT16 } },
      { key: 'u32', value: 4294967295, type: { type: T.UINT32 } },
      { key: 'i32', value: -2147483648, type: { type: T.INT32 } },
      { key: 'f32', value: Math.fround(0.1), type: { type: T.FLOAT32 } },
      { key: 'f64', value: 0.1, type: { type: T.FLOAT64 } },
      { key: 'u64', value: (1n << 64n) - 1n, type: { type: T.UINT64 } },
      { key: 'i64', value: -(1n << 63n), type: { type: T.INT64 } },
      { key: 'bool', value: true, type: { type: T.BOOL } },
      { key: 'string', value: 'héllo ✓ "\n"', type: { type: T.STRING } },
      { key: 'empty', value: '', type: { type: T.STRING } },
      { key: 'bom', value: '\uFEFF', type: { type: T.STRING } }, // a leading U+FEFF is content (Llama 2's token 30143)
      { key: 'f32s', value: new Float32Array([1.5, -2, 0]) },
      { key: 'i32s', value: new Int32Array([1, -1, 6]) },
      { key: 'u64s', value: new BigUint64Array([0n, 1n << 40n]) },
      { key: 'strings', value: ['a', '', 'Ġthe', '\uFEFFhi'] },
      { key: 'bools', value: [true, false, true] },
      {
        key: 'nested',
        value: [new Uint8Array([1, 2]), new Uint8Array([])],
        type: { type: T.ARRAY, element: { type: T.ARRAY, element: { type: T.UINT8 } } },
      },
    ];
    const file = await readGguf(writeGguf(entries, []));
    for (const e of entries) {
      expect(file.metadata.get(e.key), e.key).toEqual(e.value);
      if (e.type) expect(file.metadataTypes.get(e.key), e.key).toEqual(e.type);
    }
    expect(file.metadataTypes.get('f32s')).toEqual({ type: T.ARRAY, element: { type: T.FLOAT32 } });
  });

  it('infers u32 for counts, i32 for negative integers and f32 for fractions', async () => {
    const file = await readGguf(
      writeGguf(
        [
          { key: 'n', value: 7 },
          { key: 'neg', value: -3 },
          { key: 'x', value: 0.5 },
        ],
        [],
      ),
    );
    expect(file.metadataTypes.get('n')).toEqual({ type: T.UINT32 });
    expect(file.metadataTypes.get('neg')).toEqual({ type: T.INT32 });
    expect(file.metadataTypes.get('x')).toEqual({ type: T.FLOAT32 });
  });

  it('writes tensors of every quantised type at aligned offsets, bytes intact', async () => {
    const tensors: GgufTensorToWrite[] = QUANTIZABLE_TYPES.map((type, i) => ({
      name: `w.${type}`,
      dims: [256, 3],
      type,
      data: quantize(type, randomF32(768, 100 + i)),
    }));
    tensors.push({ name: 'bias', dims: [7], type: 'F32', data: quantize('F32', randomF32(7, 9)) });
    const blob = writeGguf([{ key: 'general.architecture', value: 'llama' }], tensors, 64);
    const file = await readGguf(blob);
    expect(file.alignment).toBe(64);
    expect(file.tensors.map((t) => [t.name, t.type.name, t.dims])).toEqual(tensors.map((t) => [t.name, t.type, t.dims]));
    for (const [i, t] of file.tensors.entries()) {
      expect(t.offset % 64).toBe(0);
      expect(await readTensorBytes(blob, t)).toEqual(tensors[i].data);
    }
    expect(blob.size).toBe(layoutGguf([{ key: 'general.architecture', value: 'llama' }], tensors, 64).byteLength);
  });

  it('copies a whole real vocabulary (llama.cpp llama-spm, 32000 tokens) with its exact types', async () => {
    const source = await readGguf(await openAsBlob(llamaCppVocab('llama-spm')));
    const copied = copyMetadata(source);
    expect(copied.map((e) => e.key)).toContain('tokenizer.ggml.scores');
    const file = await readGguf(writeGguf(copied, []));
    for (const e of copied) {
      expect(file.metadata.get(e.key), e.key).toEqual(source.metadata.get(e.key));
      expect(file.metadataTypes.get(e.key), e.key).toEqual(source.metadataTypes.get(e.key));
    }
  });

  it('rewrites stories260K byte for byte from what the reader returns', async () => {
    const path = sharedData('tiny-models', 'stories260K.gguf');
    const blob = await openAsBlob(path);
    const file = await readGguf(blob);
    const tensors = await Promise.all(
      file.tensors.map(async (t) => ({
        name: t.name,
        dims: t.dims,
        type: t.type.name,
        data: await readTensorBytes(blob, t),
      })),
    );
    const rewritten = new Uint8Array(await writeGguf(copyMetadata(file, ''), tensors, file.alignment).arrayBuffer());
    expect(Buffer.from(rewritten).equals(readFileSync(path))).toBe(true);
  });
});

describe('writeGguf refuses inconsistent input', () => {
  it('a value that does not fit its declared type', () => {
    expect(() => writeGguf([{ key: 'k', value: 300, type: { type: T.UINT8 } }], [])).toThrow(/"k" value 300 does not fit/);
  });
  it('a duplicate key', () => {
    expect(() =>
      writeGguf(
        [
          { key: 'k', value: 1 },
          { key: 'k', value: 2 },
        ],
        [],
      ),
    ).toThrow(/duplicate metadata key "k"/);
  });
  it('tensor bytes of the wrong size', () => {
    expect(() => writeGguf([], [{ name: 'w', dims: [32, 2], type: 'Q8_0', data: new Uint8Array(34) }])).toThrow(
      /tensor "w" has 34 bytes, Q8_0 \[32, 2\] needs 68/,
    );
  });
  it('a row length that is not a whole number of blocks', () => {
    expect(() => writeGguf([], [{ name: 'w', dims: [172, 2], type: 'Q4_K', data: new Uint8Array(0) }])).toThrow(
      /row length 172 is not a multiple of the Q4_K block size 256/,
    );
  });
});
