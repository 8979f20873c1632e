import { beforeAll, describe, expect, it } from 'vitest';
import { openAsBlob } from 'node:fs';
import { testGpu } from '../setup/testGpu';
import { sharedData } from '../sharedData';
import type { Gpu } from '../../src/gpu/gpu';
import { LabError } from '../../src/errors';
import { Model } from '../../src/model/model';
import {
  planTinyModel,
  readGguf,
  tensorBytes,
  writeGguf,
  type GgufFile,
  type GgufMetaEntry,
  type GgufTensorToWrite,
} from '../../src/formats/gguf';
import { quantize } from '../../src/formats/quant';
import type { GgmlTypeName } from '../../src/formats/ggmlTypes';
import { randomF32 } from '../../src/util/random';

/**
 * Broken GGUF files through `Model.load`, the path a dropped file takes: each is refused with a LabError that
 * names the field or tensor at fault, and whatever the load had put on the GPU is freed again.
 */
let gpu: Gpu;
let vocabulary: GgufFile;

beforeAll(async () => {
  gpu = await testGpu();
  vocabulary = await readGguf(await openAsBlob(sharedData('tiny-models', 'stories260K.gguf')));
});

/** A small valid Llama-shaped model (stories260K's 512-token vocabulary, Q8_0), as metadata and tensors to edit. */
function validParts(): { metadata: GgufMetaEntry[]; tensors: GgufTensorToWrite[] } {
  const plan = planTinyModel({
    architecture: 'llama',
    vocabulary,
    embeddingLength: 64,
    blockCount: 2,
    headCount: 4,
    headCountKv: 2,
    feedForwardLength: 256,
    weightType: 'Q8_0',
    seed: 3,
  });
  return {
    metadata: plan.metadata,
    tensors: plan.tensors.map((t) => ({ name: t.name, dims: t.dims, type: t.type, data: quantize(t.type, t.values()) })),
  };
}

async function validBytes(): Promise<Uint8Array> {
  const { metadata, tensors } = validParts();
  return new Uint8Array(await writeGguf(metadata, tensors).arrayBuffer());
}

function asFile(bytes: Uint8Array | Blob, name = 'broken.gguf'): File {
  return new File([bytes as BlobPart], name);
}

/**
 * Loads `file` expecting a LabError matching `message`; GPU memory in use must be back where it was. With
 * `failsMidLoad`, the file must get past the header checks and fail after weights were already uploaded, so the
 * cleanup of a half-loaded model is what is checked.
 */
async function refused(file: File, message: RegExp, failsMidLoad = false): Promise<LabError> {
  const before = gpu.buffers.bytesInUse;
  let peak = before;
  const onProgress = () => {
    peak = Math.max(peak, gpu.buffers.bytesInUse);
  };
  const error = await Model.load(gpu, file, { maxContext: 64, onProgress }).then(
    (m) => {
      m.free();
      throw new Error('the broken file loaded');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(LabError);
  console.log(`[bad gguf] ${(error as LabError).message}`);
  expect((error as LabError).message).toMatch(message);
  if (failsMidLoad) expect(peak).toBeGreaterThan(before);
  expect(gpu.buffers.bytesInUse).toBe(before);
  return error as LabError;
}

describe('Model.load refuses broken GGUF files with a clear error and frees the GPU', () => {
  it('loads the unbroken file (the cases below each break one thing of it)', async () => {
    const before = gpu.buffers.bytesInUse;
    const model = await Model.load(gpu, asFile(await validBytes(), 'valid.gguf'), { maxContext: 64 });
    expect(gpu.buffers.bytesInUse).toBeGreaterThan(before);
    model.free();
    expect(gpu.buffers.bytesInUse).toBe(before);
  });

  it('a file cut short inside the tensor data: names the tensor that runs past the end', async () => {
    const bytes = await validBytes();
    const error = await refused(asFile(bytes.subarray(0, bytes.length - 1000)), /tensor "[^"]+".*past the end/);
    expect(error.where).toMatch(/broken\.gguf/);
  });

  it('a file cut short inside the header: names the field being read', async () => {
    const bytes = await validBytes();
    await refused(asFile(bytes.subarray(0, 200)), /broken\.gguf \(byte \d+\)/);
  });

  it('wrong magic bytes', async () => {
    const bytes = await validBytes();
    bytes.set([0x50, 0x4b, 0x03, 0x04], 0); // a zip file's magic
    await refused(asFile(bytes), /not a GGUF file/);
  });

  it('an absurd tensor count', async () => {
    const bytes = await validBytes();
    new DataView(bytes.buffer).setBigUint64(8, 1n << 40n, true);
    await refused(asFile(bytes), /tensor count/);
  });

  it.each<[string, GgmlTypeName]>([
    ['a Q5_K projection', 'Q5_K'],
    ['an IQ4_XS projection', 'IQ4_XS'],
  ])('%s: names the tensor and its type while reading the header, before anything is allocated', async (_, type) => {
    const { metadata, tensors } = validParts();
    const target = tensors.find((t) => t.name === 'blk.1.ffn_down.weight')!;
    target.type = type;
    target.data = new Uint8Array(tensorBytes(target.dims, type)).map((_, i) => (i * 31) & 0xff);
    await refused(
      asFile(writeGguf(metadata, tensors)),
      new RegExp(`tensor "blk\\.1\\.ffn_down\\.weight" is ${type}, which is not supported`),
    );
  });

  it('a missing projection in a later layer: names it before anything is allocated (the memory plan reads how each layer stacks)', async () => {
    const { metadata, tensors } = validParts();
    await refused(
      asFile(
        writeGguf(
          metadata,
          tensors.filter((t) => t.name !== 'blk.1.ffn_up.weight'),
        ),
      ),
      /tensor "blk\.1\.ffn_up\.weight" is missing/,
    );
  });

  it('a later projection whose dims do not match the hyperparameters: names the tensor and both shapes, frees the layers already uploaded', async () => {
    const { metadata, tensors } = validParts();
    const target = tensors.find((t) => t.name === 'blk.1.attn_k.weight')!;
    target.dims = [64, 64]; // 4 KV heads' worth where the metadata says 2
    target.data = quantize('Q8_0', randomF32(64 * 64, 9));
    await refused(asFile(writeGguf(metadata, tensors)), /tensor "blk\.1\.attn_k\.weight": has dims \[64, 64\], expected \[64, 32\]/, true);
  });

  it('an unsupported architecture: names general.architecture', async () => {
    const { metadata, tensors } = validParts();
    const edited = metadata.map((e) => (e.key === 'general.architecture' ? { ...e, value: 'phi3' } : e));
    await refused(asFile(writeGguf(edited, tensors)), /general\.architecture: architecture "phi3" is not supported/);
  });

  it('a missing hyperparameter: names the metadata key', async () => {
    const { metadata, tensors } = validParts();
    await refused(
      asFile(
        writeGguf(
          metadata.filter((e) => e.key !== 'llama.block_count'),
          tensors,
        ),
      ),
      /llama\.block_count/,
    );
  });
});
