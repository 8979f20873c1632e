import type { Binding, Recorder } from '../gpu/recorder';
import { uniformLayout } from '../gpu/uniforms';
import { LabError } from '../errors';
import { flatWorkgroups } from './flatGrid';

const WG = 256;

export const F16_PAIRS_PARAMS = uniformLayout('f16_pairs', { n: 'u32' });

/** One entry point of shaders/f16_pairs.wgsl over n values, one thread per pair. */
function convert(rec: Recorder, entryPoint: 'pack' | 'unpack', from: Binding, to: Binding, n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new LabError(`${n} values is not a whole number ≥ 1`, `${entryPoint}F16Pairs`);
  rec.dispatch(
    { shader: 'f16_pairs', entryPoint, constants: { WG } },
    [from, to],
    flatWorkgroups(rec, Math.ceil(n / 2), WG),
    F16_PAIRS_PARAMS.pack({ n }),
  );
}

/** words = x [n] f32 stored as f16 pairs ([ceil(n / 2)] u32; shaders/f16_pairs.wgsl). */
export function packF16Pairs(rec: Recorder, x: Binding, words: Binding, n: number): void {
  convert(rec, 'pack', x, words, n);
}

/** x [n] f32 = the values of `words`, f16 pairs. */
export function unpackF16Pairs(rec: Recorder, words: Binding, x: Binding, n: number): void {
  convert(rec, 'unpack', words, x, n);
}
