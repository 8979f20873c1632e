/**
 * A test-only Parquet writer: uncompressed, PLAIN-encoded, one data page (v1) per column chunk, with the
 * footer in Thrift's compact protocol. No Parquet writer is installed (hyparquet only reads), so the tests
 * and the throughput benchmark write real Parquet bytes with this, from the format's published definitions.
 *
 * Column kinds: optional UTF-8 strings (a `Uint8Array` value is written as raw bytes, for invalid-UTF-8
 * tests), optional INT32, and NuminaMath's `messages` (an optional LIST of optional {content, role} structs).
 */

export type ColumnKind = 'string' | 'int' | 'messages';
export interface ColumnSpec {
  name: string;
  kind: ColumnKind;
}
type Row = Record<string, unknown>;

// Thrift compact protocol type ids and Parquet enum values.
const T_I32 = 5,
  T_I64 = 6,
  T_BINARY = 8,
  T_LIST = 9,
  T_STRUCT = 12;
const BYTE_ARRAY = 6,
  INT32 = 1;
const OPTIONAL = 1,
  REPEATED = 2;
const UTF8 = 0,
  LIST = 3;
const PLAIN = 0,
  RLE = 3;

class Bytes {
  private parts: number[] = [];
  byte(b: number): this {
    this.parts.push(b & 0xff);
    return this;
  }
  varint(n: bigint | number): this {
    let v = BigInt(n);
    while (v >= 0x80n) {
      this.byte(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    return this.byte(Number(v));
  }
  zigzag(n: bigint | number): this {
    const v = BigInt(n);
    return this.varint(v >= 0n ? v << 1n : (-v << 1n) - 1n);
  }
  u32le(n: number): this {
    return this.byte(n)
      .byte(n >>> 8)
      .byte(n >>> 16)
      .byte(n >>> 24);
  }
  raw(bytes: Uint8Array): this {
    for (const b of bytes) this.parts.push(b);
    return this;
  }
  get length(): number {
    return this.parts.length;
  }
  done(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

/** A Thrift struct as [fieldId, value] pairs; values are tagged so the encoder knows their wire type. */
type TValue =
  { i32: number } | { i64: number | bigint } | { bin: string | Uint8Array } | { list: TValue[]; of: number } | { struct: TField[] };
type TField = [number, TValue];

function wireType(v: TValue): number {
  return 'i32' in v ? T_I32 : 'i64' in v ? T_I64 : 'bin' in v ? T_BINARY : 'list' in v ? T_LIST : T_STRUCT;
}

function writeValue(out: Bytes, v: TValue): void {
  if ('i32' in v) out.zigzag(v.i32);
  else if ('i64' in v) out.zigzag(v.i64);
  else if ('bin' in v) {
    const bytes = typeof v.bin === 'string' ? new TextEncoder().encode(v.bin) : v.bin;
    out.varint(bytes.length).raw(bytes);
  } else if ('list' in v) {
    if (v.list.length < 15) out.byte((v.list.length << 4) | v.of);
    else out.byte(0xf0 | v.of).varint(v.list.length);
    for (const item of v.list) writeValue(out, item);
  } else writeStruct(out, v.struct);
}

function writeStruct(out: Bytes, fields: TField[]): void {
  let last = 0;
  for (const [id, value] of fields) {
    out.byte(((id - last) << 4) | wireType(value));
    last = id;
    writeValue(out, value);
  }
  out.byte(0);
}

/** One leaf column: its path and the repetition/definition levels and values of its entries. */
interface Leaf {
  path: string[];
  type: number;
  maxRep: number;
  maxDef: number;
}

function leavesOf(spec: ColumnSpec): Leaf[] {
  if (spec.kind === 'messages') {
    return ['content', 'role'].map((f) => ({ path: [spec.name, 'list', 'element', f], type: BYTE_ARRAY, maxRep: 1, maxDef: 4 }));
  }
  return [{ path: [spec.name], type: spec.kind === 'int' ? INT32 : BYTE_ARRAY, maxRep: 0, maxDef: 1 }];
}

function schemaElements(specs: ColumnSpec[]): TValue[] {
  const el = (fields: TField[]): TValue => ({ struct: fields });
  const out: TValue[] = [
    el([
      [4, { bin: 'schema' }],
      [5, { i32: specs.length }],
    ]),
  ];
  for (const spec of specs) {
    if (spec.kind === 'messages') {
      out.push(
        el([
          [3, { i32: OPTIONAL }],
          [4, { bin: spec.name }],
          [5, { i32: 1 }],
          [6, { i32: LIST }],
        ]),
      );
      out.push(
        el([
          [3, { i32: REPEATED }],
          [4, { bin: 'list' }],
          [5, { i32: 1 }],
        ]),
      );
      out.push(
        el([
          [3, { i32: OPTIONAL }],
          [4, { bin: 'element' }],
          [5, { i32: 2 }],
        ]),
      );
      for (const f of ['content', 'role'])
        out.push(
          el([
            [1, { i32: BYTE_ARRAY }],
            [3, { i32: OPTIONAL }],
            [4, { bin: f }],
            [6, { i32: UTF8 }],
          ]),
        );
    } else if (spec.kind === 'int') {
      out.push(
        el([
          [1, { i32: INT32 }],
          [3, { i32: OPTIONAL }],
          [4, { bin: spec.name }],
        ]),
      );
    } else {
      out.push(
        el([
          [1, { i32: BYTE_ARRAY }],
          [3, { i32: OPTIONAL }],
          [4, { bin: spec.name }],
          [6, { i32: UTF8 }],
        ]),
      );
    }
  }
  return out;
}

/** Levels as an RLE/bit-packed hybrid with a 4-byte length prefix: one RLE run per value keeps it simple. */
function levels(out: Bytes, values: number[], maxLevel: number): void {
  const body = new Bytes();
  const width = Math.ceil(Math.log2(maxLevel + 1));
  for (const v of values) {
    body.varint(1 << 1);
    for (let b = 0; b < Math.ceil(width / 8); b++) body.byte(v >>> (8 * b));
  }
  out.u32le(body.length).raw(body.done());
}

function leafEntries(spec: ColumnSpec, leaf: Leaf, rows: Row[]) {
  const reps: number[] = [];
  const defs: number[] = [];
  const values: unknown[] = [];
  for (const row of rows) {
    const value = row[spec.name];
    if (spec.kind !== 'messages') {
      reps.push(0);
      defs.push(value === null || value === undefined ? 0 : 1);
      if (value !== null && value !== undefined) values.push(value);
      continue;
    }
    const messages = value as Record<string, unknown>[] | null | undefined;
    if (!messages || messages.length === 0) {
      reps.push(0);
      defs.push(messages ? 1 : 0);
      continue;
    }
    messages.forEach((m, i) => {
      const field = m?.[leaf.path[3]];
      reps.push(i === 0 ? 0 : 1);
      defs.push(m == null ? 2 : field == null ? 3 : 4);
      if (m != null && field != null) values.push(field);
    });
  }
  return { reps, defs, values };
}

function pageOf(spec: ColumnSpec, leaf: Leaf, rows: Row[]): { page: Uint8Array; count: number } {
  const { reps, defs, values } = leafEntries(spec, leaf, rows);
  const body = new Bytes();
  if (leaf.maxRep > 0) levels(body, reps, leaf.maxRep);
  levels(body, defs, leaf.maxDef);
  for (const v of values) {
    if (leaf.type === INT32) body.u32le(Number(v));
    else {
      const bytes = v instanceof Uint8Array ? v : new TextEncoder().encode(String(v));
      body.u32le(bytes.length).raw(bytes);
    }
  }
  const data = body.done();
  const header = new Bytes();
  writeStruct(header, [
    [1, { i32: 0 }],
    [2, { i32: data.length }],
    [3, { i32: data.length }],
    [
      5,
      {
        struct: [
          [1, { i32: defs.length }],
          [2, { i32: PLAIN }],
          [3, { i32: RLE }],
          [4, { i32: RLE }],
        ],
      },
    ],
  ]);
  const page = new Uint8Array(header.length + data.length);
  page.set(header.done());
  page.set(data, header.length);
  return { page, count: defs.length };
}

/**
 * Writes a file piece by piece so a benchmark can stream gigabytes to disk: `start()`, then `rowGroup(rows)`
 * any number of times, then `finish()`; the concatenation of the returned pieces is the file.
 */
export class ParquetEncoder {
  private offset = 0;
  private groups: TValue[] = [];
  private rows = 0n;
  constructor(private readonly specs: ColumnSpec[]) {}

  start(): Uint8Array {
    this.offset = 4;
    return new TextEncoder().encode('PAR1');
  }

  rowGroup(rows: Row[]): Uint8Array {
    const pieces: Uint8Array[] = [];
    const chunks: TValue[] = [];
    let groupBytes = 0;
    for (const spec of this.specs) {
      for (const leaf of leavesOf(spec)) {
        const { page, count } = pageOf(spec, leaf, rows);
        const meta: TField[] = [
          [1, { i32: leaf.type }],
          [2, { list: [{ i32: PLAIN }, { i32: RLE }], of: T_I32 }],
          [3, { list: leaf.path.map((p) => ({ bin: p })), of: T_BINARY }],
          [4, { i32: 0 }],
          [5, { i64: count }],
          [6, { i64: page.length }],
          [7, { i64: page.length }],
          [9, { i64: this.offset }],
        ];
        chunks.push({
          struct: [
            [2, { i64: this.offset }],
            [3, { struct: meta }],
          ],
        });
        pieces.push(page);
        this.offset += page.length;
        groupBytes += page.length;
      }
    }
    this.groups.push({
      struct: [
        [1, { list: chunks, of: T_STRUCT }],
        [2, { i64: groupBytes }],
        [3, { i64: rows.length }],
      ],
    });
    this.rows += BigInt(rows.length);
    const out = new Uint8Array(groupBytes);
    let at = 0;
    for (const p of pieces) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }

  finish(): Uint8Array {
    const footer = new Bytes();
    writeStruct(footer, [
      [1, { i32: 1 }],
      [2, { list: schemaElements(this.specs), of: T_STRUCT }],
      [3, { i64: this.rows }],
      [4, { list: this.groups, of: T_STRUCT }],
      [6, { bin: 'lora-lab test encoder' }],
    ]);
    const length = footer.length;
    footer.u32le(length).raw(new TextEncoder().encode('PAR1'));
    return footer.done();
  }
}

/** A whole Parquet file in memory, `rowsPerGroup` rows per row group. */
export function parquetFile(specs: ColumnSpec[], rows: Row[], rowsPerGroup = 1000): Uint8Array {
  const encoder = new ParquetEncoder(specs);
  const pieces = [encoder.start()];
  for (let i = 0; i < rows.length; i += rowsPerGroup) pieces.push(encoder.rowGroup(rows.slice(i, i + rowsPerGroup)));
  pieces.push(encoder.finish());
  const out = new Uint8Array(pieces.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of pieces) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
