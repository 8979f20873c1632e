import * as Comlink from 'comlink';
import type { LabEngineApi } from '../worker/api';

export type EngineProxy = Comlink.Remote<LabEngineApi>;

/** Starts the engine's module worker and returns the typed proxy the UI talks to. */
export function startEngine(): EngineProxy {
  const worker = new Worker(new URL('../worker/worker.ts', import.meta.url), { type: 'module', name: 'lora-lab-engine' });
  return Comlink.wrap<LabEngineApi>(worker);
}

export function newJobId(): string {
  return crypto.randomUUID();
}

export { Comlink };
