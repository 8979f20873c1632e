/**
 * Reading one shard file into Examples: pick the reader from the bytes, detect the layout, validate and
 * normalise each row. Bad rows are counted and listed with their line or row; the rest loads. A file that is
 * not a dataset at all (empty, binary, no known layout) throws one LabError instead.
 *
 * `scanShard` streams Examples to a callback and holds none of them, so a 1 GB shard can be validated in
 * bounded memory; `loadShard` collects them.
 */
import { LabError } from '../errors';
import type { BadRow, Example, RowUnit } from './example';
import type { RawRow } from './fields';
import { blobStream, gunzipStream, readChunks } from './readers/byteStream';
import { jsonArray } from './readers/jsonArray';
import { jsonLines } from './readers/jsonLines';
import { openParquet, parquetRecords } from './readers/parquetRecords';
import { DEFAULT_READ_LIMITS, type ByteProgress, type RawRecord } from './readers/record';
import { jsonFormat, looksBinary, sniffFormat, type ShardFormat } from './readers/sniff';
import {
  customSchema,
  definesLayout,
  detectSchema,
  knownSchemaList,
  refineDraft,
  type FieldMap,
  type Schema,
  type SchemaName,
} from './schemas';

export interface LoadOptions {
  /** Field mapping for layouts that are not detected, or refinements (source/level/stage) of detected ones. */
  fields?: FieldMap;
  /** Rows whose prompt plus response exceed this many characters are rejected as absurd. */
  maxRowChars?: number;
  /** Rows whose raw bytes exceed this are rejected without being held whole. */
  maxRowBytes?: number;
  /** Bad rows beyond this many are counted but not listed, so a ruined file cannot fill memory. */
  maxListedBad?: number;
  onProgress?: ByteProgress;
}

export const DEFAULT_MAX_ROW_CHARS = 100_000;
const DEFAULT_MAX_LISTED_BAD = 10_000;
/** How many leading rows schema detection may look at before giving up. */
const DETECT_WINDOW = 100;

export interface ShardScan {
  name: string;
  format: ShardFormat;
  schema: SchemaName;
  schemaLabel: string;
  /** "line" (JSON Lines, 1-based) or "row" (JSON arrays and Parquet, 0-based). */
  unit: RowUnit;
  bytes: number;
  rowsLoaded: number;
  badCount: number;
  /** The first `maxListedBad` bad rows, in file order. */
  bad: BadRow[];
}

export interface LoadedShard extends ShardScan {
  examples: Example[];
}

function isObject(value: unknown): value is RawRow {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A file whose rows match no known layout; carries the field names it saw so the page can offer a mapping. */
export class NoLayoutError extends LabError {
  constructor(
    name: string,
    readonly fieldNames: string[],
  ) {
    super(
      `no known dataset layout (fields: ${fieldNames.join(', ') || 'none'})`,
      name,
      `known layouts: ${knownSchemaList()}; for any other layout map the fields, e.g. prompt=instruction,response=output`,
    );
  }
}

/** Reads uncompressed JSON Lines or a JSON array. */
function jsonRecords(blob: Blob, format: 'jsonl' | 'json-array', options: LoadOptions): AsyncGenerator<RawRecord[]> {
  const limits = { maxRowBytes: options.maxRowBytes ?? DEFAULT_READ_LIMITS.maxRowBytes };
  const chunks = readChunks(blobStream(blob, options.onProgress));
  return format === 'jsonl' ? jsonLines(chunks, limits) : jsonArray(chunks, limits);
}

/** Decompresses, then looks at the first decompressed bytes to pick JSON Lines or a JSON array. */
async function gzipRecords(blob: Blob, name: string, options: LoadOptions, onFormat: (f: ShardFormat) => void) {
  const chunks = readChunks(gunzipStream(blob, options.onProgress));
  const limits = { maxRowBytes: options.maxRowBytes ?? DEFAULT_READ_LIMITS.maxRowBytes };
  let first: IteratorResult<Uint8Array>;
  try {
    first = await chunks.next();
  } catch (error) {
    throw new LabError(`gzip data is damaged (${(error as Error).message})`, name, 'download the file again');
  }
  if (first.done) throw new LabError('the compressed file holds no data', name);
  if (looksBinary(first.value.subarray(0, 4096))) throw new LabError('the decompressed data is binary, not a dataset', name);
  const inner = jsonFormat(first.value);
  onFormat(inner === 'jsonl' ? 'jsonl-gzip' : 'json-array-gzip');
  async function* all(): AsyncGenerator<Uint8Array> {
    yield first.value as Uint8Array;
    yield* chunks;
  }
  let damage: string | undefined;
  async function* untilDamaged(): AsyncGenerator<Uint8Array> {
    try {
      yield* all();
    } catch (error) {
      damage = (error as Error).message;
    }
  }
  async function* withDamageReport(): AsyncGenerator<RawRecord[]> {
    let next = inner === 'jsonl' ? 1 : 0;
    for await (const batch of inner === 'jsonl' ? jsonLines(untilDamaged(), limits) : jsonArray(untilDamaged(), limits)) {
      next = batch[batch.length - 1].row + 1;
      yield batch;
    }
    // Rows before the damage were already delivered; the rest of the file is unreadable.
    if (damage) yield [{ row: next, error: `the compressed data ends early or is damaged here (${damage}); later rows are lost` }];
  }
  return withDamageReport();
}

export async function scanShard(
  blob: Blob,
  name: string,
  onExample: (example: Example) => void,
  options: LoadOptions = {},
): Promise<ShardScan> {
  let format = await sniffFormat(blob, name);
  const maxRowChars = options.maxRowChars ?? DEFAULT_MAX_ROW_CHARS;
  const maxListedBad = options.maxListedBad ?? DEFAULT_MAX_LISTED_BAD;
  const mapped = definesLayout(options.fields) ? customSchema(options.fields!) : undefined;
  const scan: ShardScan = {
    name,
    format,
    schema: 'custom',
    schemaLabel: '',
    unit: format === 'jsonl' || format === 'jsonl-gzip' ? 'line' : 'row',
    bytes: blob.size,
    rowsLoaded: 0,
    badCount: 0,
    bad: [],
  };
  const addBad = (row: number, reason: string) => {
    scan.badCount++;
    if (scan.bad.length < maxListedBad) scan.bad.push({ row, reason });
  };

  let schema: Schema | undefined = mapped;
  let batches: AsyncIterable<RawRecord[]>;
  if (format === 'parquet') {
    const file = await openParquet(blob, name);
    schema ??= detectSchema(file.columns);
    if (!schema) throw new NoLayoutError(name, file.columns);
    const wanted = new Set([...schema.reads, ...Object.values(options.fields ?? {})]);
    batches = parquetRecords(
      file,
      file.columns.filter((c) => wanted.has(c)),
      options.onProgress,
    );
  } else if (format === 'jsonl-gzip') {
    batches = await gzipRecords(blob, name, options, (f) => (format = f));
    scan.format = format;
    scan.unit = format === 'jsonl-gzip' ? 'line' : 'row';
  } else {
    batches = jsonRecords(blob, format as 'jsonl' | 'json-array', options);
  }

  const accept = (record: RawRecord, layout: Schema) => {
    if ('error' in record) return addBad(record.row, record.error);
    if (!isObject(record.value)) return addBad(record.row, 'not a JSON object');
    const draft = layout.toDraft(record.value);
    if ('reason' in draft) return addBad(record.row, draft.reason);
    const example: Example = { ...refineDraft(draft, record.value, options.fields), shard: name, row: record.row };
    if (example.kind === 'sft' && example.prompt.trim() === '') return addBad(record.row, 'empty prompt');
    if (example.response.trim() === '') return addBad(record.row, example.kind === 'text' ? 'empty text' : 'empty response');
    const chars = example.prompt.length + example.response.length;
    if (chars > maxRowChars) return addBad(record.row, `too long: ${chars} characters (limit ${maxRowChars})`);
    scan.rowsLoaded++;
    onExample(example);
  };

  // Until the layout is known, rows wait here (at most DETECT_WINDOW of them).
  const waiting: RawRecord[] = [];
  const seenFields = new Set<string>();
  for await (const batch of batches) {
    for (const record of batch) {
      if (schema) {
        accept(record, schema);
        continue;
      }
      waiting.push(record);
      if ('value' in record && isObject(record.value)) {
        Object.keys(record.value).forEach((k) => seenFields.add(k));
        schema = detectSchema(Object.keys(record.value));
      }
      if (schema) for (const r of waiting.splice(0)) accept(r, schema);
      else if (waiting.length >= DETECT_WINDOW) throw new NoLayoutError(name, [...seenFields]);
    }
  }
  if (!schema) {
    if (seenFields.size > 0) throw new NoLayoutError(name, [...seenFields]);
    const reasons = [...new Set(waiting.map((r) => ('error' in r ? r.error : 'not a JSON object')))].slice(0, 3);
    throw new LabError(`no row is a JSON object, so this is not a dataset (${reasons.join('; ')})`, name);
  }
  scan.schema = schema.name;
  scan.schemaLabel = schema.label;
  return scan;
}

export async function loadShard(blob: Blob, name: string, options: LoadOptions = {}): Promise<LoadedShard> {
  const examples: Example[] = [];
  const scan = await scanShard(blob, name, (e) => examples.push(e), options);
  return { ...scan, examples };
}
