import { LabError } from '../../errors';
import type { GgufTensorInfo } from './types';
import { sourceName, type ByteSource } from '../byteSource';

export interface TensorChunk {
  /** The chunk's bytes (a fresh buffer the consumer may keep or transfer). */
  bytes: Uint8Array;
  /** Offset of `bytes[0]` inside the tensor's data. */
  tensorOffset: number;
}

/**
 * Streams one tensor's bytes out of the file in chunks of at most `chunkBytes`, so a large weight can go to a
 * GPU buffer without the file (or the whole tensor) being held in memory. Chunk sizes are multiples of 4 bytes
 * except possibly the last, since `GPUQueue.writeBuffer` needs 4-byte multiples.
 */
export async function* tensorChunks(source: Blob | ByteSource, tensor: GgufTensorInfo, chunkBytes = 16 << 20): AsyncGenerator<TensorChunk> {
  if (tensor.offset + tensor.byteLength > source.size) {
    throw new LabError(
      `tensor "${tensor.name}" runs past the end of the file`,
      sourceName(source, 'GGUF file'),
      'the file is truncated or is not the file the header was read from',
    );
  }
  const step = Math.max(4, chunkBytes - (chunkBytes % 4));
  for (let done = 0; done < tensor.byteLength; done += step) {
    const n = Math.min(step, tensor.byteLength - done);
    const start = tensor.offset + done;
    const bytes = new Uint8Array(await source.slice(start, start + n).arrayBuffer());
    if (bytes.length !== n) {
      throw new LabError(
        `short read of tensor "${tensor.name}" at byte ${start}`,
        sourceName(source, 'GGUF file'),
        'the file changed or is unreadable; choose it again',
      );
    }
    yield { bytes, tensorOffset: done };
  }
}

export interface LoadProgress {
  /** Tensor bytes delivered so far, this chunk included. */
  loadedBytes: number;
  totalBytes: number;
}

/**
 * Streams several tensors one after another (in the order given), with the running byte count for a
 * progress bar: the loader uploads each chunk to the tensor's GPU buffer at `tensorOffset`.
 */
export async function* tensorsChunks(
  source: Blob | ByteSource,
  tensors: readonly GgufTensorInfo[],
  chunkBytes = 16 << 20,
): AsyncGenerator<TensorChunk & LoadProgress & { tensor: GgufTensorInfo }> {
  const totalBytes = totalTensorBytes(tensors);
  let loadedBytes = 0;
  for (const tensor of tensors) {
    for await (const chunk of tensorChunks(source, tensor, chunkBytes)) {
      loadedBytes += chunk.bytes.length;
      yield { ...chunk, tensor, loadedBytes, totalBytes };
    }
  }
}

/** All of one tensor's bytes; for small tensors (norms, biases, test models). */
export async function readTensorBytes(source: Blob | ByteSource, tensor: GgufTensorInfo): Promise<Uint8Array> {
  const out = new Uint8Array(tensor.byteLength);
  for await (const chunk of tensorChunks(source, tensor)) out.set(chunk.bytes, chunk.tensorOffset);
  return out;
}

/** Total tensor bytes of a file: the denominator of a load progress bar. */
export function totalTensorBytes(tensors: readonly GgufTensorInfo[]): number {
  return tensors.reduce((sum, t) => sum + t.byteLength, 0);
}

/** The tensor called `name`, or a LabError naming it. */
export function findTensor(tensors: readonly GgufTensorInfo[], name: string): GgufTensorInfo {
  const t = tensors.find((x) => x.name === name);
  if (!t) throw new LabError(`tensor "${name}" is missing`, 'GGUF tensors', 'the model file is incomplete or of another architecture');
  return t;
}
