import { afterAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, openAsBlob, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main';
import { readGguf } from '../../src/formats/gguf';
import { modelConfigFromGguf } from '../../src/model/config';
import { loraLayout, type LoraConfig } from '../../src/model/lora/lora';
import { exportGgufLora } from '../../src/model/lora/loraGguf';
import { exportPeft } from '../../src/model/lora/loraPeft';
import { writePeftDirectory } from '../../src/train/peftDirectory';
import { randomF32 } from '../../src/util/random';
import { sharedData } from '../sharedData';

const dir = mkdtempSync(join(tmpdir(), 'lora-lab-generate-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(args, { out: (t) => (out += t), err: (t) => (err += t) });
  return { code, out, err };
}

/** Eight greedy tokens of stories260K after "Once upon a time". */
const greedy = (extra: string[] = []) =>
  run([
    'generate',
    '--model',
    sharedData('tiny-models', 'stories260K.gguf'),
    '--prompt',
    'Once upon a time',
    '--max-tokens',
    '8',
    '--temperature',
    '0',
    '--software',
    ...extra,
  ]);

describe('lora-lab generate', () => {
  it('streams only the generated text to stdout, with timings on stderr', async () => {
    const r = await greedy();
    expect(r.code).toBe(0);
    expect(r.out).toBe(', there was a little girl\n');
    expect(r.err).toMatch(/8 tokens \(max-tokens\)/);
  });

  it('fails with a one-line error naming the file when the model does not exist', async () => {
    const r = await run(['generate', '--model', '/nonexistent/model.gguf', '--prompt', 'x']);
    expect(r.code).toBe(1);
    expect(r.err).toBe('lora-lab generate: /nonexistent/model.gguf: file not found\n');
  });

  it('names the path when --adapter is missing or a directory without a PEFT adapter', async () => {
    const model = sharedData('tiny-models', 'stories260K.gguf');
    const missing = await run(['generate', '--model', model, '--prompt', 'x', '--adapter', '/nonexistent/adapter']);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/^lora-lab generate: \/nonexistent\/adapter: not found/);
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    const r = await run(['generate', '--model', model, '--prompt', 'x', '--adapter', empty]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/: has no adapter_config\.json/);
  });

  it('applies the same adapter from a PEFT directory and from a llama.cpp LoRA GGUF, and it changes the text', async () => {
    const model = sharedData('tiny-models', 'stories260K.gguf');
    const config = modelConfigFromGguf(await readGguf(await openAsBlob(model)));
    const lora: LoraConfig = { rank: 4, alpha: 8, dropout: 0, targets: ['q', 'v', 'up', 'down'], seed: 0 };
    const values = randomF32(loraLayout(config, lora).totalFloats, 21, 0.5);
    await writePeftDirectory(join(dir, 'peft'), exportPeft(config, lora, values, 'stories260K.gguf'));
    const gguf = join(dir, 'adapter.gguf');
    writeFileSync(gguf, new Uint8Array(await exportGgufLora(config, lora, values, 'random').arrayBuffer()));
    const fromPeft = await greedy(['--adapter', join(dir, 'peft')]);
    const fromGguf = await greedy(['--adapter', gguf]);
    expect(fromPeft.code).toBe(0);
    expect(fromGguf.err).toMatch(/applied the LoRA adapter in .*adapter\.gguf/);
    expect(fromGguf.out).toBe(fromPeft.out);
    expect(fromPeft.out).not.toBe(', there was a little girl\n');
  });

  it('rejects a bad option before doing any work', async () => {
    const r = await run(['generate', '--model', 'm.gguf', '--prompt', 'x', '--top-p', '1.5']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--top-p: "1.5" is not a valid value/);
  });
});
