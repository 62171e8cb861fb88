import { describe, expect, it } from 'vitest';
import { serialPerSubject } from '../../jobs/plan-serial.js';

interface FakeJob {
  key: string | null;
  ms: number;
}

/** Runs jobs all at once (as a worker with many slots would) and records which ran at the same time as which. */
async function runAll(jobs: FakeJob[]) {
  const running = new Set<FakeJob>();
  const overlaps: [FakeJob, FakeJob][] = [];
  let peak = 0;
  const processor = serialPerSubject(async (job: FakeJob) => {
    for (const other of running) overlaps.push([job, other]);
    running.add(job);
    peak = Math.max(peak, running.size);
    await new Promise((r) => setTimeout(r, job.ms));
    running.delete(job);
  }, (job) => job.key);
  await Promise.all(jobs.map((job) => processor(job)));
  return { overlaps, peak };
}

describe('plan-queue jobs: concurrent across targets, one at a time per target', () => {
  it('never overlaps two ticks of one target, and overlaps ticks of different targets', async () => {
    const jobs = ['a', 'b', 'c', 'd'].flatMap((key) => [{ key, ms: 20 }, { key, ms: 20 }]);
    const started = performance.now();
    const { overlaps, peak } = await runAll(jobs);
    expect(overlaps.filter(([x, y]) => x.key === y.key)).toEqual([]);
    // Four targets ran side by side: about two tick durations in all, not eight.
    expect(peak).toBe(4);
    expect(performance.now() - started).toBeLessThan(8 * 20);
  });

  it('runs a node-pool tick (no target) alone: after the ticks before it, before the ticks after it', async () => {
    const before = [{ key: 'a', ms: 30 }, { key: 'b', ms: 30 }];
    const pool = { key: null, ms: 20 };
    const after = [{ key: 'a', ms: 10 }, { key: 'c', ms: 10 }];
    const { overlaps } = await runAll([...before, pool, ...after]);
    expect(overlaps.filter(([x, y]) => x === pool || y === pool)).toEqual([]);
  });

  it('keeps going after a failed tick of the same target', async () => {
    const order: string[] = [];
    const processor = serialPerSubject(async (job: { key: string; fail: boolean; name: string }) => {
      order.push(job.name);
      if (job.fail) throw new Error('boom');
    }, (job) => job.key);
    const results = await Promise.allSettled([processor({ key: 'a', fail: true, name: 'first' }), processor({ key: 'a', fail: false, name: 'second' })]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'fulfilled']);
    expect(order).toEqual(['first', 'second']);
  });
});
