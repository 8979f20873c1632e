import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync, ftruncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { layoutGguf, readGguf, tensorsChunks, writeGguf, type ByteSource } from '../../src/formats/gguf';
import { openFileSource } from '../../src/formats/nodeFileSource';
import { quantize } from '../../src/formats/quant';
import { randomF32 } from '../../src/util/random';

/** A source that counts the bytes read through it. */
function counting(blob: ByteSource) {
  const stats = { bytesRead: 0, slices: 0 };
  const wrapper = {
    get size() {
      return blob.size;
    },
    slice(start?: number, end?: number) {
      stats.slices++;
      stats.bytesRead += Math.min(end ?? blob.size, blob.size) - (start ?? 0);
      return blob.slice(start ?? 0, end ?? blob.size);
    },
  };
  return { blob: wrapper, stats };
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'lora-lab-large-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('readGguf on a 7.7 GB file', () => {
  it('reads the header of a 7B-shaped file (Q8_0, data past 4 GiB offsets) touching about 1 MiB', async () => {
    // A sparse file: the header of a Mistral-7B-shaped Q8_0 model, the data area left as holes. (Node 20's
    // openAsBlob would report this file's size modulo 2^32, hence openFileSource.)
    const tensors = [{ name: 'token_embd.weight', dims: [4096, 32000], type: 'Q8_0' as const }];
    for (let i = 0; i < 32; i++) {
      for (const [name, rows] of [
        ['attn_q', 4096],
        ['attn_k', 1024],
        ['attn_v', 1024],
        ['attn_output', 4096],
        ['ffn_gate', 14336],
        ['ffn_up', 14336],
      ] as const) {
        tensors.push({ name: `blk.${i}.${name}.weight`, dims: [4096, rows], type: 'Q8_0' });
      }
      tensors.push({ name: `blk.${i}.ffn_down.weight`, dims: [14336, 4096], type: 'Q8_0' });
    }
    tensors.push({ name: 'output.weight', dims: [4096, 32000], type: 'Q8_0' });
    const layout = layoutGguf([{ key: 'general.architecture', value: 'llama' }], tensors);
    const path = join(dir, 'sparse-7b.gguf');
    const fd = openSync(path, 'w');
    writeSync(fd, layout.header);
    ftruncateSync(fd, layout.byteLength);
    closeSync(fd);
    expect(layout.byteLength).toBeGreaterThan(7e9);

    const { blob, stats } = counting(await openFileSource(path));
    const file = await readGguf(blob);
    expect(file.tensors).toHaveLength(tensors.length);
    const last = file.tensors[file.tensors.length - 1];
    expect(last.offset + last.byteLength).toBe(layout.byteLength);
    expect(last.offset).toBeGreaterThan(2 ** 32);
    expect(stats.bytesRead).toBeLessThanOrEqual(1 << 20);
    const tail = await blob.slice(layout.byteLength - 8, layout.byteLength + 100).arrayBuffer();
    expect(new Uint8Array(tail)).toEqual(new Uint8Array(8)); // a range past 4 GiB reads back, clipped at the end
  });
});

describe('tensorsChunks', () => {
  it('streams tensors in order with running byte counts that end at the total', async () => {
    const written = [
      { name: 'a', dims: [64, 3], type: 'Q8_0' as const, data: quantize('Q8_0', randomF32(192, 1)) },
      { name: 'b', dims: [10], type: 'F32' as const, data: quantize('F32', randomF32(10, 2)) },
    ];
    const blob = writeGguf([], written);
    const file = await readGguf(blob);
    const seen: [string, number, number, number][] = [];
    for await (const c of tensorsChunks(blob, file.tensors, 100)) seen.push([c.tensor.name, c.tensorOffset, c.bytes.length, c.loadedBytes]);
    expect(seen).toEqual([
      ['a', 0, 100, 100],
      ['a', 100, 100, 200],
      ['a', 200, 4, 204],
      ['b', 0, 40, 244],
    ]);
  });
});
