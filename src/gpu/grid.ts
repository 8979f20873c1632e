/**
 * Spreads `workgroups` over x and y so no dimension exceeds the device limit (65535 by default):
 * kernels recover the flat index as `wid.y * num_workgroups.x + wid.x` and skip indices past the end.
 */
export function grid2d(workgroups: number, maxPerDimension: number): [number, number] {
  if (workgroups <= maxPerDimension) return [Math.max(1, workgroups), 1];
  const y = Math.ceil(workgroups / maxPerDimension);
  return [Math.ceil(workgroups / y), y];
}

export function ceilDiv(a: number, b: number): number {
  return Math.floor((a + b - 1) / b);
}
