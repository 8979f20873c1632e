import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, openAsBlob, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main';
import { sharedData } from '../sharedData';
import { buildTinyModel, readGguf, writeGguf, type GgufReport } from '../../src/formats/gguf';

async function run(...argv: string[]) {
  let out = '';
  let err = '';
  const code = await main(['inspect', ...argv], {
    out: (t) => {
      out += t;
    },
    err: (t) => {
      err += t;
    },
  });
  return { code, out, err };
}

const STORIES = sharedData('tiny-models', 'stories260K.gguf');
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'lora-lab-inspect-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('lora-lab inspect', () => {
  it('prints header, summarised metadata, the tensor table and totals for stories260K', async () => {
    const { code, out, err } = await run(STORIES);
    expect(code).toBe(0);
    expect(err).toBe('');
    expect(out).toMatch(/^file +stories260K\.gguf \(1\.13 MiB\)$/m);
    expect(out).toMatch(/^format +GGUF v3, alignment 32, tensor data from byte 14176$/m);
    expect(out).toMatch(/^parameters +292,800 in 48 tensors/m);
    expect(out).toMatch(/^ {2}tokenizer\.ggml\.tokens +string\[\] +\[512\] "<unk>", "<s>", "<\/s>", "<0x00>", "<0x01>", …$/m);
    expect(out).toMatch(/^ {2}llama\.attention\.layer_norm_rms_epsilon +f32 +0\.00001$/m);
    expect(out).toMatch(/^ {2}blk\.0\.ffn_down\.weight +F32 +172 × 64 +43\.0 KiB$/m);
    expect(out).toMatch(/^totals by type\n +type +tensors +elements +bytes\n +F32 +48 +292,800 +1\.12 MiB$/m);
  });

  it('--json prints one object with every tensor and the totals', async () => {
    const { code, out } = await run(STORIES, '--json');
    expect(code).toBe(0);
    const report = JSON.parse(out) as GgufReport;
    expect(report.tensors).toHaveLength(48);
    expect(report.tensors[0]).toMatchObject({ name: 'token_embd.weight', type: 'F32', dims: [64, 512], bytes: 131072 });
    expect(report.totals).toEqual([{ type: 'F32', tensors: 48, elements: 292800, bytes: 1171200 }]);
    expect(report.metadata.find((m) => m.key === 'llama.block_count')).toEqual({ key: 'llama.block_count', type: 'u32', value: '5' });
  });

  it('totals a mixed-quant file by type (a Q4_K_M-style model from our writer)', async () => {
    const vocabulary = await readGguf(await openAsBlob(STORIES));
    const model = buildTinyModel({
      architecture: 'llama',
      vocabulary,
      embeddingLength: 256,
      blockCount: 1,
      headCount: 4,
      headCountKv: 2,
      feedForwardLength: 256,
      weightType: 'Q4_K',
      outputType: 'Q6_K',
      embeddingType: 'Q4_K',
      seed: 1,
    });
    const path = join(dir, 'mixed.gguf');
    writeFileSync(path, new Uint8Array(await writeGguf(model.metadata, model.tensors).arrayBuffer()));
    const report = JSON.parse((await run(path, '--json')).out) as GgufReport;
    const totals = Object.fromEntries(report.totals.map((t) => [t.type, t.tensors]));
    expect(totals).toEqual({ Q4_K: 8, Q6_K: 1, F32: 3 });
  });

  it('fails with one line naming the file and the field for a corrupt file', async () => {
    const path = join(dir, 'corrupt.gguf');
    const bytes = new Uint8Array(64);
    bytes.set([0x47, 0x47, 0x55, 0x46, 3, 0, 0, 0]);
    bytes.set([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0], 8); // tensor count 2^48 - 1
    writeFileSync(path, bytes);
    const { code, out, err } = await run(path);
    expect(code).toBe(1);
    expect(out).toBe('');
    expect(err.trimEnd().split('\n')).toHaveLength(1);
    expect(err).toMatch(/^lora-lab inspect: .*corrupt\.gguf \(byte 8\): tensor count is 281474976710655/);
  });

  it('fails naming the path when the file does not exist', async () => {
    const { code, err } = await run(join(dir, 'missing.gguf'));
    expect(code).toBe(1);
    expect(err).toMatch(/missing\.gguf: file not found/);
  });

  it('is a usage error without a file', async () => {
    const { code, err } = await run();
    expect(code).toBe(2);
    expect(err).toMatch(/give exactly one model file/);
  });
});
