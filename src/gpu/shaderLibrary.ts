/**
 * Where WGSL sources come from. The browser build bundles `shaders/*.wgsl` with Vite (`?raw`);
 * Node reads the same files from disk. Kernels ask for a shader by file name without extension.
 */
export interface ShaderLibrary {
  source(name: string): string;
}

/**
 * The one place WGSL is templated, because WGSL has no includes: a line `//! include <name>` is replaced by
 * `shaders/<name>.wgsl` (shared helpers such as the GGUF block decoders, so no kernel carries a copy of them).
 * Everything else is specialised with `override` constants.
 *
 * Activations are f32 in every kernel. Tensors kept between kernels in f16 (the KV cache, training's checkpoints)
 * are f16 pairs in u32 words (shaders/stored_values.wgsl), chosen per buffer by an override constant: that works on
 * every device, where f16 through shader-f16 would be a second layout of the same data that only some devices (and
 * not SwiftShader, where the tests run) could use. So there is no activation type alias (`act_t`) to template.
 */
export function specialiseSource(source: string, library?: ShaderLibrary): string {
  const expanded = source.replace(/^\/\/! include (\w+)[ \t]*$/gm, (_, name: string) => {
    if (!library) throw new Error(`shader includes "${name}" but no shader library was given to resolve it`);
    const included = library.source(name);
    if (/^\/\/! include /m.test(included)) throw new Error(`shaders/${name}.wgsl includes another file; includes do not nest`);
    return included;
  });
  if (/\bact_t\b/.test(expanded)) {
    throw new Error('a shader uses act_t: activations are f32; store f16 through shaders/stored_values.wgsl');
  }
  return expanded;
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
