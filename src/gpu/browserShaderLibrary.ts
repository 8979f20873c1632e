import { makeShaderLibrary, type ShaderLibrary } from './shaderLibrary';

const modules = import.meta.glob('../../shaders/*.wgsl', { query: '?raw', import: 'default', eager: true }) as Record<string, string>;

/** The shaders bundled into the browser build, keyed by file name without extension. */
export function browserShaderLibrary(): ShaderLibrary {
  const sources: Record<string, string> = {};
  for (const [path, text] of Object.entries(modules)) {
    sources[path.replace(/^.*\//, '').replace(/\.wgsl$/, '')] = text;
  }
  return makeShaderLibrary(sources);
}
