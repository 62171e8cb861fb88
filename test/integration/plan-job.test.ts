/**
 * The plan processor as a worker runs it, with the shared state in real Redis: calendar floors, the reactive
 * path recording interventions, self-healing redeploys from a failing HTTP check, forecast-only targets and
 * non-leaders that plan without applying. Metrics in the in-memory store (its contract suite covers InfluxDB).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { SimulatedCluster } from '../../src/cluster/simulated-cluster.js';
import { parseConfig } from '../../src/config/load-config.js';
import { ReplayClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import { connectRedis } from '../../src/core/redis.js';
import { createMemoryStore } from '../../src/metrics/memory-store.js';
import { parseCalendarEntry, type CalendarEntry } from '../../src/scaling/calendar.js';
import { createRedisStateStore } from '../../src/state/state-store.js';
import type { JobDeps } from '../../jobs/deps.js';
import { planProcessor } from '../../jobs/processors/plan.js';
import type { JobPayload } from '../../jobs/queues.js';

const T0 = Date.UTC(2026, 10, 23, 10); // a Monday, 10:00 UTC
const STEP = 300_000;

describe('plan job (real Redis state)', () => {
  let redis: Redis;
  let probe: Server;
  let probeStatus = 200;
  let probeUrl: string;
  const prefix = `plan-it-${process.pid}-${Date.now()}`;

  beforeAll(async () => {
    redis = await connectRedis(inject('redisUrl'));
    probe = createServer((_req, res) => {
      res.statusCode = probeStatus;
      res.end();
    });
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', () => resolve()));
    probeUrl = `http://127.0.0.1:${(probe.address() as AddressInfo).port}/healthz`;
  });

  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
    await new Promise<void>((resolve) => probe.close(() => resolve()));
  });

  function setup(targetOverrides: Record<string, unknown> = {}, options: { leader?: boolean; entries?: CalendarEntry[] } = {}) {
    const config = parseConfig(
      {
        targets: [{ name: 'web', namespace: 'shop', load: { measurement: 'http', field: 'rps' }, capacityPerReplica: 100, minReplicas: 2, maxReplicas: 50, podStartup: '90s', ...targetOverrides }],
      },
      {},
    );
    const clock = new ReplayClock(T0);
    const cluster = SimulatedCluster.fromConfig(clock, config, { replicas: { 'shop/web': 5 } });
    const store = createMemoryStore();
    const state = createRedisStateStore(redis, `${prefix}-${Math.random().toString(36).slice(2)}`);
    const deps: JobDeps = {
      config,
      clock,
      logger: silentLogger,
      store,
      state,
      cluster,
      models: { saveVersion: async () => ({ version: 1, promoted: true }), load: async () => null },
      train: async () => {
        throw new Error('not used');
      },
      calendarEntries: async () => options.entries ?? [],
      collect: async () => [],
      isLeader: () => options.leader ?? true,
    };
    const tick = planProcessor(deps);
    const run = (loop: 'plan' | 'reactive' = 'plan') => tick({ data: { at: clock.now(), target: 'shop/web', loop } } as Job<JobPayload<'plan'>>);
    const live = (rps: number) => store.writePoints([{ measurement: 'http', tags: {}, fields: { rps }, time: Math.floor(clock.now() / STEP) * STEP }]);
    // A trained, trusted model and a flat forecast of 400 rps (80% band 350..450, 95% band 300..500).
    const trust = async () => {
      await state.setModelInfo({ target: 'shop/web', kind: 'hw', description: 'ets(A,N,A)[288]', version: 1, trainedAt: T0 - 3_600_000, trainedUntil: T0, scores: {}, backtestMase: 0.5, naiveMase: 1, historyDays: 20, requiredHistoryDays: 2, notes: [] });
      const n = 24;
      await store.writeForecast({ target: 'shop/web', issuedAt: T0 - STEP, model: 'ets(A,N,A)[288]', startMs: Math.floor(T0 / STEP) * STEP, stepMs: STEP, mean: Array(n).fill(400), intervals: [{ level: 80, lower: Array(n).fill(350), upper: Array(n).fill(450) }, { level: 95, lower: Array(n).fill(300), upper: Array(n).fill(500) }] });
    };
    return { deps, clock, cluster, store, state, run, live, trust };
  }

  it('plans predictively from a trusted forecast and applies it', async () => {
    const { run, live, trust, cluster, clock } = setup();
    await trust();
    await live(380);
    // 10:03:30: the 10:05 step is within the lead (90 s + 15 s), so its forecast sizes (the 10:00 step is
    // sized by live load: live metrics already show it).
    clock.advanceTo(T0 + 210_000);
    const result = await run();
    expect(result.mode).toBe('predictive');
    expect(result.to).toBeGreaterThanOrEqual(6); // P98 of 400 (95% band to 500: about 505 rps) / 100 per replica, plus headroom
    expect(result.to).toBeLessThanOrEqual(7);
    expect(result.applied).toBe(result.to !== 5);
    expect((await cluster.getWorkload({ namespace: 'shop', name: 'web', kind: 'Deployment' })).desiredReplicas).toBe(result.to);
  });

  it('honours a calendar floor and names it as the deciding rule', async () => {
    const entry = parseCalendarEntry({ id: 'launch', targets: ['shop/web'], effect: { kind: 'floor', replicas: 20 }, start: '2026-11-23T09:00', end: '2026-11-23T12:00' });
    const { run, live, trust, store, clock } = setup({}, { entries: [entry] });
    await trust();
    await live(380);
    // Scale-up step limits (HPA's default: 100% or 4 pods per 15 s) apply to every source: 5 -> 10 -> 20.
    const first = await run();
    expect(first.to).toBe(10);
    expect(first.rule).toMatch(/step limit \+5; wanted 20 by calendar floor 20/);
    clock.advanceBy(15_000);
    const second = await run();
    expect(second.to).toBe(20);
    expect(second.rule).toMatch(/^calendar floor 20/);
    const decisions = await store.readDecisions('shop/web', T0, clock.now() + 1);
    expect(decisions.at(-1)).toMatchObject({ desiredReplicas: 20, applied: true, loop: 'plan' });
  });

  it('scales up at once when live load breaks the 95% bound, and remembers the intervention', async () => {
    const { run, live, trust, state } = setup();
    await trust();
    await live(1_200); // far above the 500 upper bound
    const result = await run('reactive');
    expect(result.mode).toBe('reactive');
    expect(result.rule).toMatch(/reactive: load \d+% of 5 ready/);
    // The HPA's scale-up limit (+100% per 15 s) would allow 10; live load needs 13 (1200 x 1.05 / 100) and wins.
    expect(result.to).toBe(13);
    const interventions = await state.listInterventions('shop/web');
    expect(interventions).toHaveLength(1);
    expect(interventions[0]).toMatchObject({ fromReplicas: 5, toReplicas: result.to });
  });

  it('plans but does not apply for forecast-only targets and on non-leaders', async () => {
    for (const [overrides, leader, why] of [[{ forecastOnly: true }, true, 'forecast-only'], [{}, false, 'not the leader']] as const) {
      const { run, live, trust, cluster, store } = setup(overrides, { leader });
      await trust();
      await live(1_500);
      const result = await run();
      expect(result.to).toBeGreaterThan(5);
      expect(result.applied).toBe(false);
      expect((await cluster.getWorkload({ namespace: 'shop', name: 'web', kind: 'Deployment' })).desiredReplicas).toBe(5);
      const [decision] = await store.readDecisions('shop/web', T0, T0 + 1);
      expect(decision!.notes).toContain(`${why}: not applied`);
    }
  });

  it('redeploys after three failed HTTP checks in a row, then rate-limits', async () => {
    const { run, live, trust, clock, cluster, store } = setup({ serviceCheck: { url: probeUrl, failureThreshold: 3 } });
    await trust();
    probeStatus = 503;
    const ref = { namespace: 'shop', name: 'web', kind: 'Deployment' };
    // Two failures do nothing yet; the third redeploys.
    for (let i = 1; i <= 2; i++) {
      await live(380);
      await run('reactive');
      expect((await cluster.getWorkload(ref)).rolloutInProgress).toBe(false);
      clock.advanceBy(15_000);
    }
    await live(380);
    await run('reactive');
    expect((await cluster.getWorkload(ref)).rolloutInProgress).toBe(true);
    const decisions = await store.readDecisions('shop/web', T0, clock.now() + 1);
    expect(decisions.at(-1)!.notes).toMatch(/redeploy: check failed 3 times in a row: HTTP 503/);
    expect(decisions.at(-1)!.inputs['redeployed']).toBe(1);
    // Still failing: three more failures do not redeploy again (rollout in progress, then the 10-minute limit).
    for (let i = 0; i < 3; i++) {
      clock.advanceBy(15_000);
      await live(380);
      await run('reactive');
    }
    const later = await store.readDecisions('shop/web', clock.now(), clock.now() + 1);
    expect(later[0]!.inputs['redeployed']).toBe(0);
    expect(later[0]!.notes).toMatch(/check failed 3 times (but a rollout is in progress|; last redeploy \d+ s ago)/);
    probeStatus = 200;
  });
});
