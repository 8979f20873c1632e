import { Wllama } from '@wllama/wllama';
import wllamaWasmUrl from '@wllama/wllama/esm/wasm/wllama.wasm?url';
import { readGguf } from '../../src/formats/gguf';
import { Tokenizer, vocabFromGguf } from '../../src/tokenizer';
import { wllamaCompletionRequest } from './wllamaRequest';

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
  /** How many tokens the request barred because their pieces are not whole UTF-8 (see wllamaRequest.ts). */
  barredTokens: number;
}

interface CompletionTimings {
  prompt_n: number;
  prompt_per_second: number;
  predicted_n: number;
  predicted_per_second: number;
}

export async function measureWllama(model: Blob, promptTokens: number, decodeTokens: number): Promise<WllamaSpeed> {
  const tokenizer = new Tokenizer(vocabFromGguf(await readGguf(model)));
  const request = wllamaCompletionRequest(tokenizer, promptTokens, decodeTokens);
  const logLines: string[] = [];
  // An error inside its wasm reaches the page only as a consequence (a bad reply length): its first logged error
  // line is the cause.
  let firstError: string | undefined;
  const keep = (...args: unknown[]) => {
    if (logLines.length < 400) logLines.push(args.map(String).join(' ').trim());
  };
  const keepError = (...args: unknown[]) => {
    keep(...args);
    firstError ??= args.map(String).join(' ').split('\n')[0].trim();
  };
  const wllama = new Wllama({ default: wllamaWasmUrl }, { logger: { debug: keep, log: keep, warn: keep, error: keepError } });
  try {
    await wllama.loadModel([model], { n_ctx: 512, n_threads: 1 });
    // Warm-up, then the measured run with llama.cpp's own prompt and generation timings.
    await wllama.createCompletion({ ...request, max_tokens: 2 } as never);
    const result = await wllama.createCompletion(request as never);
    const t = (result as { timings?: CompletionTimings }).timings;
    if (!t) throw new Error('wllama returned no timings');
    const gpuLine = logLines.find((l) => /webgpu/i.test(l));
    return {
      promptTokens: t.prompt_n,
      prefillTokensPerSecond: t.prompt_per_second,
      decodeTokens: t.predicted_n,
      decodeTokensPerSecond: t.predicted_per_second,
      backend: gpuLine ? `log: ${gpuLine.slice(0, 120)}` : `CPU: none of its ${logLines.length} log lines mentions WebGPU`,
      barredTokens: request.logit_bias.length,
    };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(firstError && firstError !== message ? `${message} (its first logged error: ${firstError})` : message, {
      cause: error,
    });
  } finally {
    await wllama.exit();
  }
}
