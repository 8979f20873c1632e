import { describe, expect, it } from 'vitest';
import { testGpu } from '../setup/testGpu';
import { matmul, matmulNaive, matmulSchedule, type MatmulSchedule, type MatmulShape } from '../../src/kernels/matmul';
import { matmulReference } from '../../src/kernels/reference/matmul';
import { randomF32 } from '../../src/util/random';

// f32 sums of K products of values in [-1, 1] round to within about K·2^-24 of the exact value; 4e-6·K keeps a
// wide margin while any indexing mistake gives errors of order 1.
function expectClose(actual: Float32Array, expected: Float32Array, K: number, seed: number): void {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
  expect(worst, `seed ${seed}: max abs error ${worst}`).toBeLessThan(4e-6 * K + 1e-6);
}

async function runMatmul(
  shape: MatmulShape,
  seed: number,
  naive = false,
  schedule?: MatmulSchedule,
): Promise<{ got: Float32Array; want: Float32Array }> {
  const gpu = await testGpu();
  const batch = shape.batch ?? 1;
  const a = randomF32(batch * shape.M * shape.K, seed);
  const b = randomF32(batch * shape.K * shape.N, seed + 1);
  const c0 = randomF32(batch * shape.M * shape.N, seed + 2);
  const bufA = gpu.upload(a, { label: 'A' });
  const bufB = gpu.upload(b, { label: 'B' });
  const bufC = gpu.upload(c0, { label: 'C' });
  const rec = gpu.recorder();
  if (naive) matmulNaive(rec, bufA, bufB, bufC, shape);
  else matmul(rec, bufA, bufB, bufC, shape, schedule);
  rec.submit();
  const got = await gpu.readF32(bufC, batch * shape.M * shape.N);
  for (const t of [bufA, bufB, bufC]) gpu.buffers.free(t);
  return { got, want: matmulReference(a, b, shape, c0) };
}

// Both schedules run on any adapter when forced: the tiled one with GPU-sized workgroups, the direct one with the
// threads a CPU adapter gets.
const SCHEDULES: [string, MatmulSchedule][] = [
  ['tiled', { kind: 'tiled', threads: { x: 16, y: 16 } }],
  ['direct', { kind: 'direct', threads: { x: 4, y: 4 } }],
];

describe.each(SCHEDULES)('%s f32 matmul', (_name, schedule) => {
  // Sizes straddle the 64×64 output tile, the 16-wide K step and the direct kernel's 8-row, 4-column blocks: 1,
  // primes, tile-1, tile+1.
  const shapes: [number, number, number][] = [
    [1, 1, 1],
    [1, 97, 33],
    [64, 64, 16],
    [65, 63, 17],
    [130, 7, 129],
    [3, 200, 5],
    [100, 100, 100],
  ];
  for (const [M, N, K] of shapes) {
    it(`matches the reference for M=${M} N=${N} K=${K}`, async () => {
      const seed = M * 10007 + N * 101 + K;
      const { got, want } = await runMatmul({ M, N, K }, seed, false, schedule);
      expectClose(got, want, K, seed);
    });
  }

  it('reads A transposed (A stored as [K, M])', async () => {
    const { got, want } = await runMatmul({ M: 37, N: 70, K: 45, transA: true }, 11, false, schedule);
    expectClose(got, want, 45, 11);
  });

  it('reads B transposed (B stored as [N, K]), as X·Wᵀ does', async () => {
    const { got, want } = await runMatmul({ M: 70, N: 37, K: 45, transB: true }, 12, false, schedule);
    expectClose(got, want, 45, 12);
  });

  it('reads both operands transposed', async () => {
    const { got, want } = await runMatmul({ M: 19, N: 66, K: 81, transA: true, transB: true }, 13, false, schedule);
    expectClose(got, want, 81, 13);
  });

  it('scales by alpha and accumulates into the existing C', async () => {
    const { got, want } = await runMatmul({ M: 33, N: 65, K: 20, accumulate: true, alpha: -0.5 }, 14, false, schedule);
    expectClose(got, want, 20, 14);
  });

  it('runs independent batched problems', async () => {
    const { got, want } = await runMatmul({ M: 17, N: 23, K: 31, batch: 3, transB: true }, 15, false, schedule);
    expectClose(got, want, 31, 15);
  });
});

describe('f32 matmul workgroup shapes', () => {
  // The wrapper sizes workgroups by problem shape and adapter kind; these force every shape matmulSchedule can
  // return (tiled up to 16×16 threads on a GPU, direct with 16 threads on a CPU adapter) on LoRA-like sides (rank 8
  // against 64) and sizes that straddle each tile.
  const schedules: MatmulSchedule[] = [
    { kind: 'tiled', threads: { x: 16, y: 16 } },
    { kind: 'tiled', threads: { x: 2, y: 16 } },
    { kind: 'tiled', threads: { x: 16, y: 1 } },
    { kind: 'tiled', threads: { x: 1, y: 1 } },
    { kind: 'direct', threads: { x: 4, y: 4 } },
    { kind: 'direct', threads: { x: 2, y: 8 } },
    { kind: 'direct', threads: { x: 1, y: 16 } },
  ];
  for (const schedule of schedules) {
    const { x, y } = schedule.threads;
    it(`${schedule.kind} ${x}×${y} threads match the reference, transposed and accumulating`, async () => {
      const seed = 300 + x * 17 + y + (schedule.kind === 'direct' ? 1000 : 0);
      const cases: MatmulShape[] = [
        { M: 70, N: 8, K: 64, transB: true, accumulate: true },
        { M: 70, N: 65, K: 8, transB: true, accumulate: true, alpha: 2 },
        { M: 8, N: 33, K: 70, transA: true, accumulate: true },
        { M: 37, N: 9, K: 17 },
      ];
      for (const [i, shape] of cases.entries()) {
        const { got, want } = await runMatmul(shape, seed + i, false, schedule);
        expectClose(got, want, shape.K, seed + i);
      }
    });
  }

  it('picks the tiled kernel no wider than the output on a GPU, the direct kernel with 16 threads on a CPU', () => {
    const tiled = (x: number, y: number) => ({ kind: 'tiled', threads: { x, y } });
    const direct = (x: number, y: number) => ({ kind: 'direct', threads: { x, y } });
    expect(matmulSchedule('gpu', 4096, 4096)).toEqual(tiled(16, 16));
    expect(matmulSchedule('gpu', 288, 8)).toEqual(tiled(2, 16));
    expect(matmulSchedule('gpu', 8, 288)).toEqual(tiled(16, 2));
    expect(matmulSchedule('gpu', 1, 1)).toEqual(tiled(1, 1));
    expect(matmulSchedule('cpu', 512, 512)).toEqual(direct(4, 4));
    expect(matmulSchedule('cpu', 288, 8)).toEqual(direct(2, 8));
    expect(matmulSchedule('cpu', 1, 1)).toEqual(direct(1, 16));
  });
});

describe('naive f32 matmul (benchmark baseline)', () => {
  it('matches the reference on a shape that is not a multiple of 16', async () => {
    const { got, want } = await runMatmul({ M: 33, N: 47, K: 29 }, 21, true);
    expectClose(got, want, 29, 21);
  });
});
