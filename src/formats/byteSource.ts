/**
 * What the format readers need of a file: its size and byte ranges. A browser `File` or `Blob` is one.
 * In Node, use `openFileSource` (nodeFileSource.ts): Node 20's `fs.openAsBlob` reports the size of a file
 * over 4 GiB modulo 2^32, which would make a 7B model look truncated.
 */
export interface ByteSource {
  readonly size: number;
  /** A File's name, used in error messages when no name is given. */
  readonly name?: string;
  slice(start: number, end: number): { arrayBuffer(): Promise<ArrayBuffer> };
}

export function sourceName(source: ByteSource, fallback: string): string {
  return typeof source.name === 'string' && source.name ? source.name : fallback;
}
