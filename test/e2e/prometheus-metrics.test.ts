/**
 * GET /metrics through a real server, after plan jobs really ran through a BullMQ worker on real Redis: the
 * exposition is parsed with parse-prometheus-text-format and every value is compared with what the jobs
 * stored (published plan, interventions, decisions, job timestamps) or what the test put in shared state
 * (model scores, pool state, calendar). Also: the operational-auth switch, and a source that fails.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Job } from 'bullmq';
import type { Redis } from 'ioredis';
import parsePrometheusTextFormat, { type PrometheusFamily } from 'parse-prometheus-text-format';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createApp, type AppDeps } from '../../src/api/create-app.js';
import { SimulatedCluster } from '../../src/cluster/simulated-cluster.js';
import { parseConfig } from '../../src/config/load-config.js';
import { ReplayClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import { connectRedis } from '../../src/core/redis.js';
import { createMemoryStore } from '../../src/metrics/memory-store.js';
import { SCALING_MODES } from '../../src/metrics/metrics-store.js';
import { createRedisEventCounters } from '../../src/observability/event-counters.js';
import { createRedisJobStatsStore, JOB_DURATION_BUCKETS_SECONDS } from '../../src/observability/job-stats.js';
import { createPrometheusMetrics } from '../../src/observability/prometheus-metrics.js';
import { startPublishedCache, type PublishedCache } from '../../src/publish/published-cache.js';
import { createRedisPublishedPlanStore } from '../../src/publish/published-plan-store.js';
import { createRedisCalendarStore } from '../../src/scaling/redis-calendar-store.js';
import { createRedisStateStore } from '../../src/state/state-store.js';
import { testJobDeps } from '../support/job-deps.js';
import { QueueSet } from '../../jobs/queue-set.js';
import { QUEUES } from '../../jobs/queues.js';
import { startWorkers } from '../../jobs/workers.js';

const T0 = Date.UTC(2026, 10, 23, 10); // a Monday, 10:00 UTC
const STEP = 300_000;
const READ_TOKEN = 'prometheus-read-token-0123';

type Labels = Record<string, string>;

function family(families: PrometheusFamily[], name: string): PrometheusFamily {
  const found = families.find((f) => f.name === name);
  if (!found) throw new Error(`no family ${name} in the scrape (have ${families.map((f) => f.name).join(', ')})`);
  return found;
}

/** The value of the one sample of `name` whose labels include `labels`. */
function sample(families: PrometheusFamily[], name: string, labels: Labels): number {
  const matches = family(families, name).metrics.filter((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
  expect(matches, `${name}${JSON.stringify(labels)}`).toHaveLength(1);
  return Number(matches[0]!.value);
}

/**
 * One histogram series, parsed on its own: parse-prometheus-text-format merges the series of a labelled
 * histogram and drops their _sum/_count (yunyu/parse-prometheus-text-format#13), so the test hands it the
 * family's HELP/TYPE and the lines of one label set, with that label set removed.
 */
function histogramSeries(text: string, name: string, label: string): { buckets: Record<string, string>; count: string; sum: string } {
  const lines = text.split('\n');
  const header = lines.filter((l) => l.startsWith(`# HELP ${name} `) || l === `# TYPE ${name} histogram`);
  const own = lines.filter((l) => l.startsWith(`${name}_`) && l.includes(`{${label}`)).map((l) => l.replace(`{${label},`, '{').replace(`{${label}}`, ''));
  const [parsed] = parsePrometheusTextFormat([...header, ...own, ''].join('\n'));
  expect(parsed?.type).toBe('HISTOGRAM');
  const [series] = parsed!.metrics;
  return { buckets: series!.buckets!, count: series!.count!, sum: series!.sum! };
}

describe('Prometheus /metrics', () => {
  let redis: Redis;
  let queues: QueueSet;
  let published: PublishedCache;
  let base: string;
  let text: string;
  let families: PrometheusFamily[];
  const servers: Server[] = [];
  const prefix = `prom-e2e-${process.pid}-${Date.now()}`;
  const rawConfig = {
    targets: [
      { name: 'web', namespace: 'shop', load: { measurement: 'http', field: 'rps' }, capacityPerReplica: 100, minReplicas: 2, maxReplicas: 8, podStartup: '90s', nodePool: 'general', podRequests: { cpu: 0.5, memoryMiB: 512 } },
      { name: 'api', namespace: 'shop', load: { measurement: 'api', field: 'rps' }, capacityPerReplica: 50, maxReplicas: 6, actuation: 'keda' },
    ],
    nodePools: [{ name: 'general', allocatable: { cpu: 4, memoryMiB: 16_384 }, maxNodes: 10 }],
  };
  const config = parseConfig(rawConfig, {});
  const clock = new ReplayClock(T0);
  const cluster = SimulatedCluster.fromConfig(clock, config, { replicas: { 'shop/web': 5, 'shop/api': 2 }, nodes: { general: 3 } });
  const store = createMemoryStore();

  async function serve(deps: AppDeps): Promise<string> {
    const server = createServer(createApp(deps));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    servers.push(server);
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  const appDeps = (overrides: Partial<AppDeps> = {}): AppDeps => ({
    config,
    clock,
    logger: silentLogger,
    store,
    state: createRedisStateStore(redis, prefix),
    cluster,
    calendar: createRedisCalendarStore(redis, { prefix }),
    published,
    operational: { events: createRedisEventCounters(redis, prefix), jobStats: createRedisJobStatsStore(redis, prefix), queues: queues.queues },
    ...overrides,
  });

  beforeAll(async () => {
    redis = await connectRedis(inject('redisUrl'));
    queues = new QueueSet(redis, prefix);
    const state = createRedisStateStore(redis, prefix);
    const calendar = createRedisCalendarStore(redis, { prefix });
    const plans = createRedisPublishedPlanStore(redis, prefix);
    // Shared state the API reads: a trusted model, a node pool's last plan, a calendar entry in effect now.
    await state.setModelInfo({ target: 'shop/web', kind: 'hw', description: 'ets(A,N,A)[288]', version: 3, trainedAt: T0 - 3_600_000, trainedUntil: T0, scores: {}, backtestMase: 0.61, naiveMase: 1.02, historyDays: 20, requiredHistoryDays: 2, notes: [] });
    await state.setPoolState('general', { recommendations: [{ time: T0 - 30_000, nodes: 5 }, { time: T0 - 15_000, nodes: 4 }] });
    expect(await calendar.create({ id: 'monday-sale', targets: ['shop/web'], effect: { kind: 'floor', replicas: 3 }, start: '2026-11-23T09:00', end: '2026-11-23T12:00' }, { author: 'test', at: T0 })).toMatchObject({ ok: true });
    const n = 24;
    await store.writeForecast({ target: 'shop/web', issuedAt: T0 - STEP, model: 'ets(A,N,A)[288]', startMs: T0, stepMs: STEP, mean: Array(n).fill(400), intervals: [{ level: 80, lower: Array(n).fill(350), upper: Array(n).fill(450) }, { level: 95, lower: Array(n).fill(300), upper: Array(n).fill(500) }] });
    // Live load far above the forecast's 95% bound: the reactive tick scales up at once.
    await store.writePoints([{ measurement: 'http', tags: {}, fields: { rps: 1_200 }, time: T0 }]);

    const deps = testJobDeps(config, clock, {
      store,
      state,
      cluster,
      calendarEntries: (target) => calendar.list(target),
      published: plans,
      events: createRedisEventCounters(redis, prefix),
      jobStats: createRedisJobStatsStore(redis, prefix),
    });
    const workers = startWorkers(deps, { connection: redis, prefix, queues: [QUEUES.plan] });
    const events = await queues.events();
    try {
      const reactive = await queues.add('plan', { at: T0, target: 'shop/web', loop: 'reactive' });
      await reactive.waitUntilFinished(events[QUEUES.plan], 30_000);
      clock.advanceTo(T0 + 15_000);
      const planned = await queues.add('plan', { at: T0 + 15_000, target: 'shop/web' });
      await planned.waitUntilFinished(events[QUEUES.plan], 30_000);
      // An unknown target is bad input: one failed attempt, no retries.
      const bad = await queues.add('plan', { at: T0, target: 'shop/nope' });
      await expect(bad.waitUntilFinished(events[QUEUES.plan], 30_000)).rejects.toThrow(/unknown target/);
    } finally {
      await Promise.all(workers.map((w) => w.close()));
      await Promise.all(Object.values(events).map((e) => e.close()));
    }
    // Three collect jobs nobody consumes here: waiting in the ingest queue.
    for (const at of [T0, T0 + 30_000, T0 + 60_000]) await queues.add('collect', { at });

    published = startPublishedCache(plans, { refreshMs: 60_000 });
    await published.refresh();
    base = await serve(appDeps());
    const response = await fetch(`${base}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    text = await response.text();
    families = parsePrometheusTextFormat(text);
  });

  afterAll(async () => {
    published?.stop();
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    await queues.obliterate();
    await queues.close();
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
  });

  const web = { namespace: 'shop', target: 'web' };

  it('shows the published plan of each target: replicas, mode, actuation, ages and predicted load', async () => {
    const plan = (await createRedisPublishedPlanStore(redis, prefix).all()).get('shop/web')!;
    expect(plan.at).toBe(T0 + 15_000); // the second job's tick
    expect(sample(families, 'prescale_planned_replicas', web)).toBe(plan.plannedReplicas);
    expect(sample(families, 'prescale_desired_replicas', web)).toBe(plan.desiredReplicas);
    expect(sample(families, 'prescale_ready_replicas', web)).toBe(plan.readyReplicas);
    expect(family(families, 'prescale_planned_replicas').type).toBe('GAUGE');
    for (const mode of SCALING_MODES) expect(sample(families, 'prescale_mode', { ...web, mode }), mode).toBe(mode === plan.mode ? 1 : 0);
    expect(['direct', 'hpa', 'keda'].map((actuation) => sample(families, 'prescale_actuation', { ...web, actuation }))).toEqual([1, 0, 0]);
    expect(['direct', 'hpa', 'keda'].map((actuation) => sample(families, 'prescale_actuation', { namespace: 'shop', target: 'api', actuation }))).toEqual([0, 0, 1]);
    expect(sample(families, 'prescale_plan_age_seconds', web)).toBe(0);
    expect(sample(families, 'prescale_forecast_age_seconds', web)).toBe((T0 + 15_000 - (T0 - STEP)) / 1000);
    for (const [horizon, load] of [['now', plan.predictedNow!], ['lead', plan.predictedAhead!]] as const) {
      expect(sample(families, 'prescale_predicted_load', { ...web, quantile: '50', horizon })).toBe(load.median);
      expect(sample(families, 'prescale_predicted_load', { ...web, quantile: String(plan.quantile), horizon })).toBe(load.quantile);
    }
    // No plan yet for shop/api: its plan families are absent rather than zero.
    expect(family(families, 'prescale_planned_replicas').metrics.filter((m) => m.labels?.['target'] === 'api')).toEqual([]);
  });

  it('shows model scores, calendar effects and node pools from shared state', async () => {
    expect(sample(families, 'prescale_model_backtest_mase', { ...web, model: 'hw' })).toBe(0.61);
    expect(sample(families, 'prescale_model_naive_mase', web)).toBe(1.02);
    expect(sample(families, 'prescale_calendar_active_effects', web)).toBe(1);
    expect(sample(families, 'prescale_calendar_active_effects', { namespace: 'shop', target: 'api' })).toBe(0);
    const pool = await cluster.getNodePool('general');
    expect(sample(families, 'prescale_nodepool_planned_nodes', { pool: 'general' })).toBe(4);
    expect(sample(families, 'prescale_nodepool_desired_nodes', { pool: 'general' })).toBe(pool.desiredNodes);
    expect(sample(families, 'prescale_nodepool_ready_nodes', { pool: 'general' })).toBe(pool.readyNodes);
    expect(sample(families, 'prescale_nodepool_pending_pods', { pool: 'general' })).toBe(pool.pendingPods);
  });

  it('counts reactive triggers and above-max plans as the plan jobs recorded them', async () => {
    const decisions = await store.readDecisions('shop/web', T0, T0 + 60_000);
    const triggers = decisions.filter((d) => d.inputs['breachReplicas'] !== undefined && d.desiredReplicas > d.previousReplicas);
    expect(triggers.map((d) => [d.loop, d.previousReplicas, d.desiredReplicas])).toEqual([['reactive', 5, 8]]); // the second tick holds at max
    expect(sample(families, 'prescale_reactive_triggers_total', web)).toBe(1);
    expect(family(families, 'prescale_reactive_triggers_total').type).toBe('COUNTER');
    const aboveMax = decisions.filter((d) => d.inputs['alertAboveMax']);
    expect(aboveMax).toHaveLength(2); // 1200 rps wants 15 replicas of at most 8, at both ticks
    expect(sample(families, 'prescale_forecast_above_max_total', web)).toBe(aboveMax.length);
    expect(sample(families, 'prescale_reactive_triggers_total', { namespace: 'shop', target: 'api' })).toBe(0);
  });

  it('exposes job durations as a histogram that matches the jobs BullMQ ran, failures and waiting jobs', async () => {
    const ids = ['plan-reactive.shop/web.' + T0, 'plan.shop/web.' + (T0 + 15_000)];
    const jobs = await Promise.all(ids.map((id) => Job.fromId(queues.queues[QUEUES.plan], id)));
    const durations = jobs.map((job) => job!.finishedOn! - job!.processedOn!);
    const series = histogramSeries(text, 'prescale_job_duration_seconds', `queue="${QUEUES.plan}"`);
    expect(Number(series.count)).toBe(2);
    expect(Number(series.sum)).toBeCloseTo(durations.reduce((a, b) => a + b, 0) / 1000, 9);
    const bounds = [...JOB_DURATION_BUCKETS_SECONDS.map(String), '+Inf'];
    expect(new Set(Object.keys(series.buckets))).toEqual(new Set(bounds)); // the parser returns an object: numeric keys come first
    for (const [i, bound] of bounds.entries()) {
      const expected = durations.filter((ms) => bound === '+Inf' || ms / 1000 <= Number(bound)).length;
      expect(Number(series.buckets[bound]), `le=${bound}`).toBe(expected);
      // Cumulative: never fewer than the bucket below (the first has none below it).
      expect(Number(series.buckets[bound])).toBeGreaterThanOrEqual(i === 0 ? 0 : Number(series.buckets[bounds[i - 1]!]));
    }
    expect(Number(histogramSeries(text, 'prescale_job_duration_seconds', `queue="${QUEUES.ingest}"`).count)).toBe(0);
    expect(family(families, 'prescale_job_duration_seconds').type).toBe('HISTOGRAM');
    expect(sample(families, 'prescale_job_failures_total', { queue: QUEUES.plan })).toBe(1);
    expect(sample(families, 'prescale_job_failures_total', { queue: QUEUES.ingest })).toBe(0);
    expect(sample(families, 'prescale_queue_jobs', { queue: QUEUES.ingest, state: 'waiting' })).toBe(3);
    expect(sample(families, 'prescale_queue_jobs', { queue: QUEUES.plan, state: 'waiting' })).toBe(0);
    for (const source of ['models', 'pools', 'calendar', 'events', 'jobs', 'queues']) expect(sample(families, 'prescale_metrics_source_up', { source }), source).toBe(1);
    // prom-client's process metrics, with the prefix.
    expect(family(families, 'prescale_process_cpu_user_seconds_total').type).toBe('COUNTER');
    expect(family(families, 'prescale_nodejs_eventloop_lag_seconds').type).toBe('GAUGE');
  });

  it('is open by default and needs a read token with api.protectOperational', async () => {
    const tokens = [{ name: 'prometheus', scopes: ['read'], token: READ_TOKEN }];
    const withTokens = (protect: boolean) => parseConfig({ ...rawConfig, api: { tokens, protectOperational: protect } }, {});
    const open = await serve(appDeps({ config: withTokens(false) }));
    expect((await fetch(`${open}/metrics`)).status).toBe(200);
    const guarded = await serve(appDeps({ config: withTokens(true) }));
    const denied = await fetch(`${guarded}/metrics`);
    expect(denied.status).toBe(401);
    expect(await denied.json()).toMatchObject({ error: 'unauthorized', details: [{ path: 'headers.authorization', message: 'required' }] });
    const allowed = await fetch(`${guarded}/metrics`, { headers: { authorization: `Bearer ${READ_TOKEN}` } });
    expect(allowed.status).toBe(200);
    expect(sample(parsePrometheusTextFormat(await allowed.text()), 'prescale_planned_replicas', web)).toBe(sample(families, 'prescale_planned_replicas', web));
  });

  it('leaves out the families of a source that fails and says so, without failing the scrape', async () => {
    const broken = await connectRedis(inject('redisUrl'));
    broken.disconnect();
    const metrics = createPrometheusMetrics(
      { ...appDeps(), operational: { events: createRedisEventCounters(broken, prefix), jobStats: createRedisJobStatsStore(broken, prefix), queues: queues.queues } },
      { timeoutMs: 500 },
    );
    const scraped = parsePrometheusTextFormat(await metrics.render());
    expect(sample(scraped, 'prescale_metrics_source_up', { source: 'events' })).toBe(0);
    expect(sample(scraped, 'prescale_metrics_source_up', { source: 'jobs' })).toBe(0);
    expect(sample(scraped, 'prescale_metrics_source_up', { source: 'queues' })).toBe(1);
    expect(family(scraped, 'prescale_reactive_triggers_total').metrics).toEqual([]);
    expect(sample(scraped, 'prescale_planned_replicas', web)).toBe(sample(families, 'prescale_planned_replicas', web));
  });
});
