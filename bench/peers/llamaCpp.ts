/**
 * llama.cpp as a speed peer, Node-side (its Vulkan build cannot run in a page): prefill and decode tokens/s
 * of a GGUF file through node-llama-cpp (version pinned in package.json), on the CPU or with the Vulkan backend
 * on the device the environment gives it (bench/peers/llamaCppChild.ts runs this file as a child process, with
 * SwiftShader made visible where our engine ran on SwiftShader).
 *
 *   node --import tsx bench/peers/llamaCpp.ts --model <file.gguf> [--backend cpu|vulkan] [--prompt-tokens N]
 *        [--decode-tokens N] [--threads N]
 *
 * Prints JSON lines: { device } once the backend is up (before the model loads, so a crash still names the
 * device), then either { backend, device, model, promptTokens, prefillTokensPerSecond, decodeTokens,
 * decodeTokensPerSecond } or { error }. Token ids are a fixed sequence of ordinary tokens, so no tokenizer is
 * involved.
 */
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getLlama, LlamaLogLevel, type Token } from 'node-llama-cpp';
import { flag, numberFlag, parseArgs } from '../../src/cli/args';
import { benchTokens } from '../modelInputs';

export type LlamaCppBackend = 'cpu' | 'vulkan';

export interface LlamaCppSpeed {
  backend: LlamaCppBackend;
  device: string;
  model: string;
  promptTokens: number;
  prefillTokensPerSecond: number;
  decodeTokens: number;
  decodeTokensPerSecond: number;
}

export async function measureLlamaCpp(
  modelPath: string,
  backend: LlamaCppBackend,
  promptTokens = 64,
  decodeTokens = 16,
  threads = 2,
  onDevice: (device: string) => void = () => {},
): Promise<LlamaCppSpeed> {
  const llama = await getLlama({ gpu: backend === 'cpu' ? false : 'vulkan', build: 'never', logLevel: LlamaLogLevel.error });
  try {
    // With no Vulkan device it would use, node-llama-cpp quietly runs on the CPU: that is no Vulkan figure.
    if (backend === 'vulkan' && !llama.supportsGpuOffloading)
      throw new Error('no Vulkan device: ggml_vulkan found none it would use, and node-llama-cpp would run on the CPU');
    const device =
      backend === 'cpu' ? `CPU, ${threads} threads` : (await llama.getGpuDeviceNames()).join(', ') || 'device name not reported';
    onDevice(device);
    const model = await llama.loadModel({ modelPath, gpuLayers: backend === 'cpu' ? 0 : 'max' });
    try {
      const context = await model.createContext({ contextSize: Math.max(256, promptTokens + decodeTokens + 16), threads });
      try {
        const ids = benchTokens(promptTokens) as Token[];
        const sequence = context.getSequence();
        const decode = async (count: number): Promise<number> => {
          let generated = 0;
          for await (const token of sequence.evaluate([ids[0]], { temperature: 0, yieldEogToken: true })) {
            void token;
            if (++generated === count) break;
          }
          return generated;
        };
        // Warm-up, as ours and wllama get one: llama.cpp sizes its compute graphs on the first prompt and token.
        await sequence.evaluateWithoutGeneratingNewTokens(ids);
        await decode(2);
        await sequence.clearHistory();
        const prefillStart = performance.now();
        await sequence.evaluateWithoutGeneratingNewTokens(ids);
        const prefillSeconds = (performance.now() - prefillStart) / 1000;
        const decodeStart = performance.now();
        const generated = await decode(decodeTokens);
        const decodeSeconds = (performance.now() - decodeStart) / 1000;
        return {
          backend,
          device,
          model: basename(modelPath),
          promptTokens,
          prefillTokensPerSecond: promptTokens / prefillSeconds,
          decodeTokens: generated,
          decodeTokensPerSecond: generated / decodeSeconds,
        };
      } finally {
        await context.dispose();
      }
    } finally {
      await model.dispose();
    }
  } finally {
    await llama.dispose();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = parseArgs(process.argv.slice(2), { values: ['model', 'backend', 'prompt-tokens', 'decode-tokens', 'threads'] });
  const model = flag(args, 'model');
  const backend = flag(args, 'backend') ?? 'cpu';
  if (!model || (backend !== 'cpu' && backend !== 'vulkan')) {
    process.stderr.write(
      'usage: llamaCpp.ts --model <file.gguf> [--backend cpu|vulkan] [--prompt-tokens N] [--decode-tokens N] [--threads N]\n',
    );
    process.exit(2);
  }
  try {
    const result = await measureLlamaCpp(
      model,
      backend,
      numberFlag(args, 'prompt-tokens', 64, Number.isInteger),
      numberFlag(args, 'decode-tokens', 16, Number.isInteger),
      numberFlag(args, 'threads', 2, Number.isInteger),
      (device) => console.log(JSON.stringify({ device })),
    );
    console.log(JSON.stringify(result));
  } catch (error) {
    console.log(JSON.stringify({ error: error instanceof Error ? error.message : String(error) }));
    process.exit(1);
  }
}
