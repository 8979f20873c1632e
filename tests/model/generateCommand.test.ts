import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main';
import { sharedData } from '../sharedData';

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(args, { out: (t) => (out += t), err: (t) => (err += t) });
  return { code, out, err };
}

describe('lora-lab generate', () => {
  it('streams only the generated text to stdout, with timings on stderr', async () => {
    const model = sharedData('tiny-models', 'stories260K.gguf');
    const r = await run([
      'generate',
      '--model',
      model,
      '--prompt',
      'Once upon a time',
      '--max-tokens',
      '8',
      '--temperature',
      '0',
      '--software',
    ]);
    expect(r.code).toBe(0);
    expect(r.out).toBe(', there was a little girl\n');
    expect(r.err).toMatch(/8 tokens \(max-tokens\)/);
  });

  it('fails with a one-line error naming the file when the model does not exist', async () => {
    const r = await run(['generate', '--model', '/nonexistent/model.gguf', '--prompt', 'x']);
    expect(r.code).toBe(1);
    expect(r.err).toBe('lora-lab generate: /nonexistent/model.gguf: file not found\n');
  });

  it('names the directory when --adapter holds no PEFT adapter', async () => {
    const model = sharedData('tiny-models', 'stories260K.gguf');
    const r = await run(['generate', '--model', model, '--prompt', 'x', '--adapter', '/nonexistent/adapter']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^lora-lab generate: \/nonexistent\/adapter: has no adapter_config\.json/);
  });

  it('rejects a bad option before doing any work', async () => {
    const r = await run(['generate', '--model', 'm.gguf', '--prompt', 'x', '--top-p', '1.5']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--top-p: "1.5" is not a valid value/);
  });
});
