import { seededUniform } from '../../core/random.js';

/** A seeded generator, so shuffles (and so training) are reproducible for a given seed. */
export const seededRandom = seededUniform;

/** Fisher-Yates shuffle of 0 .. n-1 with the given generator. */
export function shuffledIndices(n: number, random: () => number): Int32Array {
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const tmp = order[i]!;
    order[i] = order[j]!;
    order[j] = tmp;
  }
  return order;
}
