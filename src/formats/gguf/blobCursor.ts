import { LabError } from '../../errors';
import type { ByteSource } from '../byteSource';

/**
 * Reads a file (Blob or ByteSource) front to back through a small window, so a header can be parsed without holding the file.
 *
 * Callers check `has(n)` and `await fill(n)` before reading n bytes; the synchronous readers then never wait.
 * Reading past the end of the file is an error naming `what` and the offset.
 */
export class BlobCursor {
  private window = new Uint8Array(0);
  private view = new DataView(this.window.buffer);
  /** File offset of window[0]. */
  private windowStart = 0;
  /** Read position inside the window. */
  private at = 0;

  constructor(
    private readonly blob: ByteSource,
    private readonly fileName: string,
    private readonly windowBytes = 1 << 20,
  ) {}

  /** Absolute file offset of the next byte to read. */
  get position(): number {
    return this.windowStart + this.at;
  }

  /** Bytes between the read position and the end of the file. */
  get remaining(): number {
    return this.blob.size - this.position;
  }

  has(n: number): boolean {
    return this.window.length - this.at >= n;
  }

  /** Makes the next `n` bytes readable; `what` names the field for the error when the file ends first. */
  async fill(n: number, what: string): Promise<void> {
    if (this.has(n)) return;
    const start = this.position;
    if (n > this.remaining) {
      throw new LabError(
        `file ends at byte ${this.blob.size} while reading ${what} (${n} bytes needed at offset ${start})`,
        this.fileName,
        'the file is truncated or not a GGUF file; download it again',
      );
    }
    const end = Math.min(this.blob.size, start + Math.max(n, this.windowBytes));
    this.window = new Uint8Array(await this.blob.slice(start, end).arrayBuffer());
    this.view = new DataView(this.window.buffer);
    this.windowStart = start;
    this.at = 0;
  }

  async need(n: number, what: string): Promise<void> {
    if (!this.has(n)) await this.fill(n, what);
  }

  u8(): number {
    return this.window[this.at++];
  }
  i8(): number {
    return this.view.getInt8(this.at++);
  }
  u16(): number {
    const v = this.view.getUint16(this.at, true);
    this.at += 2;
    return v;
  }
  i16(): number {
    const v = this.view.getInt16(this.at, true);
    this.at += 2;
    return v;
  }
  u32(): number {
    const v = this.view.getUint32(this.at, true);
    this.at += 4;
    return v;
  }
  i32(): number {
    const v = this.view.getInt32(this.at, true);
    this.at += 4;
    return v;
  }
  f32(): number {
    const v = this.view.getFloat32(this.at, true);
    this.at += 4;
    return v;
  }
  f64(): number {
    const v = this.view.getFloat64(this.at, true);
    this.at += 8;
    return v;
  }
  u64(): bigint {
    const v = this.view.getBigUint64(this.at, true);
    this.at += 8;
    return v;
  }
  i64(): bigint {
    const v = this.view.getBigInt64(this.at, true);
    this.at += 8;
    return v;
  }
  /**
   * Whether the bytes EF BF BD (U+FFFD in UTF-8) sit within 32 bytes of `offset` in the current window: the mark
   * of a binary file that went through a text decoder, which turns every invalid byte sequence into U+FFFD.
   */
  replacementCharNear(offset: number): boolean {
    const from = Math.max(0, offset - this.windowStart - 32);
    const to = Math.min(this.window.length - 2, offset - this.windowStart + 32);
    for (let i = from; i < to; i++) {
      if (this.window[i] === 0xef && this.window[i + 1] === 0xbf && this.window[i + 2] === 0xbd) return true;
    }
    return false;
  }

  /** A copy of the next `n` bytes. */
  bytes(n: number): Uint8Array {
    const out = this.window.slice(this.at, this.at + n);
    this.at += n;
    return out;
  }
  /** A view of the next `n` bytes, valid until the next `fill`. */
  peekBytes(n: number): Uint8Array {
    const out = this.window.subarray(this.at, this.at + n);
    this.at += n;
    return out;
  }
}
