import { Wllama } from '@wllama/wllama';
import wllamaWasmUrl from '@wllama/wllama/esm/wasm/wllama.wasm?url';

/**
 * wllama (npm @wllama/wllama, version pinned in package.json): llama.cpp compiled to WebAssembly, with llama.cpp's
 * WebGPU backend where the adapter allows it. The in-browser alternative a user would pick, run in the same
 * page on the same files. Its wasm is served by Vite from node_modules: nothing is fetched from the internet.
 * Without cross-origin isolation (the bench page has none) it runs single-threaded.
 */
export interface WllamaSpeed {
  promptTokens: number;
  prefillTokensPerSecond: number;
  decodeTokens: number;
  decodeTokensPerSecond: number;
  /** What its log said about the backends it registered (WebGPU or CPU only). */
  backend: string;
}

export async function measureWllama(model: Blob, promptText: string, decodeTokens: number): Promise<WllamaSpeed> {
  const backendLines: string[] = [];
  const keep = (...args: unknown[]) => {
    const line = args.map(String).join(' ');
    if (backendLines.length < 400) backendLines.push(line.trim());
  };
  const wllama = new Wllama({ default: wllamaWasmUrl }, { logger: { debug: keep, log: keep, warn: keep, error: keep } });
  try {
    await wllama.loadModel([model], { n_ctx: 512, n_threads: 1 });
    // Warm-up, then the measured run with llama.cpp's own prompt and generation timings.
    await wllama.createCompletion({ prompt: promptText, max_tokens: 2, temperature: 0 });
    const result = await wllama.createCompletion({
      prompt: promptText,
      max_tokens: decodeTokens,
      temperature: 0,
      cache_prompt: false,
    } as never);
    const t = (result as { timings?: { prompt_n: number; prompt_per_second: number; predicted_n: number; predicted_per_second: number } })
      .timings;
    if (!t) throw new Error('wllama returned no timings');
    const gpuLine = backendLines.find((l) => /webgpu/i.test(l));
    return {
      promptTokens: t.prompt_n,
      prefillTokensPerSecond: t.prompt_per_second,
      decodeTokens: t.predicted_n,
      decodeTokensPerSecond: t.predicted_per_second,
      backend: gpuLine ? `log: ${gpuLine.slice(0, 120)}` : `CPU: none of its ${backendLines.length} log lines mentions WebGPU`,
    };
  } finally {
    await wllama.exit();
  }
}
