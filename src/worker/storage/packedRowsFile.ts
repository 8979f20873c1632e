import { LabError } from '../../errors';
import type { PackedRow, PackedRowSource } from '../../data/packing';
import type { TrainerData } from '../../train/trainer';
import type { PackedRowsTarget } from '../../train/prepareData';
import type { ScratchFile } from '../../util/scratchFile';

const FORMAT = 'lora-lab-packed-rows-2';
/** Segment ids are stored as Uint16. */
const MAX_SEQ_LEN = 0xffff;

interface Footer {
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

/** Bytes of one row: seqLen Int32 tokens, seqLen Uint16 segment ids, seqLen Uint8 targets, padded to 4 bytes. */
function rowBytes(seqLen: number): number {
  return (seqLen * 7 + 3) & ~3;
}

/**
 * A run's packed rows (both splits) in one file, written a row at a time as they are packed and read back a row at a
 * time, so a run over millions of examples never holds its rows in memory and a reloaded page continues the run
 * without the user's shards. Layout: the training rows, then the held-out rows, each `rowBytes(seqLen)` bytes; then a
 * JSON footer (format, seqLen, row counts, stages) and its byte length as a little-endian u32. Positions are not
 * stored: they restart at 0 with each segment (packing.ts) and are rebuilt from the segment ids.
 */
export class PackedRowsWriter implements PackedRowsTarget {
  private readonly record: Uint8Array<ArrayBuffer>;
  private readonly tokens: Int32Array;
  private readonly segmentIds: Uint16Array;
  private readonly targets: Uint8Array;
  private trainRows = 0;
  private validationRows = 0;

  /** `file` is emptied and owned by the writer until `finish`. */
  constructor(
    private readonly file: ScratchFile,
    private readonly seqLen: number,
  ) {
    if (!Number.isInteger(seqLen) || seqLen < 1 || seqLen > MAX_SEQ_LEN)
      throw new LabError(`row length ${seqLen} is not in 1..${MAX_SEQ_LEN}`, file.location, 'Choose a shorter sequence length.');
    file.truncate(0);
    this.record = new Uint8Array(rowBytes(seqLen));
    this.tokens = new Int32Array(this.record.buffer, 0, seqLen);
    this.segmentIds = new Uint16Array(this.record.buffer, seqLen * 4, seqLen);
    this.targets = new Uint8Array(this.record.buffer, seqLen * 6, seqLen);
  }

  /** Appends a row; every training row comes before the first held-out row. */
  add(row: PackedRow, split: 'train' | 'validation'): void {
    if (row.tokens.length !== this.seqLen)
      throw new RangeError(`a packed row of ${row.tokens.length} tokens in a file of rows of ${this.seqLen}`);
    if (split === 'train' && this.validationRows > 0) throw new RangeError('a training row after the held-out rows');
    this.tokens.set(row.tokens);
    this.segmentIds.set(row.segmentIds);
    this.targets.set(row.targets);
    this.file.append(this.record);
    if (split === 'train') this.trainRows++;
    else this.validationRows++;
  }

  /** Writes the footer; the file is then a complete data file, open for `PackedRowsFile`. */
  finish(stages?: readonly Stage[]): PackedRowsFile {
    const footer: Footer = { format: FORMAT, seqLen: this.seqLen, trainRows: this.trainRows, validationRows: this.validationRows };
    if (stages) footer.stages = stages.map((s) => ({ name: s.name, rows: s.rows }));
    const json = new TextEncoder().encode(JSON.stringify(footer));
    const length = new Uint8Array(4);
    new DataView(length.buffer).setUint32(0, json.length, true);
    this.file.append(json);
    this.file.append(length);
    return PackedRowsFile.open(this.file, this.file.location);
  }
}

/** A data file's rows, read from the file as they are asked for. */
export class PackedRowsFile implements StoredRows {
  readonly train: PackedRowSource;
  readonly validation: PackedRowSource;
  readonly stages?: readonly Stage[];

  private constructor(
    private readonly file: ScratchFile,
    readonly seqLen: number,
    footer: Footer,
  ) {
    const bytes = rowBytes(seqLen);
    this.train = { length: footer.trainRows, at: (i) => (i >= 0 && i < footer.trainRows ? this.row(i * bytes) : undefined) };
    const first = footer.trainRows * bytes;
    this.validation = {
      length: footer.validationRows,
      at: (i) => (i >= 0 && i < footer.validationRows ? this.row(first + i * bytes) : undefined),
    };
    if (footer.stages) this.stages = footer.stages;
  }

  /** Reads the footer and checks the file holds exactly the rows it names. */
  static open(file: ScratchFile, where: string): PackedRowsFile {
    const fail = (what: string) => new LabError(what, where, 'Discard this run and train again.');
    if (file.size < 4) throw fail("the run's data file is empty or cut short");
    const length = new DataView(file.read(new Uint8Array(4), file.size - 4).buffer).getUint32(0, true);
    if (length > file.size - 4) throw fail("the run's data file has no readable footer");
    let footer: Footer;
    try {
      footer = JSON.parse(new TextDecoder().decode(file.read(new Uint8Array(length), file.size - 4 - length)));
    } catch {
      throw fail("the run's data file has no readable footer");
    }
    if (footer.format !== FORMAT) throw fail(`the run's data file has format "${footer.format}", not ${FORMAT}`);
    const expected = (footer.trainRows + footer.validationRows) * rowBytes(footer.seqLen) + length + 4;
    if (expected !== file.size)
      throw fail(`the run's data file has ${file.size} bytes where its rows take ${expected}: it is cut short or damaged`);
    return new PackedRowsFile(file, footer.seqLen, footer);
  }

  close(): void {
    this.file.close();
  }

  private row(at: number): PackedRow {
    const { seqLen } = this;
    const record = this.file.read(new Uint8Array(rowBytes(seqLen)), at);
    const tokens = new Int32Array(record.buffer.slice(0, seqLen * 4));
    const segmentIds = Int32Array.from(new Uint16Array(record.buffer, seqLen * 4, seqLen));
    const targets = new Uint8Array(record.buffer.slice(seqLen * 6, seqLen * 7));
    const positions = new Int32Array(seqLen);
    let segments = 0;
    for (let i = 0; i < seqLen; i++) {
      const id = segmentIds[i];
      segments = Math.max(segments, id);
      positions[i] = id !== 0 && i > 0 && segmentIds[i - 1] === id ? positions[i - 1] + 1 : 0;
    }
    return { tokens, targets, segmentIds, positions, segments };
  }
}
