/**
 * One place for the fuzz tests' budget and seed (test/fuzz/*.test.ts, fast-check through @fast-check/vitest).
 *
 * Every property runs exactly FUZZ_RUNS[name] generated inputs from the fixed seed FUZZ_SEED, so a run is
 * reproducible: a failure prints fast-check's `{ seed, path }` and the counterexample; rerun with
 * PRESCALE_FUZZ_SEED=<seed> to replay a seed, or set PRESCALE_FUZZ_SEED=random to explore new inputs (the
 * seed used is printed in every file's summary line). Each property counts the inputs it really checked
 * (`fuzzCounter`); the file's afterAll prints the count and fails when it differs from the budget, so
 * the total below is what a run checks, not what it promises.
 *
 * Left out: shrinking budgets (fast-check's defaults) and time limits per property (vitest's timeout).
 */
import { afterAll, expect } from 'vitest';

const seedText = process.env['PRESCALE_FUZZ_SEED'];
/** The seed of every property in a run: fixed unless PRESCALE_FUZZ_SEED says otherwise. */
export const FUZZ_SEED = seedText === 'random' ? Math.floor(Math.random() * 2 ** 31) : seedText ? Number(seedText) : 20_261_129;

/** Generated inputs per property. Kept modest so all fuzz files together take well under a minute. */
export const FUZZ_RUNS = {
  /** HTTP routes of createApp (test/fuzz/http-routes.test.ts): sequences of HTTP_SEQUENCE_LENGTH requests each. */
  httpSequences: 300,
  /** Calendar entries across DST changes in six zones (calendar-dst.test.ts). */
  calendarDst: 1_200,
  /** Calendar schema: arbitrary documents, never a crash, only InputError naming a field. */
  calendarSchema: 1_000,
  /** Config loader (config.test.ts): arbitrary documents and one-field mutations of a valid config. */
  configDocuments: 1_000,
  configMutations: 1_000,
  /** CSV traces (csv-ingest.test.ts): parser on random text, and ingest into the real InfluxDB. */
  csvParse: 1_500,
  csvIngest: 100,
  /** Planner ticks (planner.test.ts). */
  plannerTicks: 2_000,
} as const;

export type FuzzProperty = keyof typeof FUZZ_RUNS;

/** Requests per generated sequence of the HTTP property (each one counts: the store is read back after each). */
export const HTTP_SEQUENCE_LENGTH = 8;

/** Requests a run sends and values it checks, all properties together. */
export function totalFuzzInputs(): number {
  const sum = Object.values(FUZZ_RUNS).reduce((a, b) => a + b, 0);
  return sum - FUZZ_RUNS.httpSequences + FUZZ_RUNS.httpSequences * HTTP_SEQUENCE_LENGTH;
}

/** fast-check parameters of one property: the run's seed and its budget. */
export function fuzzParams(name: FuzzProperty): { seed: number; numRuns: number } {
  return { seed: FUZZ_SEED, numRuns: FUZZ_RUNS[name] };
}

/**
 * A counter of the inputs one property checked; call `hit()` once per input at the end of the check (per
 * request for sequences). In afterAll it prints the count with the seed and asserts it equals `expected`.
 */
export function fuzzCounter(name: FuzzProperty, expected: number = FUZZ_RUNS[name]): { hit(n?: number): void; readonly count: number } {
  let count = 0;
  afterAll(() => {
    console.log(`fuzz ${name}: ${count} inputs checked (seed ${FUZZ_SEED})`);
    expect(count, `fuzz ${name} checked ${count} inputs, budget ${expected}`).toBe(expected);
  });
  return {
    hit: (n = 1) => void (count += n),
    get count() {
      return count;
    },
  };
}
