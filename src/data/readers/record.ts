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

/**
 * The bytes of one row as they arrive, possibly spread over several chunks. Past `maxBytes` the pieces are
 * dropped and only the fact that the row was too long is kept, so one absurd row cannot fill memory.
 */
export class RowBytes {
  private pieces: Uint8Array[] = [];
  /** Bytes held (0 once the row is too long). */
  length = 0;
  tooLong = false;

  constructor(private readonly maxBytes: number) {}

  add(piece: Uint8Array): void {
    if (this.tooLong || piece.length === 0) return;
    if (this.length + piece.length > this.maxBytes) {
      this.tooLong = true;
      this.pieces = [];
      this.length = 0;
      return;
    }
    this.pieces.push(piece);
    this.length += piece.length;
  }

  /** The row's bytes, joined (no copy when they arrived in one piece). */
  bytes(): Uint8Array {
    if (this.pieces.length === 1) return this.pieces[0];
    const out = new Uint8Array(this.length);
    let at = 0;
    for (const p of this.pieces) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }

  /** Starts the next row. */
  clear(): void {
    this.pieces = [];
    this.length = 0;
    this.tooLong = false;
  }
}
