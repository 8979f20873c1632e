/** Display helpers for the page (no engine code). */
export { formatBytes } from '../worker/api';

export function formatCount(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} K`;
  return String(n);
}

/** Seconds left at the current average rate, as "1m 05s"; empty until there is a rate. */
export function formatEta(done: number, total: number, elapsedMs: number): string {
  if (done <= 0 || elapsedMs <= 0 || done >= total) return '';
  const seconds = Math.round(((total - done) * elapsedMs) / done / 1000);
  return seconds >= 60 ? `${Math.floor(seconds / 60)}m ${String(seconds % 60).padStart(2, '0')}s` : `${seconds}s`;
}
