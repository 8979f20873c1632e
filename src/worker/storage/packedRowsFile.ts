import { LabError } from '../../errors';
import type { PackedRow } from '../../data/packing';
import type { TrainerData } from '../../train/trainer';

const FORMAT = 'lora-lab-packed-rows-1';

interface Header {
  format: string;
  seqLen: number;
  trainRows: number;
  validationRows: number;
  /** Curriculum stages, each a run of consecutive training rows (runs with a curriculum only). */
  stages?: Stage[];
}

type Stage = { name: string; rows: number };

/** The trainer's data, with the curriculum stages a run may have. */
export type StoredRows = TrainerData & { stages?: readonly Stage[] };

/**
 * A run's prepared data (packed token rows, both splits) as one binary file, so a reloaded page can continue the
 * run without the user's shards: a little-endian u32 header length, the JSON header padded to 4 bytes, then per
 * split the Int32 tokens, segment ids and positions [rows, seqLen], Int32 segment counts [rows], and the Uint8
 * targets [rows, seqLen].
 */
export function serializePackedRows(data: StoredRows, seqLen: number): Blob {
  const header: Header = { format: FORMAT, seqLen, trainRows: data.train.length, validationRows: data.validation.length };
  if (data.stages) header.stages = data.stages.map((s) => ({ name: s.name, rows: s.rows }));
  let json = JSON.stringify(header);
  json += ' '.repeat((4 - ((new TextEncoder().encode(json).length + 4) % 4)) % 4);
  const jsonBytes = new TextEncoder().encode(json);
  const length = new Uint8Array(4);
  new DataView(length.buffer).setUint32(0, jsonBytes.length, true);
  const parts: BlobPart[] = [length, jsonBytes];
  for (const rows of [data.train, data.validation]) {
    for (const key of ['tokens', 'segmentIds', 'positions'] as const)
      parts.push(
        concatInt32(
          rows.map((r) => r[key]),
          seqLen,
        ),
      );
    parts.push(Int32Array.from(rows, (r) => r.segments));
    const targets = new Uint8Array(rows.length * seqLen);
    rows.forEach((r, i) => targets.set(r.targets, i * seqLen));
    parts.push(targets);
  }
  return new Blob(parts as Uint8Array<ArrayBuffer>[]);
}

function concatInt32(arrays: Int32Array[], seqLen: number): Int32Array<ArrayBuffer> {
  const out = new Int32Array(arrays.length * seqLen);
  arrays.forEach((a, i) => out.set(a, i * seqLen));
  return out;
}

export async function deserializePackedRows(blob: Blob, where: string): Promise<StoredRows & { seqLen: number }> {
  const bytes = new Uint8Array(await blob.arrayBuffer());
  const fail = (what: string) => new LabError(what, where, 'Discard this run and train again.');
  if (bytes.length < 4) throw fail("the run's data file is empty or cut short");
  const jsonLength = new DataView(bytes.buffer).getUint32(0, true);
  let header: Header;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(4, 4 + jsonLength)));
  } catch {
    throw fail("the run's data file has no readable header");
  }
  if (header.format !== FORMAT) throw fail(`the run's data file has format "${header.format}", not ${FORMAT}`);
  const { seqLen } = header;
  let offset = 4 + jsonLength;
  const take = <T extends Int32Array | Uint8Array>(make: (buffer: ArrayBuffer, count: number) => T, count: number, width: number): T => {
    if (offset + count * width > bytes.length) throw fail("the run's data file is cut short");
    const out = make(bytes.slice(offset, offset + count * width).buffer, count);
    offset += count * width;
    return out;
  };
  const int32 = (n: number) => take((b, c) => new Int32Array(b, 0, c), n, 4);
  const split = (rows: number): PackedRow[] => {
    const [tokens, segmentIds, positions] = [int32(rows * seqLen), int32(rows * seqLen), int32(rows * seqLen)];
    const segments = int32(rows);
    const targets = take((b, c) => new Uint8Array(b, 0, c), rows * seqLen, 1);
    return Array.from({ length: rows }, (_, i) => ({
      tokens: tokens.slice(i * seqLen, (i + 1) * seqLen),
      targets: targets.slice(i * seqLen, (i + 1) * seqLen),
      segmentIds: segmentIds.slice(i * seqLen, (i + 1) * seqLen),
      positions: positions.slice(i * seqLen, (i + 1) * seqLen),
      segments: segments[i],
    }));
  };
  const train = split(header.trainRows);
  const validation = split(header.validationRows);
  if (offset !== bytes.length) throw fail(`the run's data file has ${bytes.length - offset} bytes after its rows`);
  return { train, validation, seqLen, ...(header.stages && { stages: header.stages }) };
}
