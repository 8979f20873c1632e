/**
 * A JSON array read one element at a time (MetaMathQA ships as one 400 MB array). A byte-level scanner
 * tracks strings, escapes and nesting depth to find where each top-level element ends; only that element's
 * bytes are held, then decoded and parsed on their own. Elements are numbered from 0 and come in one batch
 * per input chunk.
 *
 * An element that is balanced but not valid JSON is one bad row. Broken structure (an unclosed string or
 * bracket) cannot be resynchronised, so the scan ends there with one bad row saying the file ends inside it.
 */
import { parseRow, RowBytes, type RawRecord, type ReadLimits } from './record';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;

function isSpace(b: number): boolean {
  return b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
}

export async function* jsonArray(chunks: AsyncIterable<Uint8Array>, limits: ReadLimits): AsyncGenerator<RawRecord[]> {
  let phase = 'before' as 'before' | 'between' | 'element' | 'after';
  let depth = 0; // nesting inside the current element
  let inString = false;
  let escaped = false;
  let index = 0;
  const element = new RowBytes(limits.maxRowBytes);
  let trailing = false;

  function finish(): RawRecord {
    const record: RawRecord = element.tooLong
      ? { row: index, error: `row longer than ${limits.maxRowBytes} bytes` }
      : parseRow(index, element.bytes());
    index++;
    element.clear();
    return record;
  }

  for await (const chunk of chunks) {
    const batch: RawRecord[] = [];
    let start = -1; // where the current element's bytes begin in this chunk
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i];
      if (phase === 'element') {
        if (inString) {
          if (escaped) escaped = false;
          else if (b === BACKSLASH) escaped = true;
          else if (b === QUOTE) inString = false;
        } else if (b === QUOTE) inString = true;
        else if (b === OPEN_BRACE || b === OPEN_BRACKET) depth++;
        else if ((b === CLOSE_BRACE || b === CLOSE_BRACKET) && depth > 0) depth--;
        else if (depth === 0 && (b === COMMA || b === CLOSE_BRACKET)) {
          element.add(chunk.subarray(Math.max(start, 0), i));
          start = -1;
          batch.push(finish());
          phase = b === COMMA ? 'between' : 'after';
        }
      } else if (isSpace(b)) {
        continue;
      } else if (phase === 'before') {
        if (b !== OPEN_BRACKET) {
          yield [{ row: 0, error: 'not a JSON array: the file does not start with "["' }];
          return;
        }
        phase = 'between';
      } else if (phase === 'between') {
        if (b === CLOSE_BRACKET && index === 0) {
          phase = 'after';
          continue;
        }
        phase = 'element';
        start = i;
        depth = 0;
        i--; // let the element branch see this byte (it may open a string or an object)
      } else if (!trailing) {
        trailing = true;
        batch.push({ row: index, error: 'text after the closing "]" of the array was ignored' });
      }
    }
    if (phase === 'element') element.add(chunk.slice(Math.max(start, 0)));
    if (batch.length > 0) yield batch;
  }
  if (phase !== 'after') {
    yield [{ row: index, error: 'the file ends inside this row (truncated?): the array is not closed' }];
  }
}
