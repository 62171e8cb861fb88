/**
 * The fuzz budget (test/fuzz/fuzz-settings.ts) stays at or above the 10 000 generated inputs per run the
 * project promises; each property's own afterAll checks it really ran its share.
 */
import { expect, it } from 'vitest';
import { FUZZ_RUNS, HTTP_SEQUENCE_LENGTH, totalFuzzInputs } from './fuzz-settings.js';

it('generates at least 10 000 inputs per run across the fuzz properties', () => {
  expect(totalFuzzInputs()).toBe(Object.values(FUZZ_RUNS).reduce((a, b) => a + b, 0) + FUZZ_RUNS.httpSequences * (HTTP_SEQUENCE_LENGTH - 1));
  expect(totalFuzzInputs()).toBeGreaterThanOrEqual(10_000);
  console.log(`fuzz budget: ${totalFuzzInputs()} generated inputs per run`);
});
