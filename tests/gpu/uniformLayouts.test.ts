import { describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { checkUniformLayout, uniformLayout, uniformStruct, UniformLayout } from '../../src/gpu/uniforms';
import { nodeShaderLibrary } from '../../src/gpu/nodeShaderLibrary';
import { specialiseSource } from '../../src/gpu/shaderLibrary';
import { REPO_ROOT } from '../sharedData';
import { testGpu } from '../setup/testGpu';

const shaders = nodeShaderLibrary();
const source = (name: string) => specialiseSource(shaders.source(name), shaders);

const kernelModules = import.meta.glob<Record<string, unknown>>('../../src/kernels/*.ts');

/** Every uniform layout the kernel wrappers export. */
async function kernelLayouts(): Promise<{ module: string; name: string; layout: UniformLayout }[]> {
  const found = [];
  for (const [path, load] of Object.entries(kernelModules)) {
    for (const [name, value] of Object.entries(await load())) {
      if (value instanceof UniformLayout) found.push({ module: path, name, layout: value });
    }
  }
  return found;
}

describe('kernel uniform layouts', () => {
  it('match the Params struct of every shader they are declared for', async () => {
    const layouts = await kernelLayouts();
    expect(layouts.length).toBeGreaterThan(20);
    for (const { module, name, layout } of layouts) {
      for (const shader of layout.shaders) {
        expect(() => checkUniformLayout(layout, shader, source(shader)), `${module} ${name} vs ${shader}.wgsl`).not.toThrow();
      }
    }
  });

  it('cover every shader that declares a uniform block', async () => {
    const covered = new Set((await kernelLayouts()).flatMap(({ layout }) => layout.shaders));
    const kernels = readdirSync(`${REPO_ROOT}shaders`)
      .filter((f) => f.endsWith('.wgsl'))
      .map((f) => f.slice(0, -'.wgsl'.length))
      .filter((name) => uniformStruct(name, source(name)));
    expect(kernels.filter((name) => !covered.has(name))).toEqual([]);
  });

  it('name the first field where a layout and its struct disagree', () => {
    const rmsnorm = source('rmsnorm');
    const swapped = uniformLayout('rmsnorm', { n: 'u32', rows: 'u32', eps: 'f32' });
    expect(() => checkUniformLayout(swapped, 'rmsnorm', rmsnorm)).toThrow(
      /rmsnorm\.wgsl Params field 0 is rows: u32, but .* writes n: u32/,
    );
    const retyped = uniformLayout('rmsnorm', { rows: 'u32', n: 'u32', eps: 'u32' });
    expect(() => checkUniformLayout(retyped, 'rmsnorm', rmsnorm)).toThrow(/field 2 is eps: f32, but .* writes eps: u32/);
    const short = uniformLayout('rmsnorm', { rows: 'u32', n: 'u32' });
    expect(() => checkUniformLayout(short, 'rmsnorm', rmsnorm)).toThrow(/field 2 is eps: f32, but .* writes nothing/);
    const long = uniformLayout('rmsnorm', { rows: 'u32', n: 'u32', eps: 'f32', extra: 'u32' });
    expect(() => checkUniformLayout(long, 'rmsnorm', rmsnorm)).toThrow(/field 3 is _pad: u32, but .* writes extra: u32/);
  });

  it('refuse a layout declared for another shader, and a dispatch without the uniforms its shader declares', () => {
    const bias = uniformLayout('bias_add', { rows: 'u32', n: 'u32' });
    expect(() => checkUniformLayout(bias, 'rmsnorm_backward', source('rmsnorm_backward'))).toThrow(/declared for bias_add/);
    expect(() => checkUniformLayout(undefined, 'bias_add', source('bias_add'))).toThrow(/passes none/);
  });

  it('are checked when a dispatch is recorded', async () => {
    const gpu = await testGpu();
    const buffer = gpu.alloc(16, { label: 'x' });
    const wrong = uniformLayout('swiglu', { count: 'u32' });
    expect(() => gpu.recorder().dispatch({ shader: 'swiglu' }, [buffer, buffer, buffer], [1], wrong.pack({ count: 4 }))).toThrow(
      /swiglu\.wgsl Params field 0 is n: u32, but .* writes count: u32/,
    );
    gpu.buffers.free(buffer);
  });
});

describe('packing a uniform layout', () => {
  it('writes each field at its position and pads the block to 16 bytes', () => {
    const layout = uniformLayout('test', { a: 'u32', b: 'f32', c: 'i32', d: 'u32', e: 'f32' });
    const { bytes } = layout.pack({ e: 0.5, d: 7, c: -3, b: 1.25, a: 0xffffffff });
    const view = new DataView(bytes);
    expect(bytes.byteLength).toBe(32);
    expect([
      view.getUint32(0, true),
      view.getFloat32(4, true),
      view.getInt32(8, true),
      view.getUint32(12, true),
      view.getFloat32(16, true),
    ]).toEqual([0xffffffff, 1.25, -3, 7, 0.5]);
  });

  it('refuses integers out of range and fractions, naming the field', () => {
    const layout = uniformLayout('test', { a: 'u32', b: 'i32' });
    expect(() => layout.pack({ a: -1, b: 0 })).toThrow(/test parameter a: -1 is not a whole number in the u32 range/);
    expect(() => layout.pack({ a: 1.5, b: 0 })).toThrow(/parameter a/);
    expect(() => layout.pack({ a: 0, b: 2 ** 31 })).toThrow(/parameter b: 2147483648 is not a whole number in the i32 range/);
  });
});
