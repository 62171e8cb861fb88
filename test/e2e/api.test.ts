/**
 * The HTTP API through a real server on a free port: status, forecast, load and decisions read back from the
 * stores, and bad input answered with 4xx and a JSON body that says what is wrong.
 */
import { createMemoryCalendarStore } from '../../src/scaling/memory-calendar-store.js';
import { startPublishedCache } from '../../src/publish/published-cache.js';
import { createMemoryPublishedPlanStore } from '../../src/publish/published-plan-store.js';
import { createServer, get, type Server } from 'node:http';
import { gunzipSync } from 'node:zlib';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/api/create-app.js';
import { SimulatedCluster } from '../../src/cluster/simulated-cluster.js';
import { parseConfig } from '../../src/config/load-config.js';
import { ReplayClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import { createMemoryStore } from '../../src/metrics/memory-store.js';
import { createMemoryStateStore } from '../../src/state/state-store.js';

const T0 = Date.UTC(2026, 10, 27, 12);
const config = parseConfig({ targets: [{ name: 'web', namespace: 'shop', load: { measurement: 'http', field: 'rps' }, capacityPerReplica: 100, maxReplicas: 10 }] }, {});

describe('HTTP API', () => {
  let server: Server;
  let base: string;
  const store = createMemoryStore();
  const state = createMemoryStateStore();
  const clock = new ReplayClock(T0);

  beforeAll(async () => {
    const cluster = SimulatedCluster.fromConfig(clock, config, { replicas: { 'shop/web': 3 } });
    await store.writePoints([0, 1, 2].map((i) => ({ measurement: 'http', tags: {}, fields: { rps: 100 + i }, time: T0 - (3 - i) * 300_000 })));
    await store.writeForecast({ target: 'shop/web', issuedAt: T0, model: 'snaive[288]', startMs: T0, stepMs: 300_000, mean: [110, 120], intervals: [{ level: 80, lower: [100, 105], upper: [120, 135] }, { level: 95, lower: [90, 95], upper: [130, 150] }] });
    await store.writeDecisions([{ target: 'shop/web', time: T0 - 60_000, mode: 'predictive', rule: 'forecast P90 135 / 100 per replica', previousReplicas: 3, desiredReplicas: 2, applied: true, inputs: { forecastP90: 135 } }]);
    await state.setModelInfo({ target: 'shop/web', kind: 'snaive', description: 'snaive[288]', version: 1, trainedAt: T0 - 3_600_000, trainedUntil: T0 - 3_600_000, scores: {}, historyDays: 3, requiredHistoryDays: 2, notes: [] });
    server = createServer(createApp({ config, clock, logger: silentLogger, store, state, cluster, calendar: createMemoryCalendarStore(), published: startPublishedCache(createMemoryPublishedPlanStore()) }));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('reports every target with its model, workload and last decision', async () => {
    const response = await fetch(`${base}/api/status`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { now: number; targets: { id: string; model: { description: string }; workload: { desiredReplicas: number }; lastDecision: { rule: string } }[] };
    expect(body.now).toBe(T0);
    expect(body.targets).toHaveLength(1);
    expect(body.targets[0]).toMatchObject({ id: 'shop/web', model: { description: 'snaive[288]' }, workload: { desiredReplicas: 3 }, lastDecision: { rule: 'forecast P90 135 / 100 per replica' } });
  });

  it('serves forecasts with their bounds, load on its grid and decisions', async () => {
    const forecast = (await (await fetch(`${base}/api/targets/shop/web/forecast`)).json()) as { points: { time: number; mean: number; hi95: number }[] };
    expect(forecast.points.map((p) => [p.time, p.mean, p.hi95])).toEqual([[T0, 110, 130], [T0 + 300_000, 120, 150]]);
    const load = (await (await fetch(`${base}/api/targets/shop/web/load?from=${T0 - 900_000}&to=${T0}`)).json()) as { values: number[]; stepMs: number };
    expect(load.stepMs).toBe(300_000);
    expect(load.values).toEqual([100, 101, 102]);
    const decisions = (await (await fetch(`${base}/api/targets/shop/web/decisions`)).json()) as { decisions: { desiredReplicas: number }[] };
    expect(decisions.decisions.map((d) => d.desiredReplicas)).toEqual([2]);
  });

  it('answers bad input with 400 and a JSON body naming the problem', async () => {
    const response = await fetch(`${base}/api/targets/shop/web/forecast?from=yesterday`);
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: 'bad_request', message: expect.stringContaining('from'), details: [{ path: 'query.from', message: expect.any(String) }] });
    const reversed = await fetch(`${base}/api/targets/shop/web/decisions?from=${T0}&to=${T0 - 1}`);
    expect(reversed.status).toBe(400);
    const reversedBody = (await reversed.json()) as { message: string; details: { path: string }[] };
    expect(reversedBody.message).toMatch(/must be before/);
    expect(reversedBody.details.map((d) => d.path)).toEqual(['query.to']);
    const unknownParam = await fetch(`${base}/api/targets/shop/web/load?limit=5`);
    expect(unknownParam.status).toBe(400);
    expect(await unknownParam.json()).toMatchObject({ error: 'bad_request', details: [{ path: 'query', message: 'unknown field(s) "limit"' }] });
  });

  it('compresses what a browser asks compressed (the dashboard bundle), and sends it plain to a client that does not', async () => {
    const raw = (encoding: string) =>
      new Promise<{ encoding: string | undefined; body: Buffer }>((resolve, reject) => {
        get(`${base}/dashboard/app.js`, { headers: { 'accept-encoding': encoding } }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c)).on('end', () => resolve({ encoding: res.headers['content-encoding'], body: Buffer.concat(chunks) })).on('error', reject);
        }).on('error', reject);
      });
    const [plain, gzipped] = [await raw('identity'), await raw('gzip')];
    expect(plain.encoding).toBeUndefined();
    expect(gzipped.encoding).toBe('gzip');
    expect(gunzipSync(gzipped.body).equals(plain.body)).toBe(true);
    expect(gzipped.body.length).toBeLessThan(plain.body.length / 2.5); // 297 KB -> 102 KB
  }, 60_000);

  it('answers unknown targets and routes with 404 and JSON', async () => {
    const target = await fetch(`${base}/api/targets/shop/nope/forecast`);
    expect(target.status).toBe(404);
    expect(await target.json()).toEqual({ error: 'not_found', message: expect.stringContaining('unknown target "shop/nope"'), details: [{ path: 'target', message: expect.stringContaining('unknown target') }] });
    const route = await fetch(`${base}/api/nothing`);
    expect(route.status).toBe(404);
    expect(route.headers.get('content-type')).toMatch(/application\/json/);
    expect(await route.json()).toEqual({ error: 'not_found', message: 'no route for GET /api/nothing', details: [{ path: '', message: 'no such route' }] });
  });

  it('serves the dashboard page and every script it loads itself (no CDN)', async () => {
    const page = await fetch(`${base}/`);
    expect(page.status).toBe(200);
    const html = await page.text();
    const sources = [...html.matchAll(/<script[^>]*\ssrc="([^"]+)"/g)].map((m) => m[1]!);
    expect(sources.length).toBeGreaterThanOrEqual(1); // the app, with the parts of Plot and d3 it uses bundled in
    expect(sources.filter((src) => /^(https?:)?\/\//.test(src))).toEqual([]);
    for (const src of sources) {
      const script = await fetch(new URL(src, `${base}/`));
      expect(script.status, src).toBe(200);
      expect(script.headers.get('content-type'), src).toMatch(/javascript/);
      expect((await script.text()).length, src).toBeGreaterThan(1_000);
    }
  });
});
