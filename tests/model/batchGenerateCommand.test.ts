import { describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main';
import { sharedData } from '../sharedData';

// Two runs of the command (each compiles its pipelines afresh) on SwiftShader that other work shares.
vi.setConfig({ testTimeout: 600_000 });

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(args, { out: (t) => (out += t), err: (t) => (err += t) });
  return { code, out, err };
}

describe('lora-lab generate with several prompts', () => {
  it('decodes them together and prints one JSON line per prompt, in order, each what that prompt gives alone', async () => {
    const model = sharedData('tiny-models', 'stories260K.gguf');
    const prompts = ['Once upon a time', 'The sun', 'Tim had a red ball. He'];
    const common = ['generate', '--model', model, '--max-tokens', '12', '--temperature', '0', '--stop', 'Lily', '--software'];
    const batched = await run([...common, ...prompts.flatMap((p) => ['--prompt', p]), '--batch', '2']);
    expect(batched.code).toBe(0);
    expect(batched.err).toMatch(/3 prompts, 2 at a time: \d+ tokens in [\d.]+ s/);
    const lines = batched.out
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { prompt: string; text: string; tokens: number; stopReason: string });
    expect(lines.map((l) => l.prompt)).toEqual(prompts);
    // "Once upon a time" continues ", there was a little girl named Lily" (llama.cpp's greedy text): the stop string ends it.
    expect(lines[0]).toMatchObject({ text: ', there was a little girl named ', stopReason: 'stop-string' });
    expect(lines.slice(1).map((l) => l.tokens)).toEqual([12, 12]);
    // --batch 1 generates the prompts one after another, each exactly as `generate` does alone.
    const oneByOne = await run([...common, ...prompts.flatMap((p) => ['--prompt', p]), '--batch', '1']);
    expect(oneByOne.out).toBe(batched.out);
  });
});
