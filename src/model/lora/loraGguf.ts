import { LabError } from '../../errors';
import {
  GgufValueType,
  metaString,
  optMetaNumber,
  optMetaString,
  readGguf,
  readTensorBytes,
  writeGguf,
  type GgufTensorInfo,
} from '../../formats/gguf';
import type { ByteSource } from '../../formats/byteSource';
import { dequantize, quantize } from '../../formats/quant';
import type { ModelConfig } from '../config';
import { checkLoraConfig, loraLayout, type LoraConfig } from './lora';
import { PROJECTIONS, projectionTensorName, type Projection } from '../tensorNames';

/**
 * llama.cpp's LoRA adapter file (what its convert_lora_to_gguf.py writes and `--lora` loads): a GGUF with
 * general.type "adapter", adapter.type "lora", adapter.lora.alpha (f32) and the base's general.architecture, which
 * llama.cpp requires to equal the model's. Each adapted weight `W` (e.g. `blk.N.attn_q.weight`) has a pair
 * `W.lora_a` and `W.lora_b`, and llama.cpp adds scale · B·(A·x) to W·x, scale = user scale · alpha / rank
 * (rank read from B). In ggml order A is [in, rank] and B is [rank, out]: row-major A [rank, in] and B [out, rank],
 * exactly our slots. Rows are in GGUF order (the converter permutes Q and K as it does for the base), so unlike
 * PEFT nothing is permuted here.
 */

/** llama.cpp's tensor name of one half of the adapter on `projection` of `layer`. */
export function ggufLoraTensorName(layer: number, projection: Projection, which: 'a' | 'b'): string {
  return `${projectionTensorName(layer, projection)}.lora_${which}`;
}

export const GGUF_LORA_TYPES = ['F32', 'F16'] as const;
export type GgufLoraType = (typeof GGUF_LORA_TYPES)[number];

/** The adapter as a llama.cpp LoRA GGUF; F32 keeps the values exactly (F16, half the size, rounds them). */
export function exportGgufLora(model: ModelConfig, lora: LoraConfig, values: Float32Array, name: string, type: GgufLoraType = 'F32'): Blob {
  const { slots, totalFloats } = loraLayout(model, lora);
  if (values.length !== totalFloats) throw new LabError(`${values.length} values for a ${totalFloats}-value adapter`, 'GGUF LoRA export');
  const r = lora.rank;
  const tensors = slots.flatMap((s) => [
    {
      name: ggufLoraTensorName(s.layer, s.projection, 'a'),
      dims: [s.inFeatures, r],
      type,
      data: quantize(type, values.slice(s.aOffset, s.aOffset + r * s.inFeatures)),
    },
    {
      name: ggufLoraTensorName(s.layer, s.projection, 'b'),
      dims: [r, s.outFeatures],
      type,
      data: quantize(type, values.slice(s.bOffset, s.bOffset + s.outFeatures * r)),
    },
  ]);
  const str = { type: GgufValueType.STRING } as const;
  return writeGguf(
    [
      { key: 'general.architecture', value: model.architecture, type: str },
      { key: 'general.type', value: 'adapter', type: str },
      { key: 'general.name', value: name, type: str },
      { key: 'adapter.type', value: 'lora', type: str },
      { key: 'adapter.lora.alpha', value: lora.alpha, type: { type: GgufValueType.FLOAT32 } },
    ],
    tensors,
  );
}

const TENSOR = /^blk\.(\d+)\.(attn_q|attn_k|attn_v|attn_output|ffn_gate|ffn_up|ffn_down)\.weight\.lora_(a|b)$/;
const PROJECTION_OF: Record<string, Projection> = Object.fromEntries(PROJECTIONS.map((p) => [projectionTensorName(0, p).split('.')[2], p]));

/**
 * Reads a llama.cpp LoRA GGUF (tensors in F32, F16, BF16 or Q8_0) into the flat layout of `model`. Layers without
 * an adapter on a targeted projection get A = B = 0, as llama.cpp leaves them alone. Norm vectors some converters
 * add are skipped, as llama.cpp skips them; any other tensor (token_embd, output) is refused.
 */
export async function importGgufLoraValues(
  model: ModelConfig,
  source: Blob | ByteSource,
  seed = 0,
): Promise<{ lora: LoraConfig; values: Float32Array }> {
  const file = await readGguf(source);
  const where = 'GGUF LoRA';
  const generalType = optMetaString(file, 'general.type');
  if (generalType !== 'adapter' || optMetaString(file, 'adapter.type') !== 'lora') {
    throw new LabError(
      `general.type is ${JSON.stringify(generalType)} and adapter.type ${JSON.stringify(optMetaString(file, 'adapter.type'))}, not "adapter" and "lora"`,
      where,
      "Choose a LoRA adapter file as llama.cpp's convert_lora_to_gguf.py writes it, not a model.",
    );
  }
  const architecture = metaString(file, 'general.architecture');
  if (architecture !== model.architecture) {
    throw new LabError(
      `the adapter is for a "${architecture}" model, the loaded model is "${model.architecture}"`,
      where,
      'Load the base model the adapter was made for.',
    );
  }
  const pairs = new Map<string, { layer: number; projection: Projection; a?: GgufTensorInfo; b?: GgufTensorInfo }>();
  for (const t of file.tensors) {
    if (t.name.endsWith('_norm.weight')) continue;
    const m = TENSOR.exec(t.name);
    if (!m)
      throw new LabError(
        `tensor "${t.name}" is not the A or B of an attention or FFN projection`,
        where,
        'Only adapters on q, k, v, o, gate, up and down can be loaded.',
      );
    const layer = Number(m[1]);
    if (layer >= model.nLayers)
      throw new LabError(
        `tensor "${t.name}" is for layer ${layer}, the model has ${model.nLayers}`,
        where,
        'The adapter was made for a different base model.',
      );
    const projection = PROJECTION_OF[m[2]];
    const key = `${layer}.${projection}`;
    const pair = pairs.get(key) ?? { layer, projection };
    pair[m[3] as 'a' | 'b'] = t;
    pairs.set(key, pair);
  }
  if (pairs.size === 0) throw new LabError('has no lora_a/lora_b tensors', where);
  let rank: number | undefined;
  for (const p of pairs.values()) {
    if (!p.a || !p.b)
      throw new LabError(
        `${projectionTensorName(p.layer, p.projection)} has only its lora_${p.a ? 'a' : 'b'}`,
        where,
        'The file is incomplete.',
      );
    const r = p.b.dims[0];
    if (rank !== undefined && r !== rank)
      throw new LabError(
        `${p.b.name} has rank ${r}, other tensors ${rank}`,
        where,
        'Adapters with one rank for all modules can be loaded.',
      );
    rank = r;
  }
  const alphaInFile = optMetaNumber(file, 'adapter.lora.alpha');
  // llama.cpp reads a missing or zero alpha as "scale 1", which alpha = rank gives under alpha / rank.
  const alpha = alphaInFile ? alphaInFile : rank!;
  const lora: LoraConfig = {
    rank: rank!,
    alpha,
    dropout: 0,
    targets: PROJECTIONS.filter((p) => [...pairs.values()].some((x) => x.projection === p)),
    seed,
  };
  // Bounds the rank (the file's own number) before anything is allocated from it.
  checkLoraConfig(lora);
  const { slots, totalFloats } = loraLayout(model, lora);
  const values = new Float32Array(totalFloats);
  const read = async (t: GgufTensorInfo, dims: [number, number]) => {
    if (t.dims.length !== 2 || t.dims[0] !== dims[0] || t.dims[1] !== dims[1]) {
      throw new LabError(
        `${t.name} has ggml shape [${t.dims.join(', ')}], this model needs [${dims.join(', ')}]`,
        where,
        'The adapter was made for a different base model.',
      );
    }
    return dequantize(t.type.name, await readTensorBytes(source, t), dims[0] * dims[1]);
  };
  for (const s of slots) {
    const pair = pairs.get(`${s.layer}.${s.projection}`);
    if (!pair) continue;
    values.set(await read(pair.a!, [s.inFeatures, lora.rank]), s.aOffset);
    values.set(await read(pair.b!, [lora.rank, s.outFeatures]), s.bOffset);
  }
  return { lora, values };
}
