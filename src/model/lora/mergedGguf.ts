import { LabError } from '../../errors';
import { layoutGguf, tensorBytes, type GgufFile, type GgufMetaEntry, type GgufTensorInfo } from '../../formats/gguf';
import type { ByteSource } from '../../formats/byteSource';
import { dequantize, ggmlType, quantize, type GgmlTypeName, type QuantizableType } from '../../formats/quant';
import type { ModelConfig } from '../config';
import { loraLayout, type LoraConfig, type LoraSlot } from './lora';
import { projectionTensorName } from '../tensorNames';

/**
 * A standalone GGUF of base + adapter: every adapted weight becomes W + scale · B·A, computed in f32 from the
 * base's decoded blocks and encoded in `quant` with our quantizers; every other tensor and all metadata are copied
 * as they are. The file is produced piece by piece (header, then rows of one tensor at a time), so a 7B model goes
 * to disk without ever being held in memory.
 */
export interface MergePlan {
  /** Size of the merged file. */
  outputBytes: number;
  /** The most bytes one step holds at once (source rows, their f32 values, the encoded rows). */
  workingBytes: number;
  /** The adapter's values, held for the whole job. */
  adapterBytes: number;
  /** Tensors recomputed and encoded in `quant`; the rest are copied. */
  mergedTensors: number;
  copiedTensors: number;
  /** Merged tensors whose rows are not whole `quant` blocks, written in F32 instead. */
  f32Tensors: string[];
}

/** f32 values decoded per step: bounds the working memory whatever the row length. */
const STEP_FLOATS = 1 << 22;

type OutputTensor =
  { source: GgufTensorInfo; type: GgmlTypeName; slot?: undefined } | { source: GgufTensorInfo; type: QuantizableType; slot: LoraSlot };

function outputTensors(file: GgufFile, model: ModelConfig, lora: LoraConfig, quant: QuantizableType): OutputTensor[] {
  const bySlot = new Map(loraLayout(model, lora).slots.map((s) => [projectionTensorName(s.layer, s.projection), s]));
  return file.tensors.map((source) => {
    const slot = bySlot.get(source.name);
    if (!slot) return { source, type: source.type.name };
    if (source.dims.length !== 2 || source.dims[0] !== slot.inFeatures || source.dims[1] !== slot.outFeatures) {
      throw new LabError(
        `${source.name} has ggml shape [${source.dims.join(', ')}], the adapter needs [${slot.inFeatures}, ${slot.outFeatures}]`,
        'merged export',
        'Merge the adapter into the base model it was trained on.',
      );
    }
    // A row that is not whole blocks (stories260K's FFN width 172) stays exact in F32, which every reader takes;
    // real models' widths are whole blocks of 256.
    if (source.dims[0] % ggmlType(quant).blockElements !== 0) return { source, type: 'F32', slot };
    return { source, type: quant, slot };
  });
}

function rowsPerStep(t: GgufTensorInfo): number {
  return Math.max(1, Math.floor(STEP_FLOATS / t.dims[0]));
}

export function planMerge(file: GgufFile, model: ModelConfig, lora: LoraConfig, quant: QuantizableType): MergePlan {
  const tensors = outputTensors(file, model, lora, quant);
  const layout = layoutGguf(
    metadataOf(file),
    tensors.map((t) => ({ name: t.source.name, dims: t.source.dims, type: t.type })),
    file.alignment,
  );
  let workingBytes = 0;
  for (const t of tensors) {
    if (!t.slot) continue;
    const rows = Math.min(rowsPerStep(t.source), t.source.dims[1]);
    const values = rows * t.source.dims[0];
    workingBytes = Math.max(workingBytes, (t.source.byteLength / t.source.dims[1]) * rows + 4 * values + tensorBytes([values], t.type));
  }
  const merged = tensors.filter((t) => t.slot).length;
  return {
    outputBytes: layout.byteLength,
    workingBytes,
    adapterBytes: 4 * loraLayout(model, lora).totalFloats,
    mergedTensors: merged,
    copiedTensors: tensors.length - merged,
    f32Tensors: tensors.filter((t) => t.slot && t.type !== quant).map((t) => t.source.name),
  };
}

function metadataOf(file: GgufFile): GgufMetaEntry[] {
  return [...file.metadata].map(([key, value]) => ({ key, value, type: file.metadataTypes.get(key) }));
}

export interface MergeOptions {
  signal?: AbortSignal;
  /** After each piece: merged-file bytes produced so far, of the total. */
  onProgress?: (bytesDone: number, bytesTotal: number) => void;
}

/** W [out, in] (rows of `in` values, `rows` of them starting at row `row0`) += scale · B[row0.., :] · A. */
export function addLoraDelta(
  w: Float32Array,
  row0: number,
  rows: number,
  inFeatures: number,
  rank: number,
  a: Float32Array,
  b: Float32Array,
  scale: number,
): void {
  for (let o = 0; o < rows; o++) {
    const row = w.subarray(o * inFeatures, (o + 1) * inFeatures);
    for (let r = 0; r < rank; r++) {
      const coef = scale * b[(row0 + o) * rank + r];
      if (coef === 0) continue;
      const aRow = a.subarray(r * inFeatures, (r + 1) * inFeatures);
      for (let i = 0; i < inFeatures; i++) row[i] += coef * aRow[i];
    }
  }
}

/**
 * The merged file's bytes in order, to write to a file or a download stream (see `MergePlan` for its size).
 * `values` are the adapter's, laid out by `loraLayout(model, lora)`.
 */
export async function* mergedGgufChunks(
  source: Blob | ByteSource,
  file: GgufFile,
  model: ModelConfig,
  lora: LoraConfig,
  values: Float32Array,
  quant: QuantizableType,
  options: MergeOptions = {},
): AsyncGenerator<Uint8Array> {
  const tensors = outputTensors(file, model, lora, quant);
  const layout = layoutGguf(
    metadataOf(file),
    tensors.map((t) => ({ name: t.source.name, dims: t.source.dims, type: t.type })),
    file.alignment,
  );
  const scale = lora.alpha / lora.rank;
  let done = 0;
  const emit = (bytes: Uint8Array) => {
    if (options.signal?.aborted)
      throw options.signal.reason instanceof Error ? options.signal.reason : new LabError('cancelled', 'merged export');
    done += bytes.length;
    options.onProgress?.(done, layout.byteLength);
    return bytes;
  };
  const read = async (start: number, length: number, name: string) => {
    const bytes = new Uint8Array(await source.slice(start, start + length).arrayBuffer());
    if (bytes.length !== length)
      throw new LabError(
        `short read of tensor "${name}" at byte ${start}`,
        'merged export',
        'The base model file changed or is unreadable; choose it again.',
      );
    return bytes;
  };
  yield emit(layout.header);
  for (let i = 0; i < tensors.length; i++) {
    const out = tensors[i];
    const t = out.source;
    const padding = layout.header.length + layout.tensorOffsets[i] - done;
    if (padding > 0) yield emit(new Uint8Array(padding));
    const [inFeatures, outRows] = [t.dims[0], t.dims.slice(1).reduce((x, y) => x * y, 1)];
    const rowBytes = t.byteLength / outRows;
    const step = out.slot ? rowsPerStep(t) : Math.max(1, Math.floor((16 << 20) / rowBytes));
    for (let row0 = 0; row0 < outRows; row0 += step) {
      const rows = Math.min(step, outRows - row0);
      const bytes = await read(t.offset + row0 * rowBytes, rows * rowBytes, t.name);
      if (!out.slot) {
        yield emit(bytes);
        continue;
      }
      const w = dequantize(t.type.name, bytes, rows * inFeatures);
      const a = values.subarray(out.slot.aOffset, out.slot.aOffset + lora.rank * inFeatures);
      const b = values.subarray(out.slot.bOffset, out.slot.bOffset + out.slot.outFeatures * lora.rank);
      addLoraDelta(w, row0, rows, inFeatures, lora.rank, a, b, scale);
      yield emit(quantize(out.type, w));
    }
  }
}
