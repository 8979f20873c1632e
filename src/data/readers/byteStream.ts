/**
 * Byte chunks of a Blob/File, streamed (the file is never held whole), with progress in file bytes.
 * Uses `getReader()` rather than async iteration of ReadableStream, which not every browser supports.
 */
import type { ByteProgress } from './record';

export async function* readChunks(stream: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      if (value.length > 0) yield value;
    }
  } finally {
    reader.releaseLock();
  }
}

/** The blob's bytes, reporting progress as each chunk is read. */
export function blobStream(blob: Blob, onProgress?: ByteProgress): ReadableStream<Uint8Array> {
  let read = 0;
  const counter = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      read += chunk.length;
      onProgress?.(read, blob.size);
      controller.enqueue(chunk);
    },
  });
  return (blob.stream() as ReadableStream<Uint8Array>).pipeThrough(counter);
}

/** The decompressed bytes of a gzip blob; progress counts compressed bytes, the part of the file read. */
export function gunzipStream(blob: Blob, onProgress?: ByteProgress): ReadableStream<Uint8Array> {
  return blobStream(blob, onProgress).pipeThrough(new DecompressionStream('gzip') as unknown as TransformStream<Uint8Array, Uint8Array>);
}
