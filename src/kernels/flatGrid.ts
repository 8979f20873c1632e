import type { Recorder, Workgroups } from '../gpu/recorder';
import { ceilDiv, grid2d } from '../gpu/grid';

/**
 * Workgroups for `items` independent work items, `perWorkgroup` to a workgroup, spread over x and y so neither
 * passes the device limit. Shaders recover the item as `(wid.y · num_workgroups.x + wid.x) · perWorkgroup + lid.x`
 * and skip items past the end.
 */
export function flatWorkgroups(rec: Recorder, items: number, perWorkgroup: number): Workgroups {
  return grid2d(ceilDiv(items, perWorkgroup), rec.gpu.limits.maxComputeWorkgroupsPerDimension);
}
