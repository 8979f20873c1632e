import type { Gpu } from '../gpu/gpu';
import { createNodeGpu } from '../gpu/node';
import { Engine } from '../worker/engine';
import type { DatasetOptions } from '../worker/datasets';
import { MemoryStorage, type LabStorage } from '../worker/storage/labStorage';
import type { EvaluationEnvironment } from '../eval/evaluation';
import { nodeEvaluationEnvironment } from '../eval/nodeEnvironment';
import type { CliIo } from './command';
import { basename } from 'node:path';
import type { AdapterSummary } from '../worker/adapterLibrary';
import { adapterPathFiles } from '../train/adapterPath';

export interface CliEngineOptions {
  /** Use SwiftShader when no Vulkan driver is chosen (`--software`). */
  software?: boolean;
  /** Default: runs kept in memory. */
  evaluationEnv?: EvaluationEnvironment;
  /** Default: memory (nothing outlives the command). */
  storage?: LabStorage;
  datasets?: DatasetOptions;
}

/**
 * The page's Engine for one command, so the CLI runs the lab's orchestration and job policy, not a copy. The Dawn
 * device opens on `engine.init()` (a command that never needs the GPU never opens it); `close` destroys it.
 */
export function cliEngine(options: CliEngineOptions = {}): { engine: Engine; close: () => void } {
  let gpu: Gpu | undefined;
  const openGpu = async () => (gpu = await createNodeGpu({ useSoftwareFallback: options.software ?? false }));
  const engine = new Engine(
    openGpu,
    options.evaluationEnv ?? nodeEvaluationEnvironment(),
    options.storage ?? new MemoryStorage(),
    options.datasets,
  );
  return { engine, close: () => gpu?.destroy() };
}

/** Runs `work` with Ctrl-C cancelling the engine job `jobId` (saying `message` on stderr) instead of killing the process. */
export async function cancelOnInterrupt<T>(engine: Engine, jobId: string, io: CliIo, message: string, work: () => Promise<T>): Promise<T> {
  const stop = () => {
    io.err(message);
    void engine.cancel(jobId);
  };
  process.once('SIGINT', stop);
  try {
    return await work();
  } finally {
    process.off('SIGINT', stop);
  }
}

/**
 * The LoRA adapter at `path` (a PEFT directory or a llama.cpp LoRA .gguf), read now so that a bad path fails before
 * minutes of model loading; `use` adds it to the engine's library under the path's name and makes generation and
 * evaluation use it (unmerged). What `generate --adapter` and `eval --adapter` share.
 */
export async function adapterAtPath(path: string): Promise<{ name: string; use(engine: Engine): Promise<AdapterSummary> }> {
  const files = await adapterPathFiles(path);
  const name = basename(path);
  return {
    name,
    async use(engine) {
      const adapter = await engine.importAdapter(files, name);
      await engine.useAdapter(adapter.id);
      return adapter;
    },
  };
}
