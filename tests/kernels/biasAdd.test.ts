import { describe, it } from 'vitest';
import { testGpu } from '../setup/testGpu';
import { biasAdd } from '../../src/kernels/biasAdd';
import { biasAddReference } from '../../src/kernels/reference/biasAdd';
import { randomF32 } from '../../src/util/random';
import { expectAllClose } from './compare';

describe('bias add', () => {
  // One f32 addition per element: the result must be exactly the reference's.
  for (const [rows, n] of [
    [1, 1],
    [3, 257],
    [129, 7],
  ] as const) {
    it(`adds the bias to every row (rows=${rows}, n=${n})`, async () => {
      const gpu = await testGpu();
      const seed = rows * 1000 + n;
      const y = randomF32(rows * n, seed);
      const b = randomF32(n, seed + 1);
      const bufY = gpu.upload(y, { label: 'y' });
      const bufB = gpu.upload(b, { label: 'b' });
      const rec = gpu.recorder();
      biasAdd(rec, bufY, bufB, { rows, n });
      rec.submit();
      expectAllClose(await gpu.readF32(bufY, rows * n), biasAddReference(y, b, rows, n), { atol: 0 }, `seed ${seed}`);
      gpu.buffers.free(bufY);
      gpu.buffers.free(bufB);
    });
  }
});
