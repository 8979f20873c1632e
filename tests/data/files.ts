/** Test helpers: shard files as Blobs, the way the browser hands them to the loader. */
import { mkdtempSync, openAsBlob, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function fileBlob(path: string): Promise<Blob> {
  return openAsBlob(path);
}

/** A Blob made in memory, from text (UTF-8) or raw bytes. */
export function blobOf(content: string | Uint8Array): Blob {
  return new Blob([content as BlobPart]);
}

export function jsonl(rows: unknown[]): string {
  return rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
}

/** A fresh temporary directory for files a test writes (the CLI reads paths, not Blobs). */
export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `lora-lab-${prefix}-`));
}

export function writeTemp(dir: string, name: string, content: string | Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}
