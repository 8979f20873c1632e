/** The scalar types a kernel's parameter struct may hold: each one 4-byte word. */
export type UniformType = 'u32' | 'i32' | 'f32';

export type UniformFields = Record<string, UniformType>;

/** A parameter block ready for a dispatch: its bytes and the layout they were written by. */
export interface PackedUniforms {
  readonly layout: UniformLayout;
  readonly bytes: ArrayBuffer;
}

/**
 * A kernel's parameter struct, named once in its wrapper: the fields of the shader's `struct Params` in order. The
 * wrapper writes values by name (`pack`); the pipeline cache checks the names, order and types against the WGSL
 * struct of every shader the block is dispatched to (`checkUniformLayout`), so a struct and its wrapper cannot drift
 * apart. Trailing struct fields named `_…` are padding and are not declared; the block is padded to 16 bytes.
 */
export class UniformLayout<F extends UniformFields = UniformFields> {
  readonly fields: readonly { name: string; type: UniformType }[];

  constructor(
    /** The shaders (file names without extension) whose `Params` this describes. */
    readonly shaders: readonly string[],
    fields: F,
  ) {
    this.fields = Object.entries(fields).map(([name, type]) => ({ name, type }));
  }

  get byteLength(): number {
    return Math.max(16, Math.ceil((this.fields.length * 4) / 16) * 16);
  }

  pack(values: { readonly [K in keyof F]: number }): PackedUniforms {
    const bytes = new ArrayBuffer(this.byteLength);
    const view = new DataView(bytes);
    const byName = values as Record<string, number>;
    this.fields.forEach(({ name, type }, i) => {
      const value = byName[name];
      if (type === 'f32') {
        view.setFloat32(i * 4, value, true);
        return;
      }
      const [min, max] = type === 'u32' ? [0, 0xffffffff] : [-0x80000000, 0x7fffffff];
      if (!Number.isInteger(value) || value < min || value > max) {
        throw new RangeError(`${this.shaders[0]} parameter ${name}: ${value} is not a whole number in the ${type} range`);
      }
      if (type === 'u32') view.setUint32(i * 4, value, true);
      else view.setInt32(i * 4, value, true);
    });
    return { layout: this as UniformLayout, bytes };
  }
}

export function uniformLayout<F extends UniformFields>(shaders: string | readonly string[], fields: F): UniformLayout<F> {
  return new UniformLayout(typeof shaders === 'string' ? [shaders] : shaders, fields);
}

/** The fields of the struct behind a shader's `var<uniform>`, or undefined when the shader has no uniform block. */
export function uniformStruct(shader: string, source: string): { name: string; type: string }[] | undefined {
  const code = source.replace(/\/\/.*$/gm, '');
  const blocks = [...code.matchAll(/var<uniform>\s*\w+\s*:\s*(\w+)\s*;/g)];
  if (blocks.length === 0) return undefined;
  if (blocks.length > 1)
    throw new Error(`shaders/${shader}.wgsl declares ${blocks.length} uniform blocks; kernels take one, at @binding(0)`);
  const structName = blocks[0][1];
  const body = new RegExp(`struct\\s+${structName}\\s*\\{([^}]*)\\}`).exec(code);
  if (!body) throw new Error(`shaders/${shader}.wgsl: no struct ${structName} for its uniform block`);
  return body[1]
    .split(',')
    .map((field) => field.trim())
    .filter(Boolean)
    .map((field) => {
      const [name, type] = field.split(':').map((part) => part.trim());
      return { name, type };
    });
}

/** Throws, naming the shader and the first field that differs, unless `layout` is the uniform struct of `source`. */
export function checkUniformLayout(layout: UniformLayout | undefined, shader: string, source: string): void {
  const struct = uniformStruct(shader, source);
  const where = `shaders/${shader}.wgsl`;
  if (!layout || !struct) {
    if (layout) throw new Error(`${where} has no uniform block, but its dispatch passes ${layout.fields.length} parameters`);
    if (struct) throw new Error(`${where} declares a uniform struct of ${struct.length} fields, but its dispatch passes none`);
    return;
  }
  if (!layout.shaders.includes(shader)) {
    throw new Error(`${where} is dispatched with the parameter layout declared for ${layout.shaders.join(', ')}`);
  }
  const show = (f: { name: string; type: string } | undefined) => (f ? `${f.name}: ${f.type}` : 'nothing');
  for (let i = 0; i < Math.max(layout.fields.length, struct.length); i++) {
    const declared = layout.fields[i];
    const actual = struct[i];
    if (!declared && actual.name.startsWith('_')) continue;
    if (declared?.name !== actual?.name || declared?.type !== actual?.type) {
      throw new Error(`${where} Params field ${i} is ${show(actual)}, but the kernel's uniform layout writes ${show(declared)}`);
    }
  }
  if (struct.length * 4 > layout.byteLength) {
    throw new Error(`${where} Params is ${struct.length * 4} bytes, more than the ${layout.byteLength} the uniform layout writes`);
  }
}
