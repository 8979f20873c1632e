/**
 * JSON Lines: one value per line, numbered from 1 as editors do. Lines are split on the byte 0x0A before
 * decoding (a newline byte never occurs inside a UTF-8 sequence), so each line is decoded on its own and
 * invalid UTF-8 condemns one row, not the file. Blank lines are skipped. Records come in one batch per input
 * chunk, so the per-row cost is a function call rather than an awaited promise.
 */
import { joinPieces, parseRow, type RawRecord, type ReadLimits } from './record';

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;

function isBlank(bytes: Uint8Array): boolean {
  for (const b of bytes) if (b !== 0x20 && b !== 0x09 && b !== CARRIAGE_RETURN) return false;
  return true;
}

export async function* jsonLines(chunks: AsyncIterable<Uint8Array>, limits: ReadLimits): AsyncGenerator<RawRecord[]> {
  let line = 1;
  let pieces: Uint8Array[] = [];
  let pending = 0;
  let tooLong = false;

  function finishLine(): RawRecord | undefined {
    let record: RawRecord | undefined;
    if (tooLong) {
      record = { row: line, error: `line longer than ${limits.maxRowBytes} bytes` };
    } else if (pending > 0) {
      let bytes = joinPieces(pieces, pending);
      if (bytes[bytes.length - 1] === CARRIAGE_RETURN) bytes = bytes.subarray(0, bytes.length - 1);
      if (!isBlank(bytes)) record = parseRow(line, bytes);
    }
    pieces = [];
    pending = 0;
    tooLong = false;
    line++;
    return record;
  }

  function take(piece: Uint8Array): void {
    if (tooLong || piece.length === 0) return;
    if (pending + piece.length > limits.maxRowBytes) {
      tooLong = true;
      pieces = [];
      pending = 0;
      return;
    }
    pieces.push(piece);
    pending += piece.length;
  }

  for await (const chunk of chunks) {
    const batch: RawRecord[] = [];
    let start = 0;
    for (let end = chunk.indexOf(NEWLINE); end >= 0; end = chunk.indexOf(NEWLINE, start)) {
      take(chunk.subarray(start, end));
      const record = finishLine();
      if (record) batch.push(record);
      start = end + 1;
    }
    // The rest of the chunk belongs to a line that continues in the next chunk; copy it, as the
    // stream may reuse the chunk's buffer.
    if (start < chunk.length) take(chunk.slice(start));
    if (batch.length > 0) yield batch;
  }
  const last = finishLine();
  if (last) {
    yield ['error' in last && !last.error.startsWith('line longer')
      ? { row: last.row, error: `${last.error}; the file ends in the middle of this line (truncated?)` }
      : last];
  }
}
