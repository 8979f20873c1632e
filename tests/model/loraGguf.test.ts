import { describe, expect, it } from 'vitest';
import { GgufValueType, readGguf, writeGguf } from '../../src/formats/gguf';
import { f16ToF32, f32ToF16, quantize } from '../../src/formats/quant';
import type { ModelConfig } from '../../src/model/config';
import { loraLayout, type LoraConfig } from '../../src/model/lora/lora';
import { exportGgufLora, ggufLoraTensorName, importGgufLoraValues } from '../../src/model/lora/loraGguf';
import { exportPeft, importPeftValues } from '../../src/model/lora/loraPeft';
import { PROJECTIONS } from '../../src/model/tensorNames';
import { randomF32 } from '../../src/util/random';

/** A Llama-shaped config (normal RoPE: PEFT permutes its Q/K rows, GGUF LoRA must not) and a Qwen2-shaped one. */
function config(architecture: 'llama' | 'qwen2'): ModelConfig {
  return {
    architecture,
    name: `tiny-${architecture}`,
    nLayers: 2,
    nEmbd: 64,
    nHeads: 4,
    nKvHeads: 2,
    headDim: 16,
    nFf: 96,
    nVocab: 128,
    contextLength: 256,
    rmsEps: 1e-5,
    ropeMode: architecture === 'qwen2' ? 'neox' : 'normal',
    ropeFreqBase: 10000,
    ropeFreqScale: 1,
    nRot: 16,
    slidingWindow: 0,
    tiedEmbeddings: architecture === 'qwen2',
    qkvBias: architecture === 'qwen2',
  };
}

const SEED = 7;

function adapter(model: ModelConfig, lora: LoraConfig): Float32Array {
  const values = randomF32(loraLayout(model, lora).totalFloats, SEED, 0.5);
  // Padding stays 0, as in every adapter the lab makes.
  const kept = new Float32Array(values.length);
  const r = lora.rank;
  for (const s of loraLayout(model, lora).slots) {
    kept.set(values.subarray(s.aOffset, s.aOffset + r * s.inFeatures), s.aOffset);
    kept.set(values.subarray(s.bOffset, s.bOffset + s.outFeatures * r), s.bOffset);
  }
  return kept;
}

const ALL: LoraConfig = { rank: 4, alpha: 8, dropout: 0, targets: PROJECTIONS, seed: 0 };

describe('GGUF LoRA files (llama.cpp adapter format)', () => {
  it('carry the metadata llama.cpp checks and A [in, rank], B [rank, out] in ggml order, F32', async () => {
    const model = config('llama');
    const values = adapter(model, ALL);
    const file = await readGguf(exportGgufLora(model, ALL, values, 'mine'));
    expect(file.metadata.get('general.type')).toBe('adapter');
    expect(file.metadata.get('adapter.type')).toBe('lora');
    expect(file.metadata.get('general.architecture')).toBe('llama');
    expect(file.metadata.get('adapter.lora.alpha')).toBe(8);
    expect(file.metadataTypes.get('adapter.lora.alpha')).toEqual({ type: GgufValueType.FLOAT32 });
    expect(file.tensors).toHaveLength(2 * 2 * PROJECTIONS.length);
    const q = file.tensors.find((t) => t.name === 'blk.1.attn_q.weight.lora_a')!;
    const down = file.tensors.find((t) => t.name === 'blk.0.ffn_down.weight.lora_b')!;
    expect([q.dims, q.type.name]).toEqual([[64, 4], 'F32']);
    expect([down.dims, down.type.name]).toEqual([[4, 64], 'F32']);
    expect(ggufLoraTensorName(3, 'o', 'b')).toBe('blk.3.attn_output.weight.lora_b');
  });

  it.each(['llama', 'qwen2'] as const)(
    '%s: export then import gives back every value exactly, with no Q/K row permutation',
    async (arch) => {
      const model = config(arch);
      const lora: LoraConfig = { rank: 3, alpha: 5, dropout: 0, targets: ['q', 'k', 'down'], seed: 0 };
      const values = adapter(model, lora);
      const back = await importGgufLoraValues(model, exportGgufLora(model, lora, values, 'x'));
      expect(back.lora).toMatchObject({ rank: 3, alpha: 5, targets: ['q', 'k', 'down'] });
      expect(back.values).toEqual(values);
      // B of Q in the file is our B as it is (GGUF row order), not the PEFT (Hugging Face) order.
      const file = await readGguf(exportGgufLora(model, lora, values, 'x'));
      const slot = loraLayout(model, lora).slots.find((s) => s.projection === 'q' && s.layer === 0)!;
      const b = file.tensors.find((t) => t.name === 'blk.0.attn_q.weight.lora_b')!;
      const bytes = new Uint8Array(
        await exportGgufLora(model, lora, values, 'x')
          .slice(b.offset, b.offset + b.byteLength)
          .arrayBuffer(),
      );
      expect(new Float32Array(bytes.buffer)).toEqual(values.subarray(slot.bOffset, slot.bOffset + slot.outFeatures * 3));
    },
  );

  it('an imported GGUF adapter stored as PEFT files (the library) reads back exactly', async () => {
    const model = config('llama');
    const values = adapter(model, ALL);
    const imported = await importGgufLoraValues(model, exportGgufLora(model, ALL, values, 'x'));
    const peft = exportPeft(model, imported.lora, imported.values, 'base.gguf');
    expect((await importPeftValues(model, peft)).values).toEqual(values);
  });

  it('reads F16 tensors (convert_lora_to_gguf.py --outtype f16) as their f16 values', async () => {
    const model = config('qwen2');
    const values = adapter(model, ALL);
    const back = await importGgufLoraValues(model, exportGgufLora(model, ALL, values, 'x', 'F16'));
    const rounded = Float32Array.from(values, (v) => f16ToF32(f32ToF16(v)));
    expect(back.values).toEqual(rounded);
  });

  it('layers without an adapter read as zeros, and a missing alpha means scale 1 as in llama.cpp', async () => {
    const model = config('llama');
    const a = new Float32Array(64 * 2).fill(0.25);
    const b = new Float32Array(64 * 2).fill(-0.5);
    const blob = writeGguf(
      [
        { key: 'general.architecture', value: 'llama' },
        { key: 'general.type', value: 'adapter' },
        { key: 'adapter.type', value: 'lora' },
      ],
      [
        { name: 'blk.1.attn_v.weight.lora_a', dims: [64, 2], type: 'F32', data: quantize('F32', a) },
        { name: 'blk.1.attn_v.weight.lora_b', dims: [2, 32], type: 'F32', data: quantize('F32', b.subarray(0, 64)) },
        { name: 'blk.1.attn_norm.weight', dims: [64], type: 'F32', data: quantize('F32', new Float32Array(64)) },
      ],
    );
    const { lora, values } = await importGgufLoraValues(model, blob);
    expect(lora).toMatchObject({ rank: 2, alpha: 2, targets: ['v'] });
    const [l0, l1] = loraLayout(model, lora).slots;
    expect(values.subarray(l0.aOffset, l0.aOffset + 128).every((v) => v === 0)).toBe(true);
    expect(values.subarray(l1.aOffset, l1.aOffset + 128)).toEqual(a);
  });

  describe('refuses, naming the problem', () => {
    const model = config('llama');
    const lora: LoraConfig = { rank: 2, alpha: 2, dropout: 0, targets: ['q'], seed: 0 };
    const good = () => exportGgufLora(model, lora, adapter(model, lora), 'x');

    it('a model file', async () => {
      const blob = writeGguf([{ key: 'general.architecture', value: 'llama' }], []);
      await expect(importGgufLoraValues(model, blob)).rejects.toThrow(/general.type is undefined .* not "adapter" and "lora"/);
    });

    it('an adapter for another architecture', async () => {
      await expect(importGgufLoraValues(config('qwen2'), good())).rejects.toThrow(/for a "llama" model, the loaded model is "qwen2"/);
    });

    it('an adapter for other shapes', async () => {
      await expect(importGgufLoraValues({ ...model, nEmbd: 128 }, good())).rejects.toThrow(
        /blk.0.attn_q.weight.lora_a has ggml shape \[64, 2\], this model needs \[128, 2\]/,
      );
    });

    it('an adapter for more layers', async () => {
      await expect(importGgufLoraValues({ ...model, nLayers: 1 }, good())).rejects.toThrow(/is for layer 1, the model has 1/);
    });

    it('a half pair and a tensor that is not a projection', async () => {
      const half = writeGguf(
        [
          { key: 'general.architecture', value: 'llama' },
          { key: 'general.type', value: 'adapter' },
          { key: 'adapter.type', value: 'lora' },
        ],
        [{ name: 'blk.0.attn_q.weight.lora_a', dims: [64, 2], type: 'F32', data: quantize('F32', new Float32Array(128)) }],
      );
      await expect(importGgufLoraValues(model, half)).rejects.toThrow(/blk.0.attn_q.weight has only its lora_a/);
      const embd = writeGguf(
        [
          { key: 'general.architecture', value: 'llama' },
          { key: 'general.type', value: 'adapter' },
          { key: 'adapter.type', value: 'lora' },
        ],
        [{ name: 'token_embd.weight.lora_a', dims: [64, 2], type: 'F32', data: quantize('F32', new Float32Array(128)) }],
      );
      await expect(importGgufLoraValues(model, embd)).rejects.toThrow(
        /"token_embd.weight.lora_a" is not the A or B of an attention or FFN projection/,
      );
    });
  });
});
