import { describe, expect, it } from 'vitest';
import { makeShaderLibrary, specialiseSource } from '../../src/gpu/shaderLibrary';
import { nodeShaderLibrary } from '../../src/gpu/nodeShaderLibrary';

describe('shader sources', () => {
  const library = makeShaderLibrary({
    helpers: 'fn twice(x: f32) -> f32 { return 2.0 * x; }\n',
    nested: '//! include helpers\n',
  });

  it('replaces an include line by the named shader file', () => {
    expect(specialiseSource('// kernel\n//! include helpers\nfn main() {}\n', library)).toBe(
      '// kernel\nfn twice(x: f32) -> f32 { return 2.0 * x; }\n\nfn main() {}\n',
    );
  });

  it('names a missing include and refuses nested includes', () => {
    expect(() => specialiseSource('//! include nothing', library)).toThrow(/no shader named "nothing"/);
    expect(() => specialiseSource('//! include nested', library)).toThrow(/do not nest/);
  });

  it('refuses a shader that still names an activation type alias: activations are f32', () => {
    expect(() => specialiseSource('var<private> a: act_t;')).toThrow(/act_t: activations are f32/);
    expect(specialiseSource('var<private> a: f32;')).toBe('var<private> a: f32;');
  });

  it('gives every quantized kernel the one copy of the GGUF block decoders', () => {
    const shaders = nodeShaderLibrary();
    for (const name of ['qmatvec', 'qmatmul', 'qmatmul_backward', 'embedding']) {
      const source = specialiseSource(shaders.source(name), shaders);
      expect(source, name).toContain(shaders.source('gguf_blocks'));
      expect(source, name).not.toMatch(/^\/\/! include/m);
    }
  });
});
