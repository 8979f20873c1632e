/**
 * llama.cpp as a speed peer, Node-side (its Vulkan build cannot run in a page): prefill and decode tokens/s
 * of a GGUF file through node-llama-cpp (version pinned in package.json), on the CPU and with the Vulkan
 * backend on whatever device VK_ICD_FILENAMES names (SwiftShader here: the device our WebGPU runs on).
 *
 *   node --import tsx bench/peers/llamaCpp.ts --model <file.gguf> [--backend cpu|vulkan] [--prompt-tokens N]
 *        [--decode-tokens N] [--threads N]
 *
 * Prints one JSON line: { backend, device, model, promptTokens, prefillTokensPerSecond, decodeTokens,
 * decodeTokensPerSecond }. Token ids are a fixed sequence of ordinary tokens, so no tokenizer is involved.
 */
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getLlama, type Token } from 'node-llama-cpp';
import { flag, numberFlag, parseArgs } from '../../src/cli/args';
import { benchTokens } from '../modelInputs';

export interface LlamaCppSpeed {
  backend: 'cpu' | 'vulkan';
  device: string;
  model: string;
  promptTokens: number;
  prefillTokensPerSecond: number;
  decodeTokens: number;
  decodeTokensPerSecond: number;
}

export async function measureLlamaCpp(
  modelPath: string,
  backend: 'cpu' | 'vulkan',
  promptTokens = 64,
  decodeTokens = 16,
  threads = 2,
): Promise<LlamaCppSpeed> {
  const llama = await getLlama(
    backend === 'cpu'
      ? { gpu: false, build: 'never', logLevel: 'error' as never }
      : { gpu: 'vulkan', build: 'never', logLevel: 'error' as never },
  );
  const model = await llama.loadModel({ modelPath, gpuLayers: backend === 'cpu' ? 0 : 'max' });
  const context = await model.createContext({ contextSize: Math.max(256, promptTokens + decodeTokens + 16), threads });
  try {
    const device =
      backend === 'cpu'
        ? `CPU, ${threads} threads`
        : `gpu=${String(llama.gpu)} ${(await llama.getGpuDeviceNames()).join(', ') || 'device name not reported'}`;
    const ids = benchTokens(promptTokens) as Token[];
    const sequence = context.getSequence();
    const prefillStart = performance.now();
    await sequence.evaluateWithoutGeneratingNewTokens(ids);
    const prefillSeconds = (performance.now() - prefillStart) / 1000;
    let generated = 0;
    const decodeStart = performance.now();
    for await (const token of sequence.evaluate([ids[0]], { temperature: 0, yieldEogToken: true })) {
      void token;
      if (++generated === decodeTokens) break;
    }
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
    await model.dispose();
    await llama.dispose();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = parseArgs(process.argv.slice(2), { values: ['model', 'backend', 'prompt-tokens', 'decode-tokens', 'threads'] });
  const model = flag(args, 'model');
  const backend = (flag(args, 'backend') ?? 'cpu') as 'cpu' | 'vulkan';
  if (!model || !['cpu', 'vulkan'].includes(backend)) {
    process.stderr.write(
      'usage: llamaCpp.ts --model <file.gguf> [--backend cpu|vulkan] [--prompt-tokens N] [--decode-tokens N] [--threads N]\n',
    );
    process.exit(2);
  }
  const result = await measureLlamaCpp(
    model,
    backend,
    numberFlag(args, 'prompt-tokens', 64, Number.isInteger),
    numberFlag(args, 'decode-tokens', 16, Number.isInteger),
    numberFlag(args, 'threads', 2, Number.isInteger),
  );
  console.log(JSON.stringify(result));
}
