import { existsSync } from 'node:fs';
import type { CliCommand } from '../command';
import { CliUsageError } from '../command';
import { flag, numberFlag, parseArgs } from '../args';
import { LabError } from '../../errors';
import { openFileSource } from '../../formats/nodeFileSource';
import { DEFAULT_DECODE_BATCH } from '../../model/generateBatch';
import { adapterAtPath, cancelOnInterrupt, cliEngine } from '../engine';

export const command: CliCommand = {
  name: 'generate',
  summary: 'generate text from a GGUF model on the GPU (Dawn)',
  usage: `usage: lora-lab generate --model <file.gguf> --prompt <text>... [--max-tokens N] [--temperature T]
                          [--top-k K] [--top-p P] [--seed S] [--stop <text>]... [--context N] [--adapter <dir|file.gguf>]
                          [--batch N]

Streams the completion to stdout (only the generated text); progress and timings go to stderr. With several
--prompt, they decode together in batches and stdout gets one JSON object per prompt, in order, when all finish:
{"prompt", "text", "tokens", "stopReason"} (each the text and tokens the prompt gets alone).
  --max-tokens N     tokens to generate at most (default 128)
  --temperature T    0 is greedy (default 0)
  --top-k K          keep the K most likely tokens (default 40; 0 keeps all)
  --top-p P          keep the smallest set of tokens with probability mass ≥ P (default 0.95)
  --seed S           seed for sampling (default 0)
  --stop <text>      end before this text; may be given several times
  --context N        KV cache length in tokens (default: the model's, at most 2048)
  --adapter <path>   apply a LoRA adapter, unmerged: a PEFT directory (adapter_config.json +
                     adapter_model.safetensors) or a llama.cpp LoRA .gguf
  --batch N          prompts decoded together at most, with several --prompt (default 8)
  --software         use SwiftShader when no Vulkan driver is chosen`,
  async run(args, io) {
    const parsed = parseArgs(args, {
      values: ['model', 'prompt', 'max-tokens', 'temperature', 'top-k', 'top-p', 'seed', 'stop', 'context', 'adapter', 'batch'],
      switches: ['software'],
    });
    if (parsed.positional.length > 0) throw new CliUsageError(`unexpected argument "${parsed.positional[0]}"`);
    const modelPath = flag(parsed, 'model');
    const prompts = parsed.flags.get('prompt') ?? [];
    if (!modelPath) throw new CliUsageError('--model is required');
    if (prompts.length === 0) throw new CliUsageError('--prompt is required');
    const whole = (n: number) => Number.isInteger(n) && n >= 0;
    const maxTokens = numberFlag(parsed, 'max-tokens', 128, whole);
    const temperature = numberFlag(parsed, 'temperature', 0, (t) => t >= 0);
    const topK = numberFlag(parsed, 'top-k', 40, whole);
    const topP = numberFlag(parsed, 'top-p', 0.95, (p) => p > 0 && p <= 1);
    const seed = numberFlag(parsed, 'seed', 0, whole);
    const context =
      flag(parsed, 'context') === undefined ? undefined : numberFlag(parsed, 'context', 0, (n) => Number.isInteger(n) && n > 0);
    const batchSize = numberFlag(parsed, 'batch', DEFAULT_DECODE_BATCH, (n) => Number.isInteger(n) && n >= 1);
    if (!existsSync(modelPath)) throw new LabError('file not found', modelPath);
    const adapterPath = flag(parsed, 'adapter');
    const adapter = adapterPath === undefined ? undefined : await adapterAtPath(adapterPath);

    const { engine, close } = cliEngine({ software: parsed.flags.has('software') });
    try {
      const status = await engine.init();
      io.err(`GPU: ${status.gpuAdapterName}\n`);
      // A ByteSource, not fs.openAsBlob: Node 20 reports the size of a file over 4 GiB (a 7B GGUF) modulo 2^32.
      const info = await engine.loadModel(await openFileSource(modelPath), 'load', undefined, { maxContext: context });
      io.err(
        `loaded ${info.config.name} (${info.config.architecture}, ${info.config.nLayers} layers) in ${info.loadSeconds.toFixed(1)} s\n`,
      );
      if (adapter) {
        await adapter.use(engine);
        io.err(`applied the LoRA adapter in ${adapterPath}\n`);
      }
      const request = { maxTokens, temperature, topK, topP, seed, stop: parsed.flags.get('stop') ?? [] };
      if (prompts.length === 1) {
        const result = await cancelOnInterrupt(engine, 'generate', io, '\nstopping…\n', () =>
          engine.generate({ ...request, prompt: prompts[0] }, 'generate', (text) => io.out(text)),
        );
        io.out('\n');
        io.err(
          `${result.tokens.length} tokens (${result.stopReason}); prompt ${result.promptTokens} tokens in ${(result.prefillMs / 1000).toFixed(2)} s, ` +
            `decode ${result.decodeTokensPerSecond.toFixed(2)} tokens/s\n`,
        );
      } else {
        const started = performance.now();
        const results = await cancelOnInterrupt(engine, 'generate', io, 'stopping…\n', () =>
          engine.generateBatch(prompts, { ...request, batchSize }, 'generate'),
        );
        results.forEach((r, i) =>
          io.out(JSON.stringify({ prompt: prompts[i], text: r.text, tokens: r.tokens.length, stopReason: r.stopReason }) + '\n'),
        );
        const tokens = results.reduce((sum, r) => sum + r.tokens.length, 0);
        const seconds = (performance.now() - started) / 1000;
        io.err(
          `${prompts.length} prompts, ${Math.min(batchSize, prompts.length)} at a time: ${tokens} tokens in ${seconds.toFixed(2)} s (${(tokens / seconds).toFixed(2)} tokens/s with prefill)\n`,
        );
      }
      return 0;
    } finally {
      close();
    }
  },
};
