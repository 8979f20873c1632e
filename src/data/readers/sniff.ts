/**
 * Which reader a file needs, decided from its first bytes rather than its name (users rename files):
 * gzip magic, Parquet magic, a JSON array's "[", otherwise JSON Lines. Files that cannot be a dataset at all
 * (empty, binary) are refused here with one error instead of thousands of bad rows.
 */
import { LabError } from '../../errors';

export type ShardFormat = 'jsonl' | 'json-array' | 'parquet' | 'jsonl-gzip' | 'json-array-gzip';

const SNIFF_BYTES = 4096;

/** The format of already-decompressed JSON text, from its first non-space byte. */
export function jsonFormat(head: Uint8Array): 'jsonl' | 'json-array' {
  for (const b of head) {
    if (b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09) continue;
    return b === 0x5b ? 'json-array' : 'jsonl';
  }
  return 'jsonl';
}

/** True for bytes no JSON text contains: NUL and most C0 controls (tab, newline, CR and form feed excepted). */
export function looksBinary(head: Uint8Array): boolean {
  let controls = 0;
  for (const b of head) {
    if (b === 0) return true;
    if (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d && b !== 0x0c) controls++;
  }
  return controls > head.length / 100;
}

export async function sniffFormat(blob: Blob, name: string): Promise<ShardFormat> {
  if (blob.size === 0) throw new LabError('the file is empty (0 bytes)', name, 'pick the shard file itself, not a placeholder');
  const head = new Uint8Array(await blob.slice(0, SNIFF_BYTES).arrayBuffer());
  if (head[0] === 0x1f && head[1] === 0x8b) return 'jsonl-gzip';
  if (head[0] === 0x50 && head[1] === 0x41 && head[2] === 0x52 && head[3] === 0x31) return 'parquet';
  if (looksBinary(head)) {
    throw new LabError('this is a binary file, not a dataset', name, 'use JSON Lines, a JSON array, Parquet or gzip-compressed JSON Lines');
  }
  if (head.length === blob.size && head.every((b) => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09)) {
    throw new LabError('the file holds only whitespace', name, 'pick a file with one example per line');
  }
  return jsonFormat(head);
}
