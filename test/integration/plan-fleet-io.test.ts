/**
 * What one planning round costs the metrics store at fleet scale (issue 11): the plan ticks of many targets, run
 * side by side as the plan worker runs them (jobs/plan-serial.ts), read their forecasts from the window the
 * forecast job keeps (not InfluxDB), share one live-load read, and write their decisions in one request.
 * A counting wrapper around the store says how many requests each kind of read and write took.
 */
import type { Job } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { ReplayClock } from '../../src/core/clock.js';
import { readCsvTrace } from '../../src/core/csv-trace.js';
import { tracePath } from '../../src/core/paths.js';
import { batchDecisionWrites } from '../../src/metrics/decision-batch.js';
import { createMemoryStore } from '../../src/metrics/memory-store.js';
import type { MetricsStore, StoredForecast } from '../../src/metrics/metrics-store.js';
import { createMemoryLastKnownStore } from '../../src/state/last-known.js';
import { createMemoryStateStore } from '../../src/state/state-store.js';
import { serialPerSubject } from '../../jobs/plan-serial.js';
import { planProcessor } from '../../jobs/processors/plan.js';
import type { JobPayload } from '../../jobs/queues.js';
import { testJobDeps } from '../support/job-deps.js';

const STEP = 300_000;
const MIN = 60_000;
const TARGETS = 20;
const nasa = readCsvTrace(tracePath('nasa_http_jul1995_5min.csv')).series;
// A tick 2 min into a step: the step's forecast comes from an issue of the step before.
const T0 = Math.floor((nasa.startMs + 3 * 86_400_000) / STEP) * STEP + 2 * MIN;

/** Counts calls per store method (the requests InfluxDB would get). */
function counting(store: MetricsStore): { store: MetricsStore; calls: Map<string, number> } {
  const calls = new Map<string, number>();
  const counted = Object.fromEntries(
    Object.entries(store).map(([name, fn]) => [name, (...args: unknown[]) => (calls.set(name, (calls.get(name) ?? 0) + 1), (fn as (...a: unknown[]) => unknown)(...args))]),
  ) as unknown as MetricsStore;
  return { store: counted, calls };
}

/** Target i's load: the NASA trace scaled by 1 + i / 10. */
const loadOf = (i: number, time: number) => nasa.values[Math.floor((time - nasa.startMs) / STEP)]! * (1 + i / 10);

function forecastFor(target: string, i: number, issuedAt: number): StoredForecast {
  const startMs = Math.floor(issuedAt / STEP) * STEP + STEP;
  const mean = Array.from({ length: 288 }, (_, k) => loadOf(i, startMs + k * STEP));
  return { target, issuedAt, model: 'test', startMs, stepMs: STEP, mean, intervals: [{ level: 95, lower: mean.map((v) => v * 0.8), upper: mean.map((v) => v * 1.2) }] };
}

async function planningRound(options: { keptWindow: boolean }) {
  const config = parseConfig(
    {
      targets: Array.from({ length: TARGETS }, (_, i) => ({ name: `web-${i}`, namespace: 'fleet', load: { measurement: 'http', field: 'rps', tags: { app: `web-${i}` } }, capacityPerReplica: 20, minReplicas: 1, maxReplicas: 200 })),
    },
    {},
  );
  const clock = new ReplayClock(T0);
  const memory = createMemoryStore();
  const lastKnown = createMemoryLastKnownStore();
  // Two forecast jobs ago and one ago, as the forecast job stores them; live load collected 30 s ago.
  for (let i = 0; i < TARGETS; i++) {
    for (const issuedAt of [T0 - 6 * MIN, T0 - MIN]) {
      const forecast = forecastFor(`fleet/web-${i}`, i, issuedAt);
      await memory.writeForecast(forecast);
      if (options.keptWindow) await lastKnown.putForecast(forecast);
    }
    await memory.writePoints([{ measurement: 'http', tags: { app: `web-${i}` }, fields: { rps: loadOf(i, T0) }, time: T0 - 30_000 }]);
  }
  const { store, calls } = counting(memory);
  const deps = testJobDeps(config, clock, { store: batchDecisionWrites(store), state: createMemoryStateStore(), lastKnown });
  const tick = serialPerSubject(planProcessor(deps), (job: Job<JobPayload<'plan'>>) => job.data.target);
  await Promise.all(config.targets.map((t) => tick({ data: { at: T0, target: `fleet/${t.name}`, loop: 'plan' } } as Job<JobPayload<'plan'>>)));
  const decisions = await memory.readDecisions(undefined, T0, T0 + 1);
  return { calls, decisions };
}

describe('plan round at fleet scale: store requests per round', () => {
  it('reads forecasts from the kept window, live load in one request, and writes the decisions in one', async () => {
    const { calls, decisions } = await planningRound({ keptWindow: true });
    expect(decisions).toHaveLength(TARGETS);
    expect(calls.get('readForecast') ?? 0).toBe(0);
    expect(calls.get('latest') ?? 0).toBe(0);
    expect(calls.get('latestPerSeries')).toBe(1);
    // One batch (two at most if the machine is slow enough to split the 5 ms window).
    expect(calls.get('writeDecisions')).toBeLessThanOrEqual(2);
  });

  it('decides exactly as with a read per tick from the store', async () => {
    const kept = await planningRound({ keptWindow: true });
    const perTick = await planningRound({ keptWindow: false });
    // Without the kept window every tick asks the store for its forecast.
    expect(perTick.calls.get('readForecast')).toBe(TARGETS);
    const byTarget = (ds: typeof kept.decisions) => Object.fromEntries(ds.map((d) => [d.target, { rule: d.rule, desired: d.desiredReplicas, inputs: d.inputs }]));
    expect(byTarget(kept.decisions)).toEqual(byTarget(perTick.decisions));
    for (const d of kept.decisions) expect(d.inputs['liveLoad']).toBeGreaterThan(0);
  });
});
