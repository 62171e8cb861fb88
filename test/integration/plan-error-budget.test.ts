/**
 * The error budget through the plan job, with the controller's state in real Redis: planning ticks that find the
 * live load above the Ready capacity spend the budget and tighten the multiplier the planner sizes with; every
 * decision, /api/status and /metrics say what was spent and what is left; a replayed tick counts once; a restart
 * (new processes' deps on the same Redis) carries on from the stored state; a target with `quantile` set has no
 * budget at all. Metrics in the in-memory store (its contract suite covers the budget fields in InfluxDB).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createApp } from '../../src/api/create-app.js';
import { SimulatedCluster } from '../../src/cluster/simulated-cluster.js';
import { parseConfig } from '../../src/config/load-config.js';
import type { PrescaleConfig } from '../../src/config/schema.js';
import { ReplayClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import { connectRedis } from '../../src/core/redis.js';
import { createMemoryStore } from '../../src/metrics/memory-store.js';
import type { MetricsStore, ScalingDecision } from '../../src/metrics/metrics-store.js';
import { startPublishedCache } from '../../src/publish/published-cache.js';
import { createRedisPublishedPlanStore } from '../../src/publish/published-plan-store.js';
import { createMemoryCalendarStore } from '../../src/scaling/memory-calendar-store.js';
import { createRedisStateStore } from '../../src/state/state-store.js';
import { planProcessor } from '../../jobs/processors/plan.js';
import type { JobPayload } from '../../jobs/queues.js';
import { testJobDeps } from '../support/job-deps.js';

const T0 = Date.UTC(2026, 10, 23, 10); // a Monday, 10:00 UTC
const STEP = 300_000;
const TICK = 15_000;
const ID = 'shop/web';

describe('error budget through the plan job (real Redis state)', () => {
  let redis: Redis;
  const servers: Server[] = [];
  const stops: (() => void)[] = [];
  const base = `plan-budget-it-${process.pid}-${Date.now()}`;

  beforeAll(async () => {
    redis = await connectRedis(inject('redisUrl'));
  });

  afterAll(async () => {
    for (const stop of stops) stop();
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    const keys = await redis.keys(`${base}*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
  });

  /** One process's view: its own deps over the shared Redis prefix, metrics store and cluster. */
  function process_(config: PrescaleConfig, prefix: string, clock: ReplayClock, cluster: SimulatedCluster, store: MetricsStore, leader = true) {
    const state = createRedisStateStore(redis, prefix);
    const published = createRedisPublishedPlanStore(redis, prefix);
    const tick = planProcessor(testJobDeps(config, clock, { store, state, cluster, published, isLeader: () => leader }));
    const run = (at = clock.now()) => tick({ id: `plan-${at}`, data: { at, target: ID, loop: 'plan' } } as Job<JobPayload<'plan'>>);
    return { state, published, run };
  }

  function setup(targetOverrides: Record<string, unknown> = {}) {
    const config = parseConfig(
      { targets: [{ name: 'web', namespace: 'shop', load: { measurement: 'http', field: 'rps' }, capacityPerReplica: 100, minReplicas: 2, maxReplicas: 50, podStartup: '90s', underProvisionedBudget: 0.001, budgetWindow: '7d', ...targetOverrides }] },
      {},
    );
    const prefix = `${base}-${Math.random().toString(36).slice(2)}`;
    const clock = new ReplayClock(T0);
    const cluster = SimulatedCluster.fromConfig(clock, config, { replicas: { [ID]: 5 } });
    const store = createMemoryStore();
    const live = (rps: number) => store.writePoints([{ measurement: 'http', tags: {}, fields: { rps }, time: Math.floor(clock.now() / STEP) * STEP }]);
    const trust = async (state: ReturnType<typeof createRedisStateStore>) => {
      await state.setModelInfo({ target: ID, kind: 'hw', description: 'ets(A,N,A)[288]', version: 1, trainedAt: T0 - 3_600_000, trainedUntil: T0, scores: {}, backtestMase: 0.5, naiveMase: 1, historyDays: 20, requiredHistoryDays: 2, notes: [] });
      const n = 24;
      await store.writeForecast({ target: ID, issuedAt: T0 - STEP, model: 'ets(A,N,A)[288]', startMs: Math.floor(T0 / STEP) * STEP, stepMs: STEP, mean: Array(n).fill(400), intervals: [{ level: 80, lower: Array(n).fill(350), upper: Array(n).fill(450) }, { level: 95, lower: Array(n).fill(300), upper: Array(n).fill(500) }] });
    };
    const first = process_(config, prefix, clock, cluster, store);
    return { config, prefix, clock, cluster, store, live, trust, first };
  }

  async function serve(config: PrescaleConfig, prefix: string, clock: ReplayClock, cluster: SimulatedCluster, store: MetricsStore) {
    const cache = startPublishedCache(createRedisPublishedPlanStore(redis, prefix));
    stops.push(() => cache.stop());
    await cache.refresh();
    const app = createApp({ config, clock, logger: silentLogger, store, state: createRedisStateStore(redis, prefix), cluster, calendar: createMemoryCalendarStore(), published: cache });
    const server = createServer(app);
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return {
      status: async () => ((await (await fetch(`${url}/api/status`)).json()) as { targets: { id: string; budget: Record<string, unknown> }[] }).targets.find((t) => t.id === ID)!.budget,
      metrics: async () => (await fetch(`${url}/metrics`)).text(),
    };
  }

  const decisionsOf = async (store: MetricsStore, to: number): Promise<ScalingDecision[]> => (await store.readDecisions(ID, T0, to + 1)).filter((d) => d.loop === 'plan');

  it('ticks short of capacity spend the budget and tighten the sizing; decisions, status and /metrics show it; a restart carries on', async () => {
    const { config, prefix, clock, cluster, store, live, trust, first } = setup();
    await trust(first.state);
    // 800 rps on 5 Ready replicas of 100: short until the new pods are Ready one pod start-up (90 s) later.
    await live(800);
    for (let i = 0; i < 6; i++) {
      await first.run();
      clock.advanceBy(TICK);
    }
    const short = await decisionsOf(store, clock.now());
    expect(short).toHaveLength(6);
    const multipliers = short.map((d) => d.inputs['budgetMultiplier']!);
    for (let i = 1; i < multipliers.length; i++) expect(multipliers[i]).toBeGreaterThan(multipliers[i - 1]!);
    expect(multipliers[0]).toBeGreaterThan(1);
    expect(short.map((d) => d.inputs['budgetShortMinutes'])).toEqual(Array(6).fill(0.25));
    // Every decision records the budget: all minutes observed so far were short (spent 100% of them).
    for (const d of short) expect(d.budget).toEqual({ budget: 0.001, windowMs: 604_800_000, spent: 1, left: -0.999 });

    // The pods are Ready now (6 x 15 s > 90 s): the same load is served, nothing more is spent.
    clock.advanceBy(60_000);
    await first.run();
    const served = (await decisionsOf(store, clock.now())).at(-1)!;
    expect(served.inputs['budgetShortMinutes']).toBe(0);
    expect(served.budget!.spent).toBeCloseTo(1.5 / 1.75, 5);
    const stored = await first.state.getBudgetState(ID);
    expect(stored!.lastAt).toBe(clock.now());

    // The same tick replayed (a retried job): no minute counted twice, the stored state unchanged.
    await first.run(clock.now());
    expect(await first.state.getBudgetState(ID)).toEqual(stored);
    expect((await decisionsOf(store, clock.now())).at(-1)!.budget).toEqual(served.budget);

    const api = await serve(config, prefix, clock, cluster, store);
    const status = await api.status();
    expect(status).toMatchObject({ control: 'budget', budget: 0.001, windowMs: 604_800_000, spentMinutes: 1.5, observedMinutes: 1.75, quantile: 98 });
    expect(status['spent']).toBeCloseTo(1.5 / 1.75, 5);
    expect(status['multiplier']).toBeGreaterThan(1);
    const metrics = await api.metrics();
    expect(metrics).toMatch(/prescale_error_budget_ratio\{namespace="shop",target="web"\} 0\.001/);
    expect(metrics).toMatch(/prescale_error_budget_window_seconds\{namespace="shop",target="web"\} 604800/);
    const spentLine = /prescale_error_budget_spent_ratio\{namespace="shop",target="web"\} ([\d.]+)/.exec(metrics);
    expect(Number(spentLine?.[1])).toBeCloseTo(1.5 / 1.75, 5);
    expect(Number(/prescale_error_budget_multiplier\{namespace="shop",target="web"\} ([\d.]+)/.exec(metrics)?.[1])).toBe(status['multiplier']);

    // A restart: new deps, same Redis. The next tick starts from the stored state, not from scratch.
    const second = process_(config, prefix, clock, cluster, store);
    await live(2000);
    clock.advanceBy(TICK);
    await second.run();
    const after = (await decisionsOf(store, clock.now())).at(-1)!;
    expect(after.inputs['budgetShortMinutes']).toBe(0.25);
    expect(after.inputs['budgetMultiplier']).toBeGreaterThan(multipliers.at(-1)!);
    // Stored per hour as [hour, observed minutes, short minutes]: 8 ticks of a quarter minute, 7 of them short.
    const hours = (await second.state.getBudgetState(ID))!.hours;
    expect([hours.reduce((a, h) => a + h[1], 0), hours.reduce((a, h) => a + h[2], 0)]).toEqual([2, 1.75]);
    expect(after.budget!.spent).toBeCloseTo(1.75 / 2, 5);
  });

  it('only the acting leader writes the state: a follower records what it saw in its decision, nothing in Redis', async () => {
    const { config, prefix, clock, cluster, store, live, trust, first } = setup();
    await trust(first.state);
    await live(800);
    await first.run();
    const stored = await first.state.getBudgetState(ID);
    expect(stored!.hours.reduce((a, h) => a + h[2], 0)).toBe(0.25);
    const follower = process_(config, prefix, clock, cluster, store, false);
    clock.advanceBy(TICK);
    await follower.run();
    const seen = (await decisionsOf(store, clock.now())).at(-1)!;
    expect(seen.inputs['budgetShortMinutes']).toBe(0.25);
    expect(seen.budget).toMatchObject({ spent: 1 });
    expect(await first.state.getBudgetState(ID)).toEqual(stored);
  });

  it('a target whose quantile is set sizes at that quantile: no budget measured, recorded or stored', async () => {
    const { config, prefix, clock, cluster, store, live, trust, first } = setup({ quantile: 98 });
    await trust(first.state);
    await live(800);
    for (let i = 0; i < 3; i++) {
      await first.run();
      clock.advanceBy(TICK);
    }
    const decisions = await decisionsOf(store, clock.now());
    expect(decisions).toHaveLength(3);
    for (const d of decisions) {
      expect(d).not.toHaveProperty('budget');
      expect(d.inputs).not.toHaveProperty('budgetMultiplier');
      expect(d.inputs).not.toHaveProperty('budgetShortMinutes');
    }
    expect(await first.state.getBudgetState(ID)).toBeNull();
    const api = await serve(config, prefix, clock, cluster, store);
    expect(await api.status()).toEqual({ control: 'quantile', quantile: 98, reason: expect.stringContaining('overrides the error budget') });
    expect(await api.metrics()).not.toMatch(/prescale_error_budget_ratio\{/);
  });
});
