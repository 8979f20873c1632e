/**
 * Packs a kernel's parameter struct. Fields are 4-byte scalars written in declaration order, matching a WGSL
 * `struct Params { a: u32, b: f32, ... }`; the buffer is padded to 16 bytes as uniform structs require.
 */
export class Uniforms {
  private readonly words: { kind: 'u32' | 'i32' | 'f32'; value: number }[] = [];

  u32(value: number): this {
    if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) throw new RangeError(`u32 parameter out of range: ${value}`);
    this.words.push({ kind: 'u32', value });
    return this;
  }

  i32(value: number): this {
    if (!Number.isInteger(value) || value < -0x80000000 || value > 0x7fffffff) throw new RangeError(`i32 parameter out of range: ${value}`);
    this.words.push({ kind: 'i32', value });
    return this;
  }

  f32(value: number): this {
    this.words.push({ kind: 'f32', value });
    return this;
  }

  bytes(): ArrayBuffer {
    const buffer = new ArrayBuffer(Math.max(16, Math.ceil((this.words.length * 4) / 16) * 16));
    const view = new DataView(buffer);
    this.words.forEach((w, i) => {
      if (w.kind === 'f32') view.setFloat32(i * 4, w.value, true);
      else if (w.kind === 'i32') view.setInt32(i * 4, w.value, true);
      else view.setUint32(i * 4, w.value, true);
    });
    return buffer;
  }
}

export function uniforms(): Uniforms {
  return new Uniforms();
}
