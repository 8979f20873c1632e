import type { Binding, Recorder } from '../gpu/recorder';
import { LabError } from '../errors';
import { uniformLayout } from '../gpu/uniforms';
import { flatWorkgroups } from './flatGrid';

const WG = 256;

export const DROPOUT_PARAMS = uniformLayout('dropout', { n: 'u32', key0: 'u32', key1: 'u32', threshold: 'u32', scale: 'f32' });

/** The two u32 words the mask hash is keyed with; derive them from whatever identifies the mask (`dropoutKey`). */
export type DropoutKey = readonly [number, number];

export interface DropoutShape {
  /** Elements of x and out. */
  n: number;
  /** Probability of dropping an element, in [0, 1). */
  p: number;
  key: DropoutKey;
}

/**
 * PCG's RXS-M-XS output permutation of one LCG step: a bijection of u32, the same integers as `pcg` in
 * shaders/dropout.wgsl.
 */
export function pcgHash(v: number): number {
  const state = (Math.imul(v >>> 0, 747796405) + 2891336453) >>> 0;
  const word = Math.imul(((state >>> ((state >>> 28) + 4)) ^ state) >>> 0, 277803737) >>> 0;
  return ((word >>> 22) ^ word) >>> 0;
}

/**
 * A mask key from a tuple of non-negative integers (e.g. seed, step, micro-batch, layer, projection): each word is
 * folded through the hash, from two different starting values, so tuples that differ anywhere give unrelated keys.
 */
export function dropoutKey(words: readonly number[]): DropoutKey {
  let a = 0x243f6a88;
  let b = 0x85a308d3;
  for (const w of words) {
    a = pcgHash((a + (w >>> 0)) >>> 0);
    b = pcgHash((b ^ (w >>> 0)) >>> 0);
  }
  return [a, pcgHash(b ^ a)];
}

/** Elements whose hash is below this are dropped: ⌊p · 2³²⌋. */
export function dropoutThreshold(p: number): number {
  return Math.min(0xffffffff, Math.floor(p * 2 ** 32));
}

function checkShape(shape: DropoutShape): void {
  if (!(shape.p >= 0 && shape.p < 1)) throw new LabError(`dropout probability ${shape.p} is not in [0, 1)`, 'dropout kernel');
}

/** out = dropout(x) with the mask of `key` (shaders/dropout.wgsl). */
export function dropout(rec: Recorder, x: Binding, out: Binding, shape: DropoutShape): void {
  record(rec, x, out, shape, false);
}

/** dx += mask · dy / (1 − p): the gradient through `dropout` with the same key and p. */
export function dropoutBackward(rec: Recorder, dy: Binding, dx: Binding, shape: DropoutShape): void {
  record(rec, dy, dx, shape, true);
}

function record(rec: Recorder, input: Binding, out: Binding, shape: DropoutShape, accumulate: boolean): void {
  checkShape(shape);
  const params = DROPOUT_PARAMS.pack({
    n: shape.n,
    key0: shape.key[0],
    key1: shape.key[1],
    threshold: dropoutThreshold(shape.p),
    scale: 1 / (1 - shape.p),
  });
  rec.dispatch(
    { shader: 'dropout', constants: { WG, ACCUMULATE: accumulate ? 1 : 0 } },
    [input, out],
    flatWorkgroups(rec, shape.n, WG),
    params,
  );
}
