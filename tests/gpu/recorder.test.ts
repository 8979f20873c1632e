import { describe, expect, it } from 'vitest';
import { testGpu } from '../setup/testGpu';
import { matmul } from '../../src/kernels/matmul';
import { matmulReference } from '../../src/kernels/reference/matmul';
import { randomF32 } from '../../src/util/random';

describe('recorder', () => {
  it('runs a chain of dependent dispatches from one submission in order', async () => {
    const gpu = await testGpu();
    const n = 24;
    const x = randomF32(n * n, 1);
    const w = randomF32(n * n, 2);
    const bufX = gpu.upload(x, { label: 'x' });
    const bufW = gpu.upload(w, { label: 'w' });
    const bufY = gpu.alloc(n * n * 4, { label: 'y' });
    const bufZ = gpu.alloc(n * n * 4, { label: 'z' });
    const rec = gpu.recorder();
    matmul(rec, bufX, bufW, bufY, { M: n, N: n, K: n }); // y = x·w
    matmul(rec, bufY, bufW, bufZ, { M: n, N: n, K: n }); // z = y·w, must see the finished y
    rec.copy(bufZ, bufY, n * n * 4); // y = z
    expect(rec.length).toBe(3);
    rec.submit();
    const got = await gpu.readF32(bufY, n * n);
    const want = matmulReference(matmulReference(x, w, { M: n, N: n, K: n }), w, { M: n, N: n, K: n });
    for (let i = 0; i < got.length; i++) expect(got[i]).toBeCloseTo(want[i], 3);
    for (const t of [bufX, bufW, bufY, bufZ]) gpu.buffers.free(t);
  });

  it('counts its dispatches (not copies or clears), and the device adds them when they are submitted', async () => {
    const gpu = await testGpu();
    const n = 8;
    const bufX = gpu.upload(randomF32(n * n, 3), { label: 'x' });
    const bufY = gpu.alloc(n * n * 4, { label: 'y' });
    const rec = gpu.recorder();
    matmul(rec, bufX, bufX, bufY, { M: n, N: n, K: n });
    rec.clear(bufY);
    matmul(rec, bufX, bufX, bufY, { M: n, N: n, K: n });
    rec.copy(bufY, bufX, n * n * 4);
    expect(rec.dispatchCount).toBe(2);
    const before = gpu.dispatchCount;
    rec.submit();
    expect(gpu.dispatchCount - before).toBe(2);
    expect(rec.dispatchCount, 'a recorder keeps counting across submissions').toBe(2);
    for (const t of [bufX, bufY]) gpu.buffers.free(t);
  });

  it('releases the shared uniform buffer after submitting', async () => {
    const gpu = await testGpu();
    const a = gpu.alloc(64, { label: 'a' });
    const c = gpu.alloc(64, { label: 'c' });
    const before = gpu.buffers.bytesInUse;
    const rec = gpu.recorder();
    matmul(rec, a, a, c, { M: 1, N: 1, K: 1 });
    rec.submit();
    await gpu.sync();
    expect(gpu.buffers.bytesInUse).toBe(before);
    gpu.buffers.free(a);
    gpu.buffers.free(c);
  });

  it('reports a per-kernel GPU time for each dispatch when profiling with timestamp queries', async () => {
    const gpu = await testGpu();
    expect(gpu.features.timestamps).toBe(true); // SwiftShader and every GPU we target offer it
    const a = gpu.upload(randomF32(64 * 64, 3), { label: 'a' });
    const c = gpu.alloc(64 * 64 * 4, { label: 'c' });
    const rec = gpu.recorder({ profile: true });
    matmul(rec, a, a, c, { M: 64, N: 64, K: 64 }, { kind: 'tiled', threads: { x: 16, y: 16 } });
    matmul(rec, a, a, c, { M: 64, N: 64, K: 64, accumulate: true }, { kind: 'direct', threads: { x: 4, y: 4 } });
    rec.submit();
    const timings = await rec.timings();
    // An entry point other than main is named after its shader.
    expect(timings.map((t) => t.kernel)).toEqual(['matmul', 'matmul.direct']);
    for (const t of timings) expect(t.ns).toBeGreaterThan(0);
    gpu.buffers.free(a);
    gpu.buffers.free(c);
  });

  it('profiles a submission of only copies as no timings, not a stale or empty query set', async () => {
    const gpu = await testGpu();
    const a = gpu.upload(new Float32Array(64 * 64).fill(1), { label: 'a', category: 'scratch' });
    const c = gpu.alloc(64 * 64 * 4, { label: 'c', category: 'scratch' });
    const rec = gpu.recorder({ profile: true });
    matmul(rec, a, a, c, { M: 64, N: 64, K: 64 });
    rec.submit();
    expect(await rec.timings()).toHaveLength(1);
    rec.copy(a, c, 64 * 64 * 4);
    rec.submit();
    await gpu.sync();
    expect(await rec.timings()).toEqual([]);
    gpu.buffers.free(a);
    gpu.buffers.free(c);
  });

  it('refuses a grid larger than the device allows before submitting anything', async () => {
    const gpu = await testGpu();
    const rec = gpu.recorder();
    expect(() => rec.dispatch({ shader: 'matmul' }, [], [gpu.limits.maxComputeWorkgroupsPerDimension + 1])).toThrow(/grid/);
  });
});

describe('pipeline cache', () => {
  it('compiles each shader and constant set once', async () => {
    const gpu = await testGpu();
    const first = gpu.pipelines.get({ shader: 'matmul', constants: { TRANS_A: 1, WG_X: 16 } });
    const again = gpu.pipelines.get({ shader: 'matmul', constants: { WG_X: 16, TRANS_A: 1 } });
    const other = gpu.pipelines.get({ shader: 'matmul', constants: { TRANS_A: 0, WG_X: 16 } });
    expect(again).toBe(first);
    expect(other).not.toBe(first);
  });

  it('names the missing file when a shader does not exist', async () => {
    const gpu = await testGpu();
    expect(() => gpu.pipelines.get({ shader: 'no_such_kernel' })).toThrow(/no shader named "no_such_kernel"/);
  });
});

describe('GPU errors', () => {
  it('surfaces a validation error from a submission at the next sync', async () => {
    const gpu = await testGpu();
    const small = gpu.alloc(16, { label: 'small' });
    const rec = gpu.recorder();
    rec.copy(small, small, 1024); // out of bounds: invalid command buffer
    rec.submit();
    await expect(gpu.sync()).rejects.toThrow(/GPU error/);
    gpu.buffers.free(small);
  });
});
