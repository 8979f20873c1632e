import type { ShaderLibrary } from './shaderLibrary';
import { specialiseSource } from './shaderLibrary';
import { checkUniformLayout, type UniformLayout } from './uniforms';

/** Which compiled kernel to run: a shader file, its entry point and override constants. */
export interface KernelSpec {
  shader: string;
  entryPoint?: string;
  constants?: Record<string, number>;
}

/** Compiles each (shader, entry point, constants) once and hands back the same pipeline after that. */
export class PipelineCache {
  private readonly modules = new Map<string, GPUShaderModule>();
  private readonly pipelines = new Map<string, GPUComputePipeline>();
  /** Per shader, the uniform layouts (or none) already checked against its `Params` struct. */
  private readonly checkedUniforms = new Map<string, Set<UniformLayout | undefined>>();

  constructor(
    private readonly device: GPUDevice,
    private readonly shaders: ShaderLibrary,
  ) {}

  get size(): number {
    return this.pipelines.size;
  }

  get(spec: KernelSpec): GPUComputePipeline {
    const key = pipelineKey(spec);
    let pipeline = this.pipelines.get(key);
    if (!pipeline) {
      pipeline = this.device.createComputePipeline({
        label: key,
        layout: 'auto',
        compute: { module: this.module(spec), entryPoint: spec.entryPoint ?? 'main', constants: spec.constants },
      });
      this.pipelines.set(key, pipeline);
    }
    return pipeline;
  }

  /**
   * Throws unless `layout` (what the dispatch writes) matches the shader's uniform struct; checked once per pair,
   * when the dispatch is recorded, so the error points at the wrapper that wrote the parameters.
   */
  checkUniforms(spec: KernelSpec, layout: UniformLayout | undefined): void {
    let checked = this.checkedUniforms.get(spec.shader);
    if (checked?.has(layout)) return;
    checkUniformLayout(layout, spec.shader, specialiseSource(this.shaders.source(spec.shader), this.shaders));
    if (!checked) this.checkedUniforms.set(spec.shader, (checked = new Set()));
    checked.add(layout);
  }

  private module(spec: KernelSpec): GPUShaderModule {
    let module = this.modules.get(spec.shader);
    if (!module) {
      module = this.device.createShaderModule({
        label: `${spec.shader}.wgsl`,
        code: specialiseSource(this.shaders.source(spec.shader), this.shaders),
      });
      this.modules.set(spec.shader, module);
    }
    return module;
  }
}

export function pipelineKey(spec: KernelSpec): string {
  const constants = Object.entries(spec.constants ?? {})
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  return `${spec.shader}:${spec.entryPoint ?? 'main'}{${constants}}`;
}
