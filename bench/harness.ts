import type { Gpu } from '../src/gpu/gpu';
import type { Recorder } from '../src/gpu/recorder';

/**
 * One line of the benchmark table. `peer` is measured in the same run on the same device; a peer that could not
 * run keeps its row, with value NaN (null in the JSON) and `reason` saying why, in its own words where it gave any.
 */
export interface BenchRow {
  suite: string;
  case: string;
  metric: string;
  ours: number;
  peer?: { name: string; value: number; reason?: string };
  /** ours / peer for throughput metrics (higher is better for us). */
  ratio?: number;
  note?: string;
}

/** What a peer gave for one metric: its value, or why it gave none. */
export type PeerResult = { value: number } | { reason: string };

/** `row` (ours) beside a peer's result: the ratio where the peer gave a value, its reason where it gave none. */
export function withPeer(row: BenchRow, name: string, result: PeerResult, note = row.note): BenchRow {
  if ('reason' in result) return { ...row, peer: { name, value: Number.NaN, reason: result.reason }, ratio: undefined, note };
  return { ...row, peer: { name, value: result.value }, ratio: row.ours / result.value, note };
}

export interface BenchContext {
  gpu: Gpu;
  log(message: string): void;
  /**
   * Median GPU milliseconds of one `record` call's dispatches, from timestamp queries where the device has them
   * (wall clock over a synchronised submission otherwise).
   */
  gpuTimeMs(record: (rec: Recorder) => void, options?: { warmup?: number; iterations?: number }): Promise<number>;
  /** Median wall-clock milliseconds of `run`, after warm-up. */
  wallTimeMs(run: () => Promise<void>, options?: { warmup?: number; iterations?: number }): Promise<number>;
}

/** The device a run measured: what every result file records beside its rows. */
export interface DeviceDescription {
  adapter: string;
  /** The optional features the engine opened the device with (src/gpu/acquire.ts). */
  features: string[];
  limits: Record<string, number>;
}

/** A file `bench/suites/<name>.ts` exports `suite`; the bench page discovers it. */
export interface BenchSuite {
  name: string;
  run(ctx: BenchContext): Promise<BenchRow[]>;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function createBenchContext(gpu: Gpu, log: (message: string) => void): BenchContext {
  return {
    gpu,
    log,
    async gpuTimeMs(record, options = {}) {
      const warmup = options.warmup ?? 1;
      const iterations = options.iterations ?? 5;
      for (let i = 0; i < warmup; i++) {
        const rec = gpu.recorder();
        record(rec);
        rec.submit();
      }
      await gpu.sync();
      if (!gpu.features.timestamps) {
        const times: number[] = [];
        for (let i = 0; i < iterations; i++) {
          const rec = gpu.recorder();
          record(rec);
          const start = performance.now();
          rec.submit();
          await gpu.sync();
          times.push(performance.now() - start);
        }
        return median(times);
      }
      const rec = gpu.recorder({ profile: true });
      const perIteration: number[] = [];
      for (let i = 0; i < iterations; i++) {
        const before = rec.length;
        record(rec);
        perIteration.push(rec.length - before);
      }
      rec.submit();
      const timings = await rec.timings();
      const totals: number[] = [];
      let next = 0;
      for (const count of perIteration) {
        let ns = 0;
        for (let i = 0; i < count; i++) ns += timings[next++]?.ns ?? 0;
        totals.push(ns / 1e6);
      }
      return median(totals);
    },
    async wallTimeMs(run, options = {}) {
      for (let i = 0; i < (options.warmup ?? 1); i++) await run();
      const times: number[] = [];
      for (let i = 0; i < (options.iterations ?? 5); i++) {
        const start = performance.now();
        await run();
        times.push(performance.now() - start);
      }
      return median(times);
    },
  };
}
