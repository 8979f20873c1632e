import { describe, it } from 'vitest';
import { testGpu } from '../setup/testGpu';
import { rmsNorm, rmsNormBackward } from '../../src/kernels/rmsnorm';
import { rmsNormBackwardReference, rmsNormReference } from '../../src/kernels/reference/rmsnorm';
import { randomF32 } from '../../src/util/random';
import { expectAllClose } from './compare';
import { expectGradientMatchesFiniteDifferences, weightedSum } from './gradcheck';

// f32: the sum of n squares runs as WG strided partial sums that are then added serially (rounding errors of
// random-walk size √(n/WG + WG)·2^-24 relative: about 2e-6 at n = 4096 with 4 threads) and y is a product of
// three rounded factors; |y| stays below ~4, so 1e-5 absolute + 1e-5 relative is a margin that still catches
// any indexing slip.
// f16 storage rounds every output to 2^-11 relative.
const TOLERANCE = { atol: 1e-5, rtol: 1e-5 };
const EPS = 1e-5;

const gpu = await testGpu();

function inputs(rows: number, n: number, seed: number) {
  return {
    x: randomF32(rows * n, seed),
    // Norm weights near 1, as trained models have them, but not all equal so a wrong index shows.
    w: randomF32(n, seed + 1, 0.5).map((v) => 1 + v),
    dy: randomF32(rows * n, seed + 2),
  };
}

async function forward(x: Float32Array, w: Float32Array, rows: number, n: number, threads?: number) {
  const bx = gpu.upload(x, { label: 'x' });
  const bw = gpu.upload(w, { label: 'w' });
  const by = gpu.alloc(rows * n * 4, { label: 'y' });
  const br = gpu.alloc(rows * 4, { label: 'rstd' });
  const rec = gpu.recorder();
  rmsNorm(rec, { x: bx, w: bw, y: by, rstd: br }, { rows, n, eps: EPS, threads });
  rec.submit();
  const result = { y: await gpu.readF32(by, rows * n), rstd: await gpu.readF32(br, rows), rstdBuffer: br };
  [bx, bw, by].forEach((b) => gpu.buffers.free(b));
  return result;
}

async function backward(
  data: { x: Float32Array; w: Float32Array; dy: Float32Array; dx0?: Float32Array; dw0?: Float32Array },
  rows: number,
  n: number,
  threads?: number,
) {
  const { rstdBuffer } = await forward(data.x, data.w, rows, n, threads);
  const bx = gpu.upload(data.x, { label: 'x' });
  const bw = gpu.upload(data.w, { label: 'w' });
  const bdy = gpu.upload(data.dy, { label: 'dy' });
  const bdx = data.dx0 ? gpu.upload(data.dx0, { label: 'dx' }) : gpu.alloc(rows * n * 4, { label: 'dx' });
  const bdw = data.dw0 ? gpu.upload(data.dw0, { label: 'dw' }) : undefined;
  const rec = gpu.recorder();
  rmsNormBackward(rec, { x: bx, w: bw, dy: bdy, rstd: rstdBuffer, dx: bdx, dw: bdw }, { rows, n, accumulate: !!data.dx0, threads });
  rec.submit();
  const dx = await gpu.readF32(bdx, rows * n);
  const dw = bdw ? await gpu.readF32(bdw, n) : undefined;
  [rstdBuffer, bx, bw, bdy, bdx, ...(bdw ? [bdw] : [])].forEach((b) => gpu.buffers.free(b));
  return { dx, dw };
}

describe('RMSNorm forward', () => {
  // One element, a hidden size below the workgroup, odd sizes, and 7B's 4096.
  const shapes: [number, number][] = [
    [1, 1],
    [5, 17],
    [37, 301],
    [3, 4096],
  ];
  for (const [rows, n] of shapes) {
    it(`normalises each row and saves rstd for rows=${rows} n=${n}`, async () => {
      const seed = rows * 1009 + n;
      const { x, w } = inputs(rows, n, seed);
      const got = await forward(x, w, rows, n);
      gpu.buffers.free(got.rstdBuffer);
      const want = rmsNormReference(x, w, rows, n, EPS);
      expectAllClose(got.y, want.y, TOLERANCE, `y, seed ${seed}, rows ${rows}, n ${n}`);
      expectAllClose(got.rstd, want.rstd, { atol: 0, rtol: 1e-5 }, `rstd, seed ${seed}`);
    });
  }
});

describe('RMSNorm backward', () => {
  it('dx and dw match the analytic gradient', async () => {
    const [rows, n, seed] = [7, 301, 500];
    const data = inputs(rows, n, seed);
    const got = await backward({ ...data, dw0: new Float32Array(n) }, rows, n);
    const want = rmsNormBackwardReference(data.x, data.w, data.dy, rows, n, EPS);
    expectAllClose(got.dx, want.dx, TOLERANCE, `dx, seed ${seed}`);
    // dw sums rows products; the reference sums in f64.
    expectAllClose(got.dw!, want.dw, { atol: 1e-5 * rows, rtol: 1e-5 }, `dw, seed ${seed}`);
  });

  it('accumulates into an existing dx and dw', async () => {
    const [rows, n, seed] = [3, 257, 510];
    const data = inputs(rows, n, seed);
    const dx0 = randomF32(rows * n, seed + 5);
    const dw0 = randomF32(n, seed + 6);
    const got = await backward({ ...data, dx0, dw0 }, rows, n);
    const want = rmsNormBackwardReference(data.x, data.w, data.dy, rows, n, EPS, { dx0, dw0 });
    expectAllClose(got.dx, want.dx, TOLERANCE, `dx, seed ${seed}`);
    expectAllClose(got.dw!, want.dw, { atol: 1e-5 * rows, rtol: 1e-5 }, `dw, seed ${seed}`);
  });
});

describe('RMSNorm workgroup shapes (f32)', () => {
  // The wrapper picks 4 threads per row on CPU adapters and 32 or 64 on GPUs; every shape must give the same
  // result, including rows shorter than the workgroup (n = 3: most threads add nothing) and rows that do not
  // divide evenly among the threads.
  for (const threads of [4, 32, 64]) {
    it(`${threads} threads per row: forward and dx match the references for n = 3 and n = 301`, async () => {
      for (const [rows, n] of [
        [2, 3],
        [5, 301],
      ] as const) {
        const seed = 600 + threads + n;
        const data = inputs(rows, n, seed);
        const fwd = freeRstd(await forward(data.x, data.w, rows, n, threads));
        const want = rmsNormReference(data.x, data.w, rows, n, EPS);
        expectAllClose(fwd.y, want.y, TOLERANCE, `y, threads ${threads}, n ${n}, seed ${seed}`);
        const { dx } = await backward(data, rows, n, threads);
        const wantDx = rmsNormBackwardReference(data.x, data.w, data.dy, rows, n, EPS).dx;
        expectAllClose(dx, wantDx, TOLERANCE, `dx, threads ${threads}, n ${n}, seed ${seed}`);
      }
    });
  }
});

describe('RMSNorm gradients against finite differences (f32)', () => {
  const [rows, n, seed] = [5, 301, 520];
  const data = inputs(rows, n, seed);

  it('dx is the derivative of Σ dy·y with respect to x', async () => {
    const { dx } = await backward(data, rows, n);
    await expectGradientMatchesFiniteDifferences({
      x: data.x,
      grad: dx,
      loss: async (x) => weightedSum((await forward(x, data.w, rows, n).then(freeRstd)).y, data.dy),
      seed,
      context: 'rmsnorm dx',
    });
  });

  it('dw is the derivative of Σ dy·y with respect to w', async () => {
    const { dw } = await backward({ ...data, dw0: new Float32Array(n) }, rows, n);
    await expectGradientMatchesFiniteDifferences({
      x: data.w,
      grad: dw!,
      loss: async (w) => weightedSum((await forward(data.x, w, rows, n).then(freeRstd)).y, data.dy),
      seed: seed + 1,
      context: 'rmsnorm dw',
    });
  });
});

function freeRstd<T extends { rstdBuffer: Parameters<typeof gpu.buffers.free>[0] }>(result: T): T {
  gpu.buffers.free(result.rstdBuffer);
  return result;
}
