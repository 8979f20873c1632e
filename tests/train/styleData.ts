import { seededRandom } from '../../src/util/random';

/**
 * A few dozen TinyStories-like sentences in a style stories260K never writes: every story is about a purple robot
 * named Beep. Built from fixed word lists with a seed, so the test data is reproducible and needs no file.
 */
export function purpleRobotStories(count: number, seed: number): string[] {
  const next = seededRandom(seed);
  const pick = <T>(items: readonly T[]) => items[Math.floor(next() * items.length)];
  const verbs = ['dance', 'sing', 'jump', 'play', 'paint', 'run', 'swim', 'read'];
  const places = ['on the moon', 'in the park', 'by the sea', 'in the garden', 'at school', 'in the sky'];
  return Array.from(
    { length: count },
    () => `Once upon a time, there was a purple robot named Beep. Beep loved to ${pick(verbs)} ${pick(places)}.`,
  );
}
