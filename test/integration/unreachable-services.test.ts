/**
 * Redis or InfluxDB down at start. Redis down: a clear error that names the address and says a retry may help.
 * InfluxDB down: the process starts degraded and recovers by itself (src/metrics/ready-in-background.ts);
 * InfluxDB misconfigured (authentication): start-up fails, naming it.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { ReplayClock } from '../../src/core/clock.js';
import { ServiceError } from '../../src/core/errors.js';
import { silentLogger } from '../../src/core/logger.js';
import { connectRedis } from '../../src/core/redis.js';
import { createRuntime } from '../../src/runtime.js';
import { SimulatedCluster } from '../../src/cluster/simulated-cluster.js';
import { inject } from 'vitest';
import { freePort } from '../support/ports.js';
import { ownInfluxd } from '../support/own-services.js';
import { recordingLogger } from '../support/recording-logger.js';

/** A loopback port nothing listens on. */
const closedPort = freePort;

describe('unreachable services', () => {
  it('Redis: a retryable ServiceError naming the address and how to start it', async () => {
    const port = await closedPort();
    const error = await connectRedis(`redis://127.0.0.1:${port}`, 1_500).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServiceError);
    expect((error as ServiceError).retryable).toBe(true);
    expect((error as Error).message).toMatch(new RegExp(`^redis at 127\\.0\\.0\\.1:${port}: .*services:start`));
  });

  it('InfluxDB down at start: the process starts degraded, says so, and recovers by itself when influxd comes up', { timeout: 40_000 }, async () => {
    const influxd = await ownInfluxd();
    await influxd.stop();
    const database = `start_degraded_${process.pid}_${Date.now()}`;
    const config = parseConfig({ influx: { url: influxd.url, database }, redis: { url: inject('redisUrl'), prefix: `start-degraded-${process.pid}` }, targets: [{ name: 'web', load: { measurement: 'http', field: 'rps' }, capacityPerReplica: 10, maxReplicas: 5 }] }, {});
    const clock = new ReplayClock(0);
    const { logger, lines } = recordingLogger();
    const runtime = await createRuntime(config, { clock, logger, cluster: SimulatedCluster.fromConfig(clock, config), modelsDir: join(tmpdir(), 'prescale-unused') });
    try {
      expect(lines().find((l) => l.msg.startsWith('InfluxDB is not reachable: starting degraded'))?.['err']).toContain(influxd.url.replace('http://', ''));
      const degraded = await runtime.readiness();
      expect(degraded.status).toBe('degraded');
      expect(degraded.reasons.join('; ')).toMatch(/^InfluxDB: /);
      // A write made while it is down waits in the buffer, and lands once influxd is up and the database made.
      await runtime.store.writePoints([{ measurement: 'http', tags: {}, fields: { rps: 42 }, time: 1_000 }]);
      expect(runtime.store.bufferStatus().pendingPoints).toBe(1);
      await influxd.start();
      await runtime.influxReachable;
      expect(lines().some((l) => l.msg.startsWith('InfluxDB is reachable again'))).toBe(true);
      // Written by the flush that follows the database's creation, not at the buffer's next backoff (up to 30 s).
      const t0 = Date.now();
      const stored = async () => ((await (await fetch(`${influxd.url}/query?db=${database}&q=${encodeURIComponent('SELECT rps FROM http')}`)).json()) as { results: { series?: { values: unknown[][] }[] }[] }).results[0]!.series?.[0]?.values;
      while (!(await stored()) && Date.now() - t0 < 15_000) await new Promise((r) => setTimeout(r, 200));
      expect(await stored()).toEqual([['1970-01-01T00:00:01Z', 42]]);
      expect(runtime.store.bufferStatus()).toMatchObject({ pendingPoints: 0, droppedPoints: 0 });
    } finally {
      await runtime.close();
      await influxd.dispose();
    }
  });

  it('InfluxDB misconfigured at start (authentication fails): start-up fails naming it, and no Redis connection is left open', async () => {
    // A stand-in that answers like an InfluxDB with auth enabled and a wrong token: a permanent error, no wait fixes it.
    const server = createServer((_req, res) => res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"authorization failed"}'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const port = (server.address() as AddressInfo).port;
    try {
      const config = parseConfig({ influx: { url: `http://127.0.0.1:${port}` }, redis: { url: inject('redisUrl') }, targets: [{ name: 'web', load: { measurement: 'http', field: 'rps' }, capacityPerReplica: 10, maxReplicas: 5 }] }, {});
      const clock = new ReplayClock(0);
      const error = await createRuntime(config, { clock, logger: silentLogger, cluster: SimulatedCluster.fromConfig(clock, config), modelsDir: join(tmpdir(), 'prescale-unused') }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ServiceError);
      expect((error as Error).message).toContain(`127.0.0.1:${port}`);
      expect((error as Error).message).toContain('authentication failed');
      expect((error as ServiceError).retryable).toBe(false);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
