/**
 * Parquet through hyparquet, one row group at a time so memory holds one group, never the file.
 * Strings are decoded strictly: bytes that are not UTF-8 become `INVALID_UTF8` and condemn one row.
 * Rows are numbered from 0 across the whole file and come in one batch per row group.
 */
import { parquetMetadataAsync, parquetReadObjects, parquetSchema, type AsyncBuffer, type FileMetaData } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { LabError } from '../../errors';
import { INVALID_UTF8 } from '../fields';
import type { ByteProgress, RawRecord } from './record';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

function blobBuffer(blob: Blob): AsyncBuffer {
  return { byteLength: blob.size, slice: (start, end) => blob.slice(start, end).arrayBuffer() };
}

export interface ParquetFile {
  buffer: AsyncBuffer;
  metadata: FileMetaData;
  /** Top-level column names, which is what schema detection looks at. */
  columns: string[];
}

export async function openParquet(blob: Blob, name: string): Promise<ParquetFile> {
  const buffer = blobBuffer(blob);
  try {
    const metadata = await parquetMetadataAsync(buffer);
    const columns = parquetSchema(metadata).children.map((c) => c.element.name);
    return { buffer, metadata, columns };
  } catch (error) {
    throw new LabError(
      `not a readable Parquet file (${(error as Error).message})`,
      name,
      'the file starts like Parquet but its footer is damaged; download it again',
    );
  }
}

/** Where a row group's bytes end in the file, for progress. */
function groupEndByte(metadata: FileMetaData, group: number): number {
  let end = 0;
  for (const column of metadata.row_groups[group].columns) {
    const meta = column.meta_data;
    if (!meta) continue;
    const start = Number(meta.dictionary_page_offset ?? meta.data_page_offset);
    end = Math.max(end, start + Number(meta.total_compressed_size));
  }
  return end;
}

export async function* parquetRecords(file: ParquetFile, columns: string[], onProgress?: ByteProgress): AsyncGenerator<RawRecord[]> {
  const parsers = {
    stringFromBytes: (bytes: Uint8Array | undefined) => {
      if (!bytes) return bytes;
      try {
        return strictUtf8.decode(bytes);
      } catch {
        return INVALID_UTF8;
      }
    },
  };
  let rowStart = 0;
  for (let group = 0; group < file.metadata.row_groups.length; group++) {
    const rowEnd = rowStart + Number(file.metadata.row_groups[group].num_rows);
    let rows: Record<string, unknown>[];
    try {
      rows = await parquetReadObjects({ file: file.buffer, metadata: file.metadata, columns, rowStart, rowEnd, compressors, parsers });
    } catch (error) {
      // A damaged row group loses its rows (reported as one bad entry) but not the groups around it.
      yield [{ row: rowStart, error: `row group ${group} (rows ${rowStart}-${rowEnd - 1}) is unreadable: ${(error as Error).message}` }];
      rowStart = rowEnd;
      continue;
    }
    yield rows.map((value, i) => ({ row: rowStart + i, value }));
    onProgress?.(groupEndByte(file.metadata, group), file.buffer.byteLength);
    rowStart = rowEnd;
  }
}
