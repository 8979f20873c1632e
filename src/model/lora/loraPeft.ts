import type { Gpu } from '../../gpu/gpu';
import { LabError } from '../../errors';
import { readSafetensors, readSafetensorsF32, writeSafetensors, type SafetensorsTensorToWrite } from '../../formats/safetensors';
import type { ModelConfig } from '../config';
import { LoraAdapter, loraLayout, type LoraConfig, type LoraSlot } from './lora';
import { PROJECTIONS, type Projection } from '../tensorNames';

/** Hugging Face module names (PEFT's target_modules) of each projection. */
export const PEFT_MODULE: Record<Projection, string> = {
  q: 'self_attn.q_proj',
  k: 'self_attn.k_proj',
  v: 'self_attn.v_proj',
  o: 'self_attn.o_proj',
  gate: 'mlp.gate_proj',
  up: 'mlp.up_proj',
  down: 'mlp.down_proj',
};

const SHORT_NAME = (p: Projection) => PEFT_MODULE[p].split('.')[1];

export function peftKey(layer: number, p: Projection, which: 'A' | 'B'): string {
  return `base_model.model.model.layers.${layer}.${PEFT_MODULE[p]}.lora_${which}.weight`;
}

/**
 * llama.cpp's converter reorders the rows of each head of Q and K for the "normal" RoPE (Llama, Mistral): within a
 * head of d rows, Hugging Face's row s·d/2 + j (halves, rotate_half) becomes GGUF row 2j + s (adjacent pairs).
 * Qwen2 (neox RoPE) is converted without reordering. Returns, for each GGUF row, the Hugging Face row it came from,
 * or undefined where the layouts agree.
 */
export function hfRowOfGgufRow(model: ModelConfig, p: Projection): Int32Array | undefined {
  if (model.ropeMode !== 'normal' || (p !== 'q' && p !== 'k')) return undefined;
  const heads = p === 'q' ? model.nHeads : model.nKvHeads;
  const d = model.headDim;
  const map = new Int32Array(heads * d);
  for (let h = 0; h < heads; h++) {
    for (let j = 0; j < d / 2; j++) {
      for (let s = 0; s < 2; s++) map[h * d + 2 * j + s] = h * d + s * (d / 2) + j;
    }
  }
  return map;
}

/** B [out, rank] with its rows moved: to Hugging Face order ('export') or back to GGUF order ('import'). */
export function permuteLoraB(b: Float32Array, rank: number, map: Int32Array | undefined, direction: 'export' | 'import'): Float32Array {
  if (!map) return b.slice();
  const out = new Float32Array(b.length);
  for (let gguf = 0; gguf < map.length; gguf++) {
    const hf = map[gguf];
    const [from, to] = direction === 'export' ? [gguf, hf] : [hf, gguf];
    out.set(b.subarray(from * rank, (from + 1) * rank), to * rank);
  }
  return out;
}

export interface PeftFiles {
  /** adapter_config.json */
  config: string;
  /** adapter_model.safetensors */
  weights: Blob;
}

/** PEFT's target_modules for these projections, in the model's order (q_proj, …, down_proj). */
export function peftTargetModules(targets: readonly Projection[]): string[] {
  return PROJECTIONS.filter((p) => targets.includes(p)).map(SHORT_NAME);
}

/** The adapter as PEFT saves it: A [r, in] and B [out, r] per module, F32, Hugging Face row order. */
export function exportPeft(model: ModelConfig, lora: LoraConfig, values: Float32Array, baseModel: string): PeftFiles {
  const { slots, totalFloats } = loraLayout(model, lora);
  if (values.length !== totalFloats) throw new LabError(`${values.length} values for a ${totalFloats}-value adapter`, 'PEFT export');
  const r = lora.rank;
  const tensors: SafetensorsTensorToWrite[] = [];
  for (const s of slots) {
    const a = values.slice(s.aOffset, s.aOffset + r * s.inFeatures);
    const b = permuteLoraB(values.subarray(s.bOffset, s.bOffset + s.outFeatures * r), r, hfRowOfGgufRow(model, s.projection), 'export');
    tensors.push({ name: peftKey(s.layer, s.projection, 'A'), dtype: 'F32', shape: [r, s.inFeatures], values: a });
    tensors.push({ name: peftKey(s.layer, s.projection, 'B'), dtype: 'F32', shape: [s.outFeatures, r], values: b });
  }
  const config = {
    peft_type: 'LORA',
    task_type: 'CAUSAL_LM',
    base_model_name_or_path: baseModel,
    r,
    lora_alpha: lora.alpha,
    lora_dropout: lora.dropout,
    target_modules: peftTargetModules(lora.targets),
    bias: 'none',
    fan_in_fan_out: false,
    inference_mode: true,
    init_lora_weights: true,
    use_rslora: false,
    use_dora: false,
    layers_to_transform: null,
    modules_to_save: null,
    rank_pattern: {},
    alpha_pattern: {},
  };
  return { config: JSON.stringify(config, null, 2) + '\n', weights: writeSafetensors(tensors, { format: 'pt' }) };
}

const KEY =
  /(?:^|\.)layers\.(\d+)\.(self_attn|mlp)\.(q_proj|k_proj|v_proj|o_proj|gate_proj|up_proj|down_proj)\.lora_(A|B)(?:\.default)?\.weight$/;

interface ParsedPeftConfig {
  lora: Omit<LoraConfig, 'seed'>;
  layers?: number[];
}

function parseConfig(text: string, where: string): ParsedPeftConfig {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new LabError(`is not valid JSON (${(error as Error).message})`, where);
  }
  if (raw.peft_type !== undefined && raw.peft_type !== 'LORA')
    throw new LabError(`peft_type is ${JSON.stringify(raw.peft_type)}, not "LORA"`, where);
  const r = raw.r;
  const alpha = raw.lora_alpha ?? r;
  if (typeof r !== 'number' || !Number.isInteger(r) || r < 1) throw new LabError(`r ${JSON.stringify(r)} is not a positive integer`, where);
  if (typeof alpha !== 'number' || !(alpha > 0)) throw new LabError(`lora_alpha ${JSON.stringify(alpha)} is not a positive number`, where);
  for (const key of ['rank_pattern', 'alpha_pattern'] as const) {
    const v = raw[key];
    if (v && typeof v === 'object' && Object.keys(v).length > 0)
      throw new LabError(`${key} (per-module ranks) is not supported`, where, 'Export the adapter with one rank for all modules.');
  }
  if (raw.use_dora) throw new LabError('DoRA adapters (use_dora) are not supported', where);
  if (raw.bias !== undefined && raw.bias !== 'none')
    throw new LabError(`bias "${raw.bias}" is not supported`, where, 'Only bias "none" adapters can be loaded.');
  const modules = raw.target_modules;
  let names: string[];
  if (Array.isArray(modules)) names = modules.map(String);
  else if (typeof modules === 'string')
    names = modules === 'all-linear' ? PROJECTIONS.map(SHORT_NAME) : PROJECTIONS.map(SHORT_NAME).filter((n) => new RegExp(modules).test(n));
  else throw new LabError('target_modules is missing', where);
  const targets = PROJECTIONS.filter((p) => names.some((n) => n === SHORT_NAME(p) || n.endsWith(`.${SHORT_NAME(p)}`)));
  const unknown = names.filter((n) => !PROJECTIONS.some((p) => n === SHORT_NAME(p) || n.endsWith(`.${SHORT_NAME(p)}`)));
  if (unknown.length) throw new LabError(`target_modules ${unknown.join(', ')} are not projections of a llama-family model`, where);
  // rsLoRA scales by alpha/√r; the same scale with the plain alpha/r rule needs alpha·√r.
  const effectiveAlpha = raw.use_rslora ? alpha * Math.sqrt(r) : alpha;
  const dropout = typeof raw.lora_dropout === 'number' ? raw.lora_dropout : 0;
  const layers = raw.layers_to_transform;
  return {
    lora: { rank: r, alpha: effectiveAlpha, dropout, targets },
    layers: layers === null || layers === undefined ? undefined : Array.isArray(layers) ? layers.map(Number) : [Number(layers)],
  };
}

/**
 * Reads a PEFT adapter (adapter_config.json + adapter_model.safetensors; F32, F16 or BF16) into the flat layout of
 * `model`, moving Q and K rows back into GGUF order. Every targeted module of every transformed layer must be there
 * with the right shape; layers PEFT did not transform get A = B = 0 (no effect).
 */
export async function importPeftValues(
  model: ModelConfig,
  files: PeftFiles,
  seed = 0,
): Promise<{ lora: LoraConfig; values: Float32Array }> {
  const parsed = parseConfig(files.config, 'adapter_config.json');
  const lora: LoraConfig = { ...parsed.lora, seed };
  const where = 'adapter_model.safetensors';
  const file = await readSafetensors(files.weights, { name: where });
  const byKey = new Map<string, (typeof file.tensors)[number]>();
  for (const t of file.tensors) {
    const m = KEY.exec(t.name);
    if (!m) continue;
    const p = PROJECTIONS.find((q) => SHORT_NAME(q) === m[3])!;
    byKey.set(`${m[1]}.${p}.${m[4]}`, t);
  }
  const { slots, totalFloats } = loraLayout(model, lora);
  const values = new Float32Array(totalFloats);
  const r = lora.rank;
  const read = async (s: LoraSlot, which: 'A' | 'B', shape: [number, number]) => {
    const t = byKey.get(`${s.layer}.${s.projection}.${which}`);
    if (!t)
      throw new LabError(
        `has no ${peftKey(s.layer, s.projection, which)}`,
        where,
        "The adapter does not match its config or this model's layer count.",
      );
    if (t.shape.length !== 2 || t.shape[0] !== shape[0] || t.shape[1] !== shape[1]) {
      throw new LabError(
        `${t.name} has shape [${t.shape.join(', ')}], this model needs [${shape.join(', ')}]`,
        where,
        'The adapter was trained for a different base model.',
      );
    }
    return readSafetensorsF32(files.weights, t);
  };
  for (const s of slots) {
    if (parsed.layers && !parsed.layers.includes(s.layer)) continue;
    values.set(await read(s, 'A', [r, s.inFeatures]), s.aOffset);
    values.set(permuteLoraB(await read(s, 'B', [s.outFeatures, r]), r, hfRowOfGgufRow(model, s.projection), 'import'), s.bOffset);
  }
  const extraLayer = [...byKey.keys()].map((k) => Number(k.split('.')[0])).find((l) => l >= model.nLayers);
  if (extraLayer !== undefined)
    throw new LabError(
      `has layer ${extraLayer}, the model has ${model.nLayers}`,
      where,
      'The adapter was trained for a different base model.',
    );
  return { lora, values };
}

/** A PEFT adapter as a LoraAdapter on the GPU, ready for `Model.useAdapter`. */
export async function loadPeftAdapter(gpu: Gpu, model: ModelConfig, files: PeftFiles): Promise<LoraAdapter> {
  const { lora, values } = await importPeftValues(model, files);
  return LoraAdapter.fromValues(gpu, model, lora, values);
}
