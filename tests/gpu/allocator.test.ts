import { describe, expect, it } from 'vitest';
import { testGpu } from '../setup/testGpu';

describe('buffer allocator', () => {
  it('accounts every byte it holds, by category, and releases them on free', async () => {
    const gpu = await testGpu();
    const before = gpu.buffers.snapshot();
    const a = gpu.alloc(1000, { label: 'a', category: 'weights' });
    const b = gpu.alloc(4096, { label: 'b', category: 'activations' });
    const during = gpu.buffers.snapshot();
    expect(during.bytesInUse - before.bytesInUse).toBe(1000 + 4096);
    expect(during.byCategory.weights ?? 0).toBeGreaterThanOrEqual(1000);
    gpu.buffers.free(a);
    gpu.buffers.free(b);
    expect(gpu.buffers.bytesInUse).toBe(before.bytesInUse);
    expect(gpu.buffers.snapshot().peakBytes).toBeGreaterThanOrEqual(during.bytesInUse);
  });

  it('rounds sizes up to whole 4-byte words', async () => {
    const gpu = await testGpu();
    const t = gpu.alloc(5, { label: 'odd' });
    expect(t.bytes).toBe(8);
    gpu.buffers.free(t);
  });

  it('refuses a buffer larger than the device allows, naming it', async () => {
    const gpu = await testGpu();
    expect(() => gpu.alloc(gpu.limits.maxBufferSize + 4, { label: 'token_embd.weight' })).toThrow(/token_embd\.weight.*at most/);
  });

  it('uploads and reads back the same bytes, including a length that is not a multiple of 4', async () => {
    const gpu = await testGpu();
    const data = new Uint8Array([1, 2, 3, 4, 5, 6, 7]);
    const t = gpu.upload(data, { label: 'bytes' });
    const back = new Uint8Array(await gpu.read(t, 7));
    expect([...back]).toEqual([...data]);
    gpu.buffers.free(t);
  });
});
