/**
 * Reading typed values out of a raw row, each failure phrased as the bad-row reason the user sees.
 * Parquet strings that are not valid UTF-8 arrive as `INVALID_UTF8` (see readers/parquetRecords.ts).
 */
export type RawRow = Record<string, unknown>;

/** Marks a Parquet string whose bytes are not valid UTF-8, so the row (not the whole file) is rejected. */
export const INVALID_UTF8 = Symbol('invalid UTF-8');

/** The value of a required text field, or the reason it cannot be used. */
export function textField(row: RawRow, name: string): { value: string } | { reason: string } {
  const value = row[name];
  if (value === undefined || value === null) return { reason: `missing field "${name}"` };
  if (value === INVALID_UTF8) return { reason: `field "${name}" is not valid UTF-8` };
  if (typeof value === 'number' || typeof value === 'bigint') return { value: String(value) };
  if (typeof value !== 'string') return { reason: `field "${name}" is not text` };
  return { value };
}

/** An optional text field: absent, empty or non-text values read as undefined. */
export function optionalText(row: RawRow, name: string | undefined): string | undefined {
  if (!name) return undefined;
  const value = row[name];
  if (typeof value === 'string') return value.trim() === '' ? undefined : value;
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  return undefined;
}

/** Difficulty from `3`, `"3"` or MATH's `"Level 3"`; anything else (MATH has "Level ?") is unknown. */
export function levelField(row: RawRow, name: string | undefined): number | undefined {
  if (!name) return undefined;
  const value = row[name];
  const match = typeof value === 'string' ? /^(?:level\s*)?(\d+)$/i.exec(value.trim()) : null;
  const n = typeof value === 'number' ? value : typeof value === 'bigint' ? Number(value) : match ? Number(match[1]) : NaN;
  return Number.isInteger(n) && n >= 0 ? n : undefined;
}
