import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { readCsvTrace } from '../../src/core/csv-trace.js';
import { tracePath } from '../../src/core/paths.js';
import { sliceSeries } from '../../src/forecasting/backtest.js';
import { selectChampion, type ChampionOptions } from '../../src/forecasting/champion.js';
import { createThreadedTrainer, threadable } from '../../src/forecasting/threaded-trainer.js';
import { TRAINING_THREAD_NICE } from '../../src/forecasting/thread-priority.js';

/** A thread's nice value as the kernel has it: field 19 of /proc/<pid>/task/<tid>/stat. */
const niceOf = (tid: number) => {
  const stat = readFileSync(`/proc/${process.pid}/task/${tid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
};

// Three weeks of the NASA trace: a Holt-Winters fit of ~100 ms of CPU or more.
const nasa = readCsvTrace(tracePath('nasa_http_jul1995_5min.csv')).series;
const series = sliceSeries(nasa, 0, 21 * 288);
const options: ChampionOptions = { horizon: 288, candidates: ['hw'], baseline: false };

/** Runs `work` while a 5 ms timer ticks; returns the longest gap between ticks (how long the event loop was held). */
async function longestStall<T>(work: () => Promise<T>): Promise<{ result: T; stallMs: number; elapsedMs: number }> {
  let last = performance.now();
  let stallMs = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    stallMs = Math.max(stallMs, now - last);
    last = now;
  }, 5);
  const t0 = performance.now();
  try {
    const result = await work();
    return { result, stallMs: Math.max(stallMs, performance.now() - last), elapsedMs: performance.now() - t0 };
  } finally {
    clearInterval(timer);
  }
}

describe('threaded trainer', () => {
  const trainer = createThreadedTrainer();
  afterAll(() => trainer.close());

  it('fits the same champion as the main thread, while the event loop keeps turning', async () => {
    // Warm both sides first (module loading and JIT), so the stalls compare one fit with one fit.
    await Promise.all([selectChampion(series, options), trainer.train(series, options)]);
    const inline = await longestStall(() => selectChampion(series, options));
    const threaded = await longestStall(() => trainer.train(series, options));
    // Same model: the thread's artefact, loaded on this side, is what the main thread would have stored.
    expect(threaded.result.model.toArtefact()).toEqual(inline.result.model.toArtefact());
    expect(threaded.result.kind).toBe(inline.result.kind);
    expect(threaded.result.model.description).toBe(inline.result.model.description);
    // Inline, the fit holds the event loop for most of its duration (what slowed plan ticks down); on the thread it does not.
    expect(inline.stallMs).toBeGreaterThan(50);
    expect(threaded.stallMs).toBeLessThan(inline.stallMs / 2);
  }, 60_000);

  it('fits at a lower priority than planning: the training thread alone is niced, not the process', async () => {
    await trainer.train(series, options);
    const priority = trainer.priority();
    expect(priority).toEqual({ tid: expect.any(Number), nice: TRAINING_THREAD_NICE });
    const { tid } = priority as { tid: number };
    expect(tid).not.toBe(process.pid);
    expect(niceOf(tid)).toBe(TRAINING_THREAD_NICE);
    // The event loop's thread (its id is the pid) keeps the process's priority.
    expect(niceOf(process.pid)).toBe(0);
  });

  it('rebuilds errors from the thread with their retry decision', async () => {
    await expect(trainer.train(series, { ...options, candidates: ['no-such-kind'] })).rejects.toMatchObject({ retryable: false, message: expect.stringContaining('no-such-kind') });
  });

  it('keeps on the main thread what cannot cross it: calendar features and the LSTM', () => {
    expect(threadable(options, ['hw'])).toBe(true);
    expect(threadable({ ...options, calendar: [{ name: 'sale', at: () => 0 }] }, ['hw'])).toBe(false);
    expect(threadable(options, ['snaive', 'lstm'])).toBe(false);
  });
});
