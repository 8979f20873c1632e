import { open, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { ByteSource } from './byteSource';

/**
 * A file on disk as a ByteSource (Node only; the browser passes its File). Each range read opens the file,
 * reads exactly that range and closes it, so nothing stays open and no more than the range is held.
 */
export async function openFileSource(path: string): Promise<ByteSource> {
  const { size } = await stat(path);
  return {
    size,
    name: basename(path),
    slice(start: number, end: number) {
      const from = Math.max(0, Math.min(start, size));
      const to = Math.max(from, Math.min(end, size));
      return {
        async arrayBuffer() {
          const bytes = new Uint8Array(to - from);
          const handle = await open(path, 'r');
          try {
            let done = 0;
            while (done < bytes.length) {
              const { bytesRead } = await handle.read(bytes, done, bytes.length - done, from + done);
              if (bytesRead === 0) break;
              done += bytesRead;
            }
            return bytes.buffer.slice(0, done);
          } finally {
            await handle.close();
          }
        },
      };
    },
  };
}
