import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ModelConfig } from '../../src/model/config';
import { loraLayout, type LoraConfig } from '../../src/model/lora/lora';
import { exportPeft, hfRowOfGgufRow, importPeftValues, peftKey, permuteLoraB } from '../../src/model/lora/loraPeft';
import { PROJECTIONS } from '../../src/model/tensorNames';
import { readSafetensors, writeSafetensors } from '../../src/formats/safetensors';
import { readPeftDirectory } from '../../src/train/peftDirectory';
import { PEFT_CONFIG_FILE, PEFT_WEIGHTS_FILE } from '../../src/train/peftFiles';
import { randomF32 } from '../../src/util/random';

const base: ModelConfig = {
  architecture: 'llama',
  name: 'tiny',
  nLayers: 2,
  nEmbd: 32,
  nHeads: 4,
  nKvHeads: 2,
  headDim: 8,
  nFf: 44,
  nVocab: 100,
  contextLength: 64,
  rmsEps: 1e-5,
  ropeMode: 'normal',
  ropeFreqBase: 10000,
  ropeFreqScale: 1,
  nRot: 8,
  slidingWindow: 0,
  tiedEmbeddings: false,
  qkvBias: false,
};
const qwen: ModelConfig = { ...base, architecture: 'qwen2', ropeMode: 'neox', qkvBias: true };
const lora: LoraConfig = { rank: 4, alpha: 8, dropout: 0, targets: PROJECTIONS, seed: 1 };

function randomValues(model: ModelConfig, config: LoraConfig, seed: number): Float32Array {
  const { slots, totalFloats } = loraLayout(model, config);
  const values = new Float32Array(totalFloats);
  const noise = randomF32(totalFloats, seed);
  for (const s of slots) {
    values.set(noise.subarray(s.aOffset, s.aOffset + config.rank * s.inFeatures), s.aOffset);
    values.set(noise.subarray(s.bOffset, s.bOffset + s.outFeatures * config.rank), s.bOffset);
  }
  return values;
}

describe('PEFT adapter files', () => {
  it('name every tensor as PEFT does, with A [r, in] and B [out, r]', async () => {
    const files = exportPeft(base, lora, randomValues(base, lora, 3), 'org/tiny');
    const file = await readSafetensors(files.weights);
    const shapes = Object.fromEntries(file.tensors.map((t) => [t.name, t.shape]));
    expect(Object.keys(shapes)).toHaveLength(2 * 7 * 2);
    expect(shapes['base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight']).toEqual([4, 32]);
    expect(shapes['base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight']).toEqual([32, 4]);
    expect(shapes['base_model.model.model.layers.1.self_attn.k_proj.lora_B.weight']).toEqual([16, 4]);
    expect(shapes['base_model.model.model.layers.1.self_attn.o_proj.lora_A.weight']).toEqual([4, 32]);
    expect(shapes['base_model.model.model.layers.1.mlp.gate_proj.lora_B.weight']).toEqual([44, 4]);
    expect(shapes['base_model.model.model.layers.1.mlp.down_proj.lora_A.weight']).toEqual([4, 44]);
    const config = JSON.parse(files.config);
    expect(config).toMatchObject({
      peft_type: 'LORA',
      task_type: 'CAUSAL_LM',
      r: 4,
      lora_alpha: 8,
      lora_dropout: 0,
      bias: 'none',
      base_model_name_or_path: 'org/tiny',
      target_modules: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'],
    });
  });

  for (const model of [base, qwen]) {
    it(`round-trip bit-exactly through export and import (${model.architecture}), also through a directory`, async () => {
      const values = randomValues(model, lora, 5);
      const dir = mkdtempSync(join(tmpdir(), 'lora-lab-peft-'));
      try {
        const files = exportPeft(model, lora, values, 'x');
        writeFileSync(join(dir, PEFT_CONFIG_FILE), files.config);
        writeFileSync(join(dir, PEFT_WEIGHTS_FILE), new Uint8Array(await files.weights.arrayBuffer()));
        const back = await importPeftValues(model, await readPeftDirectory(dir), lora.seed);
        expect(back.lora).toEqual(lora);
        expect(Buffer.from(back.values.buffer).equals(Buffer.from(values.buffer))).toBe(true);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  it('write lora_dropout into adapter_config.json and read it back', async () => {
    const withDropout = { ...lora, dropout: 0.05 };
    const exported = exportPeft(base, withDropout, randomValues(base, withDropout, 8), 'x');
    expect(JSON.parse(exported.config).lora_dropout).toBe(0.05);
    expect((await importPeftValues(base, exported, lora.seed)).lora).toEqual(withDropout);
  });

  it('move Q and K rows between GGUF (adjacent pairs) and Hugging Face (halves) order as llama.cpp converts', () => {
    // One head of 4 rows: HF rotates (r0, r2) and (r1, r3); llama.cpp stores them as pairs r0 r2 | r1 r3.
    expect(Array.from(hfRowOfGgufRow({ ...base, nHeads: 1, nKvHeads: 1, headDim: 4 }, 'q')!)).toEqual([0, 2, 1, 3]);
    // Q permutes per query head, K per KV head (8 rows each), everything else and neox models not at all.
    const q = hfRowOfGgufRow(base, 'q')!;
    expect(Array.from(q.subarray(8, 16))).toEqual([8, 12, 9, 13, 10, 14, 11, 15]);
    expect(hfRowOfGgufRow(base, 'k')).toHaveLength(16);
    for (const p of ['v', 'o', 'gate', 'up', 'down'] as const) expect(hfRowOfGgufRow(base, p)).toBeUndefined();
    expect(hfRowOfGgufRow(qwen, 'q')).toBeUndefined();
    const b = randomF32(32 * 4, 9);
    const exported = permuteLoraB(b, 4, q, 'export');
    expect(Array.from(exported.subarray(4 * 4, 4 * 5))).toEqual(Array.from(b.subarray(4 * 1, 4 * 2))); // GGUF row 1 (j 0, s 1) → HF row 4
    expect(permuteLoraB(exported, 4, q, 'import')).toEqual(b);
  });

  it('import adapters with F16 weights, layers_to_transform and rsLoRA scaling', async () => {
    const values = randomValues(base, lora, 6);
    const exported = exportPeft(base, lora, values, 'x');
    const file = await readSafetensors(exported.weights);
    const tensors = await Promise.all(
      file.tensors
        .filter((t) => t.name.includes('layers.1.'))
        .map(async (t) => ({
          name: t.name,
          dtype: 'F16' as const,
          shape: t.shape,
          values: new Float32Array(await exported.weights.slice(t.offset, t.offset + t.byteLength).arrayBuffer()),
        })),
    );
    const config = { ...JSON.parse(exported.config), layers_to_transform: [1], use_rslora: true };
    const back = await importPeftValues(base, { config: JSON.stringify(config), weights: writeSafetensors(tensors) });
    expect(back.lora.alpha).toBeCloseTo(8 * 2, 12);
    const { slots } = loraLayout(base, lora);
    const s0 = slots.find((s) => s.layer === 0 && s.projection === 'v')!;
    const s1 = slots.find((s) => s.layer === 1 && s.projection === 'v')!;
    expect(back.values.subarray(s0.aOffset, s0.aOffset + 4 * 32).every((x) => x === 0)).toBe(true);
    for (let i = 0; i < 4 * 32; i++) expect(Math.abs(back.values[s1.aOffset + i] - values[s1.aOffset + i])).toBeLessThan(1e-3);
  });

  it('refuse adapters that do not fit the model, naming the tensor', async () => {
    const exported = exportPeft(base, lora, randomValues(base, lora, 7), 'x');
    const wider = { ...base, nEmbd: 64, nHeads: 8, nKvHeads: 4 };
    await expect(importPeftValues(wider, exported)).rejects.toThrow(
      /layers\.0\.self_attn\.q_proj\.lora_A\.weight has shape \[4, 32\], this model needs \[4, 64\]/,
    );
    await expect(importPeftValues({ ...base, nLayers: 3 }, exported)).rejects.toThrow(
      new RegExp(`has no ${peftKey(2, 'q', 'A').replace(/\./g, '\\.')}`),
    );
    await expect(
      importPeftValues(base, { ...exported, config: '{"peft_type":"LORA","r":4,"target_modules":["q_proj","qkv"]}' }),
    ).rejects.toThrow(/qkv/);
    await expect(importPeftValues(base, { ...exported, config: 'not json' })).rejects.toThrow(/adapter_config\.json: is not valid JSON/);
  });
});
