import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { makeShaderLibrary, type ShaderLibrary } from './shaderLibrary';

const SHADER_DIR = fileURLToPath(new URL('../../shaders/', import.meta.url));

/** The same `shaders/*.wgsl` files the browser bundles, read from disk. */
export function nodeShaderLibrary(dir = SHADER_DIR): ShaderLibrary {
  const sources: Record<string, string> = {};
  for (const file of readdirSync(dir)) {
    if (file.endsWith('.wgsl')) sources[file.slice(0, -5)] = readFileSync(dir + file, 'utf8');
  }
  return makeShaderLibrary(sources);
}
