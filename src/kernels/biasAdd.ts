import type { Binding, Recorder } from '../gpu/recorder';
import { uniformLayout } from '../gpu/uniforms';
import { flatWorkgroups } from './flatGrid';

const WG = 256;

export const BIAS_ADD_PARAMS = uniformLayout('bias_add', { rows: 'u32', n: 'u32' });

/** y[r, :] += b for each of `rows` rows of `n` (shaders/bias_add.wgsl). */
export function biasAdd(rec: Recorder, y: Binding, b: Binding, shape: { rows: number; n: number }): void {
  rec.dispatch(
    { shader: 'bias_add', constants: { WG } },
    [y, b],
    flatWorkgroups(rec, shape.rows * shape.n, WG),
    BIAS_ADD_PARAMS.pack({ rows: shape.rows, n: shape.n }),
  );
}
