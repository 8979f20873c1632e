import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, openAsBlob, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readGguf } from '../../src/formats/gguf';
import { modelConfigFromGguf } from '../../src/model/config';
import { loraLayout, type LoraConfig } from '../../src/model/lora/lora';
import { exportGgufLora, importGgufLoraValues } from '../../src/model/lora/loraGguf';
import { exportPeft, importPeftValues } from '../../src/model/lora/loraPeft';
import { readPeftDirectory, writePeftDirectory } from '../../src/train/peftDirectory';
import { randomF32 } from '../../src/util/random';
import { cli } from '../setup/cli';
import { STORIES_PATH } from '../train/fixtures';

const dir = mkdtempSync(join(tmpdir(), 'lora-lab-export-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const lora: LoraConfig = { rank: 2, alpha: 4, dropout: 0, targets: ['q', 'up'], seed: 0 };

async function storiesAdapter() {
  const config = modelConfigFromGguf(await readGguf(await openAsBlob(STORIES_PATH)));
  const random = randomF32(loraLayout(config, lora).totalFloats, 9, 0.3);
  const values = (await importPeftValues(config, exportPeft(config, lora, random, 'x'))).values;
  await writePeftDirectory(join(dir, 'peft'), exportPeft(config, lora, values, 'stories260K.gguf'));
  return { config, values };
}

describe('lora-lab export', () => {
  it('refuses missing and unknown options before reading anything', async () => {
    const base = ['export', '--model', STORIES_PATH, '--adapter', join(dir, 'peft'), '--out', join(dir, 'x')];
    expect(await cli(base)).toMatchObject({ code: 2, err: expect.stringMatching(/--format must be one of gguf-lora, peft, merged/) });
    expect(await cli([...base, '--format', 'merged', '--quant', 'Q3_K'])).toMatchObject({
      code: 2,
      err: expect.stringMatching(/--quant must be one of F32, F16, Q8_0, Q4_0, Q4_K, Q6_K/),
    });
    expect(await cli(['export', '--adapter', 'a', '--format', 'peft', '--out', 'x'])).toMatchObject({
      code: 2,
      err: expect.stringMatching(/--model is required/),
    });
    expect(await cli([...base.slice(0, 3), '--adapter', join(dir, 'nowhere'), '--format', 'peft', '--out', join(dir, 'x')])).toMatchObject({
      code: 1,
      err: expect.stringMatching(/nowhere: not found/),
    });
  });

  it('PEFT → GGUF LoRA → PEFT keeps every value', async () => {
    const { config, values } = await storiesAdapter();
    const gguf = join(dir, 'lora.gguf');
    expect(
      (await cli(['export', '--model', STORIES_PATH, '--adapter', join(dir, 'peft'), '--format', 'gguf-lora', '--out', gguf])).code,
    ).toBe(0);
    expect((await importGgufLoraValues(config, await openAsBlob(gguf))).values).toEqual(values);
    expect((await cli(['export', '--model', STORIES_PATH, '--adapter', gguf, '--format', 'peft', '--out', join(dir, 'back')])).code).toBe(
      0,
    );
    expect((await importPeftValues(config, await readPeftDirectory(join(dir, 'back')))).values).toEqual(values);
  });

  it('refuses an adapter made for another model, and writes nothing', async () => {
    const config = modelConfigFromGguf(await readGguf(await openAsBlob(STORIES_PATH)));
    const other = join(dir, 'other.gguf');
    const wide = { ...config, nEmbd: 128 };
    writeFileSync(
      other,
      new Uint8Array(await exportGgufLora(wide, lora, new Float32Array(loraLayout(wide, lora).totalFloats), 'wide').arrayBuffer()),
    );
    const run = await cli(['export', '--model', STORIES_PATH, '--adapter', other, '--format', 'merged', '--out', join(dir, 'm.gguf')]);
    expect(run).toMatchObject({
      code: 1,
      err: expect.stringMatching(/blk.0.attn_q.weight.lora_a has ggml shape \[128, 2\], this model needs \[64, 2\]/),
    });
    expect(existsSync(join(dir, 'm.gguf'))).toBe(false);
  });

  it('merges with progress on stderr into a GGUF of the announced size', async () => {
    await storiesAdapter();
    const out = join(dir, 'merged.gguf');
    const run = await cli([
      'export',
      '--model',
      STORIES_PATH,
      '--adapter',
      join(dir, 'peft'),
      '--format',
      'merged',
      '--quant',
      'Q8_0',
      '--out',
      out,
    ]);
    expect(run.code, run.err).toBe(0);
    expect(run.err).toMatch(/merging: 10 tensors into Q8_0, \d+ copied/);
    expect(run.err).toMatch(/100%/);
    const file = await readGguf(await openAsBlob(out));
    expect(file.byteLength).toBe(readFileSync(out).length);
    expect(file.tensors.find((t) => t.name === 'blk.4.ffn_up.weight')?.type.name).toBe('Q8_0');
    expect(existsSync(`${out}.tmp`)).toBe(false);
  });
});
