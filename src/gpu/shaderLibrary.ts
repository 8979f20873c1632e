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
 * The one place WGSL is templated, because WGSL has neither includes nor type overrides:
 * - a line `//! include <name>` is replaced by `shaders/<name>.wgsl` (shared helpers such as the GGUF block
 *   decoders, so no kernel carries a copy of them);
 * - a shader that stores activations as `act_t` gets the alias (and `enable f16;`) prepended.
 * Everything else is specialised with `override` constants.
 */
export function specialiseSource(source: string, precision: ActivationPrecision, library?: ShaderLibrary): string {
  const expanded = source.replace(/^\/\/! include (\w+)[ \t]*$/gm, (_, name: string) => {
    if (!library) throw new Error(`shader includes "${name}" but no shader library was given to resolve it`);
    const included = library.source(name);
    if (/^\/\/! include /m.test(included)) throw new Error(`shaders/${name}.wgsl includes another file; includes do not nest`);
    return included;
  });
  if (!/\bact_t\b/.test(expanded)) return expanded;
  const header = precision === 'f16' ? 'enable f16;\nalias act_t = f16;\n' : 'alias act_t = f32;\n';
  return header + expanded;
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
