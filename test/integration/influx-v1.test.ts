/**
 * The v1 adapter against the real influxd 1.6.7 started by test/services.ts: the shared contract, plus what only a
 * real server shows (batching, server errors, an unreachable address). Databases are unique to this file.
 */
import { createServer as createHttpServer } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { describe, expect, inject, it } from 'vitest';
import { ServiceError } from '../../src/core/errors.js';
import { createInfluxV1Store } from '../../src/metrics/influx-v1.js';
import type { MetricPoint } from '../../src/metrics/metrics-store.js';
import { latestPerSeriesContract, metricsStoreContract, readTrace } from '../contract/metrics-store.contract.js';
import { freePort } from '../support/ports.js';

const influxUrl = inject('influxUrl');

/** A loopback port nothing listens on (bound, then released). */
const closedPort = freePort;
const prefix = `it_influx_v1_${process.pid}`;
let databases = 0;

async function freshStore(extra: Partial<Parameters<typeof createInfluxV1Store>[0]> = {}) {
  const store = createInfluxV1Store({ url: influxUrl, database: `${prefix}_${databases++}`, ...extra });
  await store.ensureReady();
  return store;
}

metricsStoreContract('influx-v1 (real influxd 1.6.7)', () => freshStore());
latestPerSeriesContract('influx-v1 (real influxd 1.6.7)', () => freshStore());

describe('influx-v1 against the real server', () => {
  it('splits large writes into batches of batchLines lines per request', async () => {
    const writes: number[] = [];
    const counting: typeof fetch = async (input, init) => {
      if (String(input).includes('/write?')) writes.push(String(init?.body ?? '').split('\n').length);
      return fetch(input, init);
    };
    const store = await freshStore({ fetch: counting, batchLines: 2000 });
    const trace = readTrace('nasa_http_jul1995_5min.csv');
    const points: MetricPoint[] = trace.map((r) => ({ measurement: 'http_requests', tags: { service: 'nasa-http' }, fields: { requests: r.value }, time: r.time }));
    await store.writePoints(points);
    expect(writes).toEqual([2000, 2000, 2000, trace.length - 6000]);
    const s = await store.readSeries({ measurement: 'http_requests', field: 'requests', from: trace[0]!.time, to: trace.at(-1)!.time + 300_000, stepMs: 86_400_000, aggregate: 'sum' });
    const total = s.values.reduce<number>((a, v) => a + (v ?? 0), 0);
    expect(total).toBeCloseTo(trace.reduce((a, r) => a + r.value, 0), 3);
  });

  it('an unreachable server is a retryable ServiceError naming the address', async () => {
    const port = await closedPort();
    const address = `http://127.0.0.1:${port}`;
    const store = createInfluxV1Store({ url: address, database: 'x', timeoutMs: 2000 });
    const error = await store.ensureReady().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServiceError);
    expect((error as ServiceError).retryable).toBe(true);
    expect((error as Error).message).toContain(address);
    expect((error as Error).message).toContain('ECONNREFUSED');
    await expect(store.writePoints([{ measurement: 'm', tags: {}, fields: { v: 1 }, time: 0 }])).rejects.toThrow(`influxdb at ${address}: unreachable`);
  });

  it('sends a token as "Authorization: Token" (2.x/3.x compatibility API) and a user as basic auth (1.x)', async () => {
    const seen: (string | null)[] = [];
    const capturing: typeof fetch = async (input, init) => {
      seen.push(new Headers(init?.headers).get('authorization'));
      return fetch(input, init);
    };
    await createInfluxV1Store({ url: influxUrl, database: `${prefix}_auth`, token: 'tok-123', fetch: capturing }).ensureReady();
    await createInfluxV1Store({ url: influxUrl, database: `${prefix}_auth`, username: 'prescale', password: 's3cret', fetch: capturing }).ensureReady();
    expect(seen[0]).toBe('Token tok-123');
    // With a token there is no CREATE DATABASE (2.x/3.x buckets are made by an operator): only the /ping.
    expect(seen).toHaveLength(3);
    expect(seen[1]).toBe(`Basic ${Buffer.from('prescale:s3cret').toString('base64')}`);
  });

  it('a server that accepts but never answers is a retryable timeout naming the address', async () => {
    const silent = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const address = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    try {
      const error = await createInfluxV1Store({ url: address, database: 'x', timeoutMs: 300 }).ensureReady().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ServiceError);
      expect((error as ServiceError).retryable).toBe(true);
      expect((error as Error).message).toBe(`influxdb at ${address}: no answer within 300 ms`);
    } finally {
      silent.close();
    }
  });

  it('a write to a database not made yet is a retryable ServiceError naming the database and the fix (buffered writes wait for it, never dropped)', async () => {
    const database = `${prefix}_never_created`;
    const store = createInfluxV1Store({ url: influxUrl, database, createDatabase: false });
    await store.ensureReady();
    const error = await store.writePoints([{ measurement: 'm', tags: {}, fields: { v: 1 }, time: Date.UTC(2026, 0, 1) }]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServiceError);
    expect((error as ServiceError).retryable).toBe(true);
    expect((error as Error).message).toContain(`database "${database}" not found`);
  });

  it('a type conflict rejected by influx (HTTP 400) is not retried and names the field', async () => {
    const store = await freshStore();
    const t = Date.UTC(2026, 0, 1);
    // A decision writes `applied` as a boolean; a metric point with the same field name as a float conflicts.
    await store.writeDecisions([{ target: 'x', time: t, mode: 'reactive', rule: 'r', previousReplicas: 1, desiredReplicas: 2, applied: true, inputs: {} }]);
    const error = await store.writePoints([{ measurement: 'prescale_decision', tags: { target: 'x', mode: 'reactive' }, fields: { applied: 1 }, time: t + 1 }]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServiceError);
    expect((error as ServiceError).retryable).toBe(false);
    expect((error as Error).message).toMatch(/HTTP 400: .*field type conflict.*applied/);
  });

  it('HTTP 5xx is retryable; a truncated (partial) answer is refused rather than returned short', async () => {
    // A stand-in server for the two answers the real one only gives under load or with max-row-limit set.
    const fake = createHttpServer((req, res) => {
      if (req.url?.startsWith('/write')) {
        res.writeHead(503, { 'content-type': 'application/json', 'x-influxdb-error': 'engine: cache-max-memory-size exceeded: (1073741824/1073741824)' });
        res.end('{"error":"engine: cache-max-memory-size exceeded: (1073741824/1073741824)"}');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"results":[{"statement_id":0,"series":[{"name":"m","columns":["time","value"],"values":[[0,1]]}],"partial":true}]}');
    });
    await new Promise<void>((resolve) => fake.listen(0, '127.0.0.1', resolve));
    const store = createInfluxV1Store({ url: `http://127.0.0.1:${(fake.address() as AddressInfo).port}`, database: 'x' });
    try {
      const busy = await store.writePoints([{ measurement: 'm', tags: {}, fields: { v: 1 }, time: 0 }]).catch((e: unknown) => e);
      expect((busy as ServiceError).retryable).toBe(true);
      expect((busy as Error).message).toContain('HTTP 503: engine: cache-max-memory-size exceeded');
      await expect(store.readSeries({ measurement: 'm', field: 'v', from: 0, to: 60_000, stepMs: 60_000 })).rejects.toThrow(/truncated/);
    } finally {
      fake.close();
    }
  });

  it('ensureReady is idempotent and a query on a missing database is a clear error', async () => {
    const store = await freshStore();
    await store.ensureReady();
    const missing = createInfluxV1Store({ url: influxUrl, database: `${prefix}_missing`, createDatabase: false });
    await expect(missing.readSeries({ measurement: 'm', field: 'v', from: 0, to: 60_000, stepMs: 60_000 })).rejects.toThrow(/database not found/);
  });
});
