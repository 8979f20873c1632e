import type { Binding, Recorder } from '../gpu/recorder';
import { uniformLayout } from '../gpu/uniforms';
import { flatWorkgroups } from './flatGrid';

const WG = 256;

export const RESIDUAL_PARAMS = uniformLayout('residual', { n: 'u32', alpha: 'f32', beta: 'f32' });

/** y = alpha·x + beta·y over `n` elements (shaders/residual.wgsl). With beta = 0, y is written without being read. */
export function axpby(rec: Recorder, y: Binding, x: Binding, n: number, alpha: number, beta: number): void {
  const params = RESIDUAL_PARAMS.pack({ n, alpha, beta });
  rec.dispatch(
    { shader: 'residual', entryPoint: 'axpby', constants: { WG, READ_Y: beta === 0 ? 0 : 1 } },
    [y, x],
    flatWorkgroups(rec, n, WG),
    params,
  );
}

/** y += x: the residual connection, and gradient accumulation through it. */
export function residualAdd(rec: Recorder, y: Binding, x: Binding, n: number): void {
  axpby(rec, y, x, n, 1, 1);
}

/** y = a·x. */
export function scaleInto(rec: Recorder, y: Binding, x: Binding, n: number, a: number): void {
  axpby(rec, y, x, n, a, 0);
}

/** y = a·y, in place. */
export function scaleInPlace(rec: Recorder, y: Binding, n: number, a: number): void {
  const params = RESIDUAL_PARAMS.pack({ n, alpha: a, beta: 0 });
  rec.dispatch({ shader: 'residual', entryPoint: 'scale', constants: { WG } }, [y], flatWorkgroups(rec, n, WG), params);
}
