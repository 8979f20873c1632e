import { describe, expect, it } from 'vitest';
import { acquireDevice } from '../../src/gpu/acquire';
import { testGpu } from '../setup/testGpu';

describe('acquiring a device', () => {
  it('explains what to do when WebGPU is missing', async () => {
    await expect(acquireDevice(undefined)).rejects.toThrow(/WebGPU is not available.*Chrome/);
  });

  it('explains what to do when no adapter is found', async () => {
    const noAdapter = { requestAdapter: async () => null } as unknown as GPU;
    await expect(acquireDevice(noAdapter)).rejects.toThrow(/No WebGPU adapter.*chrome:\/\/gpu/);
  });

  it('asks for the adapter maximum of the limits that bound model size', async () => {
    const gpu = await testGpu();
    // SwiftShader offers 1 GiB buffers where the WebGPU default is 256 MiB.
    expect(gpu.limits.maxBufferSize).toBeGreaterThan(256 * 1024 * 1024);
    expect(gpu.limits.maxComputeInvocationsPerWorkgroup).toBeGreaterThanOrEqual(256);
  });

  it('enables each optional feature the adapter offers', async () => {
    const gpu = await testGpu();
    expect(gpu.features.timestamps).toBe(gpu.device.features.has('timestamp-query'));
    expect(gpu.features.subgroups).toBe(gpu.device.features.has('subgroups'));
  });
});
