/**
 * Where WGSL sources come from. The browser build bundles `shaders/*.wgsl` with Vite (`?raw`);
 * Node reads the same files from disk. Kernels ask for a shader by file name without extension.
 */
export interface ShaderLibrary {
  source(name: string): string;
}

/** Storage precision of activations. Accumulation is always f32. */
export type ActivationPrecision = 'f32' | 'f16';

/**
 * The one place WGSL is templated: a shader that stores activations as `act_t` gets the alias (and
 * `enable f16;`) prepended, because WGSL has no override for types. Everything else uses `override` constants.
 */
export function specialiseSource(source: string, precision: ActivationPrecision): string {
  if (!/\bact_t\b/.test(source)) return source;
  const header = precision === 'f16' ? 'enable f16;\nalias act_t = f16;\n' : 'alias act_t = f32;\n';
  return header + source;
}

export function makeShaderLibrary(sources: Record<string, string>): ShaderLibrary {
  return {
    source(name) {
      const text = sources[name];
      if (text === undefined) {
        throw new Error(`no shader named "${name}" in shaders/ (have: ${Object.keys(sources).sort().join(', ')})`);
      }
      return text;
    },
  };
}
