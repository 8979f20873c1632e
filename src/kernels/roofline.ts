import type { Binding, Recorder } from '../gpu/recorder';
import { uniformLayout } from '../gpu/uniforms';
import { LabError } from '../errors';

/**
 * The device report's two roofs (bench/suites/report.ts): a kernel that only streams memory in (GB/s) and one that
 * only does f32 FMAs (GFLOP/s). Each hot kernel's time is read as a fraction of what these reach on the same device.
 */

const WG = 256;

export const ROOF_STREAM_PARAMS = uniformLayout('roof_stream', { n4: 'u32', stride: 'u32' });
export const ROOF_FMA_PARAMS = uniformLayout('roof_fma', { iterations: 'u32', m: 'f32', c: 'f32', start: 'f32' });

/** Threads of a roof dispatch of `groups` workgroups. */
export function roofThreads(groups: number): number {
  return groups * WG;
}

function checkGroups(rec: Recorder, groups: number, what: string): void {
  const limit = rec.gpu.limits.maxComputeWorkgroupsPerDimension;
  if (!Number.isInteger(groups) || groups < 1 || groups > limit)
    throw new LabError(`${what}: ${groups} workgroups, not 1..${limit}`, 'roofline');
}

/**
 * sums[i] = Σ_j x[i + j·threads] over the n4 vec4s of x (shaders/roof_stream.wgsl): reads n4·16 bytes once. `sums`
 * holds roofThreads(groups) floats.
 */
export function streamRead(rec: Recorder, buffers: { x: Binding; sums: Binding }, shape: { n4: number; groups: number }): void {
  checkGroups(rec, shape.groups, 'streamRead');
  rec.dispatch(
    { shader: 'roof_stream', constants: { WG } },
    [buffers.x, buffers.sums],
    [shape.groups],
    ROOF_STREAM_PARAMS.pack({ n4: shape.n4, stride: roofThreads(shape.groups) }),
  );
}

export interface FmaChainsShape {
  groups: number;
  iterations: number;
  /** The chains a ← a·m + c start at start + k (k = 0..3); |m| < 1 keeps them finite. */
  m: number;
  c: number;
  start: number;
}

/** Flops of one fmaChains dispatch: 16 FMAs of 2 flops per thread and iteration. */
export function fmaChainsFlops(shape: FmaChainsShape): number {
  return roofThreads(shape.groups) * shape.iterations * 32;
}

/** out[i] = the sum of the four chains' final vec4s (shaders/roof_fma.wgsl), the same for every thread. */
export function fmaChains(rec: Recorder, out: Binding, shape: FmaChainsShape): void {
  checkGroups(rec, shape.groups, 'fmaChains');
  rec.dispatch(
    { shader: 'roof_fma', constants: { WG } },
    [out],
    [shape.groups],
    ROOF_FMA_PARAMS.pack({ iterations: shape.iterations, m: shape.m, c: shape.c, start: shape.start }),
  );
}
