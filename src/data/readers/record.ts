/** One row as a reader yields it: the parsed JSON value, or why it could not be parsed. */
export type RawRecord = { row: number; value: unknown } | { row: number; error: string };

/** Limits that keep one pathological row (a 1 GB line, a binary blob) from exhausting memory. */
export interface ReadLimits {
  /** Rows longer than this many bytes are reported and skipped without being held whole. */
  maxRowBytes: number;
}

export const DEFAULT_READ_LIMITS: ReadLimits = { maxRowBytes: 8 * 1024 * 1024 };

/** Reading a shard reports bytes of the file consumed so far (compressed bytes for gzip). */
export type ByteProgress = (bytesRead: number, totalBytes: number) => void;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Decodes one row's bytes and parses them, turning each failure into the reason shown to the user. */
export function parseRow(row: number, bytes: Uint8Array): RawRecord {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return { row, error: 'invalid UTF-8' };
  }
  try {
    return { row, value: JSON.parse(text) };
  } catch (error) {
    return { row, error: `broken JSON (${(error as Error).message})` };
  }
}

/** Concatenates the pieces of a row that spans several chunks. */
export function joinPieces(pieces: Uint8Array[], total: number): Uint8Array {
  if (pieces.length === 1) return pieces[0];
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of pieces) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
