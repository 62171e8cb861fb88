/**
 * What-if runs end to end: the NASA-HTTP July 1995 trace (requests per 5 minutes) stored as a target's load,
 * the HTTP API on a real server (token scopes on), the job run by a real BullMQ worker on real Redis, results
 * cached in Redis. The result must equal simulate() run directly on the same series with the same settings,
 * progress must go up to 1, a repeated request must come from the cache, bad input must queue nothing, and a
 * run over its time budget must fail.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { QueueEvents, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createApp } from '../../src/api/create-app.js';
import { parseConfig } from '../../src/config/load-config.js';
import { ReplayClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import { createMemoryStore } from '../../src/metrics/memory-store.js';
import { startPublishedCache } from '../../src/publish/published-cache.js';
import { createMemoryPublishedPlanStore } from '../../src/publish/published-plan-store.js';
import { createMemoryCalendarStore } from '../../src/scaling/memory-calendar-store.js';
import { POLICY_NAMES, simulate, type SimulationResult } from '../../src/simulator/replay.js';
import { summarize } from '../../src/simulator/summary.js';
import type { DemandTrace } from '../../src/simulator/trace.js';
import { createMemoryStateStore } from '../../src/state/state-store.js';
import { createRedisWhatIfCache } from '../../src/what-if/what-if-cache.js';
import { createWhatIfService, type WhatIfStatus } from '../../src/what-if/what-if-service.js';
import { QueueSet } from '../../jobs/queue-set.js';
import { QUEUES } from '../../jobs/queues.js';
import { startWorkers } from '../../jobs/workers.js';
import { readTrace } from '../contract/metrics-store.contract.js';
import { DEFAULT_UNDER_PROVISIONED_BUDGET } from '../../src/config/schema.js';
import { testJobDeps } from '../support/job-deps.js';

const STEP = 300_000;
const DAY = 86_400_000;
const HOUR = 3_600_000;
const NOW = Date.UTC(1995, 6, 20, 0, 2); // the data ends at the last complete step, 1995-07-20T00:00Z
const END = Date.UTC(1995, 6, 20);
const WRITER = 'writer-token-0123456789';
const READER = 'reader-token-0123456789';

const rows = readTrace('nasa_http_jul1995_5min.csv');
const config = parseConfig(
  {
    history: '7d',
    api: {
      tokens: [
        { name: 'writer', scopes: ['read', 'write'], token: WRITER },
        { name: 'reader', scopes: ['read'], token: READER },
      ],
    },
    targets: [
      { name: 'web', namespace: 'nasa', load: { measurement: 'http_requests', field: 'requests', tags: { service: 'web' } }, capacityPerReplica: 20, maxReplicas: 200, podStartup: '90s' },
      { name: 'idle', namespace: 'nasa', load: { measurement: 'nothing_stored', field: 'requests' }, capacityPerReplica: 20, maxReplicas: 10 },
    ],
  },
  {},
);

interface Env {
  base: string;
  prefix: string;
  queues: QueueSet;
  events: QueueEvents;
  close(): Promise<void>;
}

/** The api role (createApp with the what-if service) and a worker role consuming the what-if queue. */
async function startEnv(redis: Redis, prefix: string, budgetMs?: number): Promise<Env> {
  const store = createMemoryStore();
  await store.writePoints(rows.filter((r) => r.time < NOW).map((r) => ({ measurement: 'http_requests', tags: { service: 'web' }, fields: { requests: r.value }, time: r.time })));
  const clock = new ReplayClock(NOW);
  const cache = createRedisWhatIfCache(redis, prefix);
  const deps = testJobDeps(config, clock, { store, state: createMemoryStateStore(), whatIf: { cache, ...(budgetMs !== undefined ? { budgetMs } : {}) } });
  const cluster = deps.cluster;
  const queues = new QueueSet(redis, prefix);
  const events = (await queues.events())[QUEUES.whatIf];
  const workers: Worker[] = startWorkers(deps, { connection: redis, prefix, queues: [QUEUES.whatIf] });
  const whatIf = createWhatIfService({ config, clock, store, cache, queue: queues.queueOf('what-if') });
  const server: Server = createServer(
    createApp({ config, clock, logger: silentLogger, store, state: deps.state, cluster, calendar: createMemoryCalendarStore(), published: startPublishedCache(createMemoryPublishedPlanStore()), whatIf }),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    prefix,
    queues,
    events,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.all(workers.map((w) => w.close()));
      const all = await queues.events();
      await Promise.all(Object.values(all).map((e) => e.close()));
      await events.close();
      await queues.obliterate();
      await queues.close();
      for (const key of await redis.keys(`${prefix}:*`)) await redis.del(key);
    },
  };
}

const post = (env: Env, target: string, body: unknown, token = WRITER) =>
  fetch(`${env.base}/api/targets/${target}/what-if`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(body) });
const get = async (env: Env, target: string, id: string) => fetch(`${env.base}/api/targets/${target}/what-if/${id}`, { headers: { authorization: `Bearer ${READER}` } });

async function waitForEnd(env: Env, id: string, timeoutMs = 120_000): Promise<WhatIfStatus> {
  const t0 = Date.now();
  for (;;) {
    const status = (await (await get(env, 'nasa/web', id)).json()) as WhatIfStatus;
    if (status.status === 'done' || status.status === 'failed') return status;
    if (Date.now() - t0 > timeoutMs) throw new Error(`what-if ${id} still ${status.status} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Jobs and cached results under the prefix: bad input must leave both untouched. */
async function footprint(redis: Redis, env: Env) {
  const counts = await env.queues.queueOf('what-if').getJobCounts('waiting', 'active', 'completed', 'failed', 'delayed');
  return { jobs: Object.values(counts).reduce((a, b) => a + b, 0), cached: (await redis.keys(`${env.prefix}:what-if:*`)).length };
}

describe('what-if runs (real trace, real BullMQ worker and Redis)', () => {
  let redis: Redis;
  let env: Env;

  beforeAll(async () => {
    redis = new Redis(inject('redisUrl'), { maxRetriesPerRequest: null });
    env = await startEnv(redis, `what-if-test-${process.pid}`);
  });

  afterAll(async () => {
    await env.close();
    await redis.quit();
  });

  it('refuses bad input, a read-only token and unknown targets without queueing or caching anything', async () => {
    for (const [body, path] of [
      [{ days: 0 }, 'body.days'],
      [{ days: 15 }, 'body.days'],
      [{ days: '3' }, 'body.days'],
      [{ days: 2.5 }, 'body.days'],
      [{ days: 3, policy: 'hpa' }, 'body'],
    ] as const) {
      const response = await post(env, 'nasa/web', body);
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ error: 'bad_request', details: [{ path, message: expect.any(String) }] });
    }
    const forbidden = await post(env, 'nasa/web', { days: 2 }, READER);
    expect(forbidden.status).toBe(403);
    expect(await forbidden.json()).toMatchObject({ error: 'forbidden' });
    const unknown = await post(env, 'nasa/nope', { days: 2 });
    expect(unknown.status).toBe(404);
    const noData = await post(env, 'nasa/idle', { days: 2 });
    expect(noData.status).toBe(409);
    expect(await noData.json()).toMatchObject({ error: 'no_data', details: [{ path: 'body.days' }] });
    expect(await footprint(redis, env)).toEqual({ jobs: 0, cached: 0 });
  });

  it('runs in the worker with rising progress, equals simulate() on the same series, and serves a repeat from the cache', async () => {
    const progress: number[] = [];
    const onProgress = ({ data }: { data: unknown }) => void progress.push(data as number);
    env.events.on('progress', onProgress);
    const started = await post(env, 'nasa/web', { days: 2 });
    expect(started.status).toBe(202);
    const queued = (await started.json()) as WhatIfStatus;
    expect(queued).toEqual({ id: `nasa_web_2d_${END}`, status: 'queued', progress: 0 });
    // Asking again while it is queued or running joins the same run.
    const joined = await post(env, 'nasa/web', { days: 2 });
    expect([200, 202]).toContain(joined.status);
    expect(((await joined.json()) as WhatIfStatus).id).toBe(queued.id);

    const done = await waitForEnd(env, queued.id);
    env.events.off('progress', onProgress);
    expect(done.error).toBeUndefined();
    expect(done.status).toBe('done');
    expect(done.progress).toBe(1);
    expect(progress.length).toBeGreaterThanOrEqual(4);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(progress.at(-1)).toBe(1);

    // simulate() directly on the same series: the stored load is the CSV's 5-minute values, read back from
    // the training history (7 days) before the replayed 2 days up to the data's end.
    const series = rows.filter((r) => r.time >= END - 2 * DAY - 7 * DAY && r.time < END);
    const trace: DemandTrace = { source: 'nasa', times: series.map((r) => r.time), values: series.map((r) => r.value), stepMs: STEP, endMs: END };
    const direct: SimulationResult[] = [];
    for (const policy of POLICY_NAMES) {
      direct.push(
        await simulate(policy, {
          trace,
          fromMs: END - 2 * DAY,
          toMs: END,
          capacityPerReplica: 20,
          targetUtilization: 0.8,
          minReplicas: 1,
          maxReplicas: 200,
          underProvisionedBudget: DEFAULT_UNDER_PROVISIONED_BUDGET, // the target sets no quantile: its default error budget sizes, as in the service
          podStartupMs: 90_000,
          nodeStartupMs: 210_000,
          planEveryMs: 15_000,
          feed: { retrainEveryMs: 6 * HOUR, historyMs: 7 * DAY, knownAfterMs: 30_000 + 60_000 },
        }),
      );
    }
    const result = done.result!;
    expect(result.policies).toEqual(direct.map((r) => summarize(r.policy, r.rows)));
    expect(result.policies.map((p) => p.minutes)).toEqual([2 * 24 * 60, 2 * 24 * 60, 2 * 24 * 60]);
    expect(result.policies.find((p) => p.policy === 'oracle')!.underProvisionedMinutes).toBeLessThanOrEqual(result.policies.find((p) => p.policy === 'hpa')!.underProvisionedMinutes);
    expect(result).toMatchObject({ target: 'nasa/web', days: 2, fromMs: END - 2 * DAY, toMs: END, dataStepMs: STEP });
    // Capacity lines: 2,880 minutes in buckets of 2 minutes, the worst case of each bucket.
    expect(result.lines.bucketMs).toBe(120_000);
    expect(result.lines.times).toHaveLength(1440);
    const rowsOf = (policy: string) => direct.find((r) => r.policy === policy)!.rows;
    for (const policy of POLICY_NAMES) {
      const line = result.lines.replicas[policy]!;
      const r = rowsOf(policy);
      expect(line.ready).toEqual(line.ready.map((_, i) => Math.min(r[2 * i]!.readyReplicas, r[2 * i + 1]!.readyReplicas)));
      expect(line.desired).toEqual(line.desired.map((_, i) => Math.max(r[2 * i]!.desiredReplicas, r[2 * i + 1]!.desiredReplicas)));
    }
    expect(result.lines.demand[0]).toBe(Math.max(rowsOf('hpa')[0]!.demand, rowsOf('hpa')[1]!.demand));

    // The same request again: answered from the cache at once, no new job.
    const before = await footprint(redis, env);
    const t0 = performance.now();
    const again = await post(env, 'nasa/web', { days: 2 });
    const elapsed = performance.now() - t0;
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ id: queued.id, status: 'done', progress: 1, result });
    expect(elapsed).toBeLessThan(500);
    expect(await footprint(redis, env)).toEqual(before);
    expect(before.cached).toBe(1);
  }, 180_000);

  it('404s an unknown run id and a run of another target', async () => {
    expect((await get(env, 'nasa/web', 'nasa_web_2d_1')).status).toBe(404);
    expect((await get(env, 'nasa/web', 'not-an-id')).status).toBe(404);
    const other = await get(env, 'nasa/idle', `nasa_web_2d_${END}`);
    expect(other.status).toBe(404);
    expect(await other.json()).toMatchObject({ error: 'not_found', details: [{ path: 'params.id' }] });
  });

  it('stops a run over its time budget; asking again queues it anew', async () => {
    const tight = await startEnv(redis, `what-if-budget-${process.pid}`, 50);
    try {
      const started = await post(tight, 'nasa/web', { days: 3 });
      expect(started.status).toBe(202);
      const { id } = (await started.json()) as WhatIfStatus;
      const failed = await waitForEnd(tight, id, 60_000);
      expect(failed.status).toBe('failed');
      expect(failed.error).toMatch(/time budget of 0.05 s/);
      expect((await footprint(redis, tight)).cached).toBe(0);
      const retried = await post(tight, 'nasa/web', { days: 3 });
      expect(retried.status).toBe(202);
      expect(((await retried.json()) as WhatIfStatus).status).toBe('queued');
    } finally {
      await tight.close();
    }
  }, 120_000);
});
