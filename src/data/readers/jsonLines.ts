/**
 * JSON Lines: one value per line, numbered from 1 as editors do. Lines are split on the byte 0x0A before
 * decoding (a newline byte never occurs inside a UTF-8 sequence), so each line is decoded on its own and
 * invalid UTF-8 condemns one row, not the file. Blank lines are skipped. Records come in one batch per input
 * chunk, so the per-row cost is a function call rather than an awaited promise.
 */
import { parseRow, RowBytes, type RawRecord, type ReadLimits } from './record';

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;

function isBlank(bytes: Uint8Array): boolean {
  for (const b of bytes) if (b !== 0x20 && b !== 0x09 && b !== CARRIAGE_RETURN) return false;
  return true;
}

export async function* jsonLines(chunks: AsyncIterable<Uint8Array>, limits: ReadLimits): AsyncGenerator<RawRecord[]> {
  let line = 1;
  const current = new RowBytes(limits.maxRowBytes);

  function finishLine(): RawRecord | undefined {
    let record: RawRecord | undefined;
    if (current.tooLong) {
      record = { row: line, error: `line longer than ${limits.maxRowBytes} bytes` };
    } else if (current.length > 0) {
      let bytes = current.bytes();
      if (bytes[bytes.length - 1] === CARRIAGE_RETURN) bytes = bytes.subarray(0, bytes.length - 1);
      if (!isBlank(bytes)) record = parseRow(line, bytes);
    }
    current.clear();
    line++;
    return record;
  }

  for await (const chunk of chunks) {
    const batch: RawRecord[] = [];
    let start = 0;
    for (let end = chunk.indexOf(NEWLINE); end >= 0; end = chunk.indexOf(NEWLINE, start)) {
      current.add(chunk.subarray(start, end));
      const record = finishLine();
      if (record) batch.push(record);
      start = end + 1;
    }
    // The rest of the chunk belongs to a line that continues in the next chunk; copy it, as the
    // stream may reuse the chunk's buffer.
    if (start < chunk.length) current.add(chunk.slice(start));
    if (batch.length > 0) yield batch;
  }
  const last = finishLine();
  if (last) {
    yield [
      'error' in last && !last.error.startsWith('line longer')
        ? { row: last.row, error: `${last.error}; the file ends in the middle of this line (truncated?)` }
        : last,
    ];
  }
}
