import { describe, expect, it } from 'vitest';
import { createNodeGpu } from '../../src/gpu/node';
import type { DeviceLostEvent } from '../../src/gpu/gpu';

describe('device loss', () => {
  it('is reported once to every listener with its reason, and later GPU work fails with it', async () => {
    const gpu = await createNodeGpu({ useSoftwareFallback: true });
    const seen: DeviceLostEvent[] = [];
    const lost = new Promise<void>((resolve) =>
      gpu.onLost((e) => {
        seen.push(e);
        resolve();
      }),
    );
    gpu.device.destroy();
    await lost;
    expect(seen).toHaveLength(1);
    expect(seen[0].reason).toBe('destroyed');
    expect(gpu.lost?.reason).toBe('destroyed');
    // A listener added after the loss hears about it at once.
    const late: DeviceLostEvent[] = [];
    gpu.onLost((e) => late.push(e));
    expect(late).toEqual(seen);
    await expect(gpu.sync()).rejects.toThrow(/device was lost \(destroyed\)/);
  });
});
