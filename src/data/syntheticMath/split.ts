/**
 * Train and test splits that are disjoint by construction: a problem's split is a hash of its computation
 * ("add 23 45"), so a computation is either held out everywhere (bare, as an equation, inside a story) or never.
 */
import { hash32 } from '../textKeys';

export type Split = 'train' | 'test';

/** Out of 100 computations, how many are held out for testing. */
export const TEST_PERCENT = 10;
const SPLIT_SALT = 0x5eed;

export function splitOf(computation: string): Split {
  return hash32(computation, SPLIT_SALT) % 100 < TEST_PERCENT ? 'test' : 'train';
}
