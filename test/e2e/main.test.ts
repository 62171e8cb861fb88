/**
 * The service's entry point with all three roles in one process, on the example config, against the real
 * Redis and InfluxDB: it registers the job schedulers, starts the workers and serves the API, and stops cleanly.
 */
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request as undiciRequest } from 'undici';
import { describe, expect, inject, it } from 'vitest';
import { REPO_ROOT } from '../../src/core/paths.js';
import { main, parseRoles } from '../../src/main.js';
import { QUEUES } from '../../jobs/queues.js';

/** The service's env for a test: the run's Redis and InfluxDB, free ports, its own prefix and models folder. */
const envFor = (prefix: string) => ({
  PRESCALE_INFLUX_URL: inject('influxUrl'),
  PRESCALE_INFLUX_DATABASE: 'main_test',
  PRESCALE_REDIS_URL: inject('redisUrl'),
  PRESCALE_REDIS_PREFIX: prefix,
  PRESCALE_HTTP_PORT: '0',
  PRESCALE_LOG_LEVEL: 'warn',
  PRESCALE_MODELS_DIR: join(tmpdir(), `prescale-${prefix}-models`),
});

/** Removes the test's queues; only once the workers are closed: obliterating under a running worker fails its job. */
async function obliterateQueues(prefix: string): Promise<void> {
  const connection = new Redis(inject('redisUrl'), { maxRetriesPerRequest: null });
  for (const name of Object.values(QUEUES)) {
    const queue = new Queue(name, { connection, prefix });
    await queue.obliterate({ force: true });
    await queue.close();
  }
  await connection.quit();
}

describe('prescale main (roles api, worker, scheduler)', () => {
  it('starts on prescale.yaml, registers every schedule, serves /api/status and stops', async () => {
    const prefix = `main-test-${process.pid}`;
    const env = { ...envFor(prefix), PRESCALE_EXTERNAL_METRICS_PORT: '0' };
    const running = await main([`--config=${join(REPO_ROOT, 'prescale.yaml')}`], env);
    try {
      expect(running.roles).toEqual(['api', 'worker', 'scheduler']);
      // The external metrics API listens on its own HTTPS port (self-signed here), open for probes.
      const externalMetrics = new Agent({ connect: { rejectUnauthorized: false } });
      expect((await undiciRequest(`${running.externalMetricsUrl}/healthz`, { dispatcher: externalMetrics })).statusCode).toBe(200);
      await externalMetrics.close();
      const status = (await (await fetch(`${running.url}/api/status`)).json()) as { targets: { id: string }[]; nodePools: { name: string }[] };
      expect(status.targets.map((t) => t.id)).toEqual(['shop/web']);
      expect(status.nodePools.map((p) => p.name)).toEqual(['general']);
      const connection = new Redis(inject('redisUrl'), { maxRetriesPerRequest: null });
      const plan = new Queue(QUEUES.plan, { connection, prefix });
      const keys = (await plan.getJobSchedulers()).map((s) => s.key).sort();
      expect(keys).toEqual(['plan.shop/web', 'pool.general', 'reactive.shop/web']);
      await plan.close();
      await connection.quit();
    } finally {
      await running.stop();
    }
    await expect(fetch(`${running.url}/healthz`)).rejects.toThrow();
    await obliterateQueues(prefix);
  });

  it('a worker-only process serves /healthz and /readyz for its probes, and nothing of the API', async () => {
    const prefix = `main-worker-test-${process.pid}`;
    const env = envFor(prefix);
    const running = await main([`--config=${join(REPO_ROOT, 'prescale.yaml')}`, '--roles=worker'], env);
    try {
      expect(running.roles).toEqual(['worker']);
      expect(running.externalMetricsUrl).toBeNull();
      const health = await fetch(`${running.url}/healthz`);
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ ok: true });
      const ready = await fetch(`${running.url}/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toMatchObject({ status: expect.stringMatching(/^(ready|degraded)$/) });
      const api = await fetch(`${running.url}/api/status`);
      expect(api.status).toBe(404);
      expect(((await api.json()) as { message: string }).message).toContain('does not run the api role');
    } finally {
      await running.stop();
    }
    await expect(fetch(`${running.url}/healthz`)).rejects.toThrow();
    await obliterateQueues(prefix);
  });

  it('rejects unknown roles with a message naming them', () => {
    expect(() => parseRoles('api,planner')).toThrow(/unknown role\(s\) planner; expected a comma list of api, worker, scheduler/);
  });
});
