/**
 * A byte-level GGUF builder for tests: it writes exactly what it is told, including values no valid file
 * has (bad magic, 5 dimensions, unknown type ids), so the reader's checks can be exercised one by one.
 */
export class RawGguf {
  private parts: number[] = [];

  u8(v: number): this {
    this.parts.push(v & 0xff);
    return this;
  }
  u32(v: number): this {
    for (let i = 0; i < 4; i++) this.parts.push((v >>> (8 * i)) & 0xff);
    return this;
  }
  u64(v: number | bigint): this {
    let b = BigInt(v);
    for (let i = 0; i < 8; i++) {
      this.parts.push(Number(b & 0xffn));
      b >>= 8n;
    }
    return this;
  }
  f32(v: number): this {
    const b = new Uint8Array(new Float32Array([v]).buffer);
    this.parts.push(...b);
    return this;
  }
  str(s: string): this {
    const b = new TextEncoder().encode(s);
    this.u64(b.length);
    this.parts.push(...b);
    return this;
  }
  header(tensorCount: number | bigint, kvCount: number | bigint, version = 3): this {
    return this.u32(0x46554747).u32(version).u64(tensorCount).u64(kvCount);
  }
  kvU32(key: string, v: number): this {
    return this.str(key).u32(4).u32(v);
  }
  kvString(key: string, v: string): this {
    return this.str(key).u32(8).str(v);
  }
  tensor(name: string, dims: (number | bigint)[], typeId: number, offset: number | bigint): this {
    this.str(name).u32(dims.length);
    for (const d of dims) this.u64(d);
    return this.u32(typeId).u64(offset);
  }
  get length(): number {
    return this.parts.length;
  }
  padTo(alignment: number): this {
    while (this.parts.length % alignment) this.parts.push(0);
    return this;
  }
  zeros(n: number): this {
    for (let i = 0; i < n; i++) this.parts.push(0);
    return this;
  }
  blob(): Blob {
    return new Blob([new Uint8Array(this.parts)]);
  }
}
