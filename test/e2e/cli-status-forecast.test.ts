/**
 * `prescale status` and `prescale forecast` as processes against a real server (createApp on a free port):
 * tables and --json read back against the stores, --hours cutting or extending the server's range, the
 * server and token from flags or the environment, bad flags and 4xx answers exit 2 naming what to fix, and
 * an unreachable server exits 1.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/api/create-app.js';
import { SimulatedCluster } from '../../src/cluster/simulated-cluster.js';
import { parseConfig } from '../../src/config/load-config.js';
import { ReplayClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import { createMemoryStore } from '../../src/metrics/memory-store.js';
import { startPublishedCache } from '../../src/publish/published-cache.js';
import { createMemoryPublishedPlanStore } from '../../src/publish/published-plan-store.js';
import { createMemoryCalendarStore } from '../../src/scaling/memory-calendar-store.js';
import { createMemoryStateStore } from '../../src/state/state-store.js';
import { runPrescale } from '../support/cli-process.js';
import { freePort } from '../support/ports.js';

const T0 = Date.UTC(2026, 10, 27, 14); // 09:00 in New York, the CLI's TZ here
const STEP = 300_000;
const config = parseConfig(
  {
    targets: [{ name: 'web', namespace: 'shop', load: { measurement: 'http', field: 'rps' }, capacityPerReplica: 100, maxReplicas: 10, nodePool: 'general', podRequests: { cpu: 0.5, memoryMiB: 512 } }],
    nodePools: [{ name: 'general', allocatable: { cpu: 4, memoryMiB: 16_384 }, maxNodes: 5 }],
    horizon: '2h',
  },
  {},
);

describe('prescale status and forecast', () => {
  let server: Server;
  let base: string;
  const store = createMemoryStore();
  const state = createMemoryStateStore();
  const clock = new ReplayClock(T0);
  const points = 36; // 3 h at 5 min: one more hour than the 2 h horizon the server returns by default
  const mean = Array.from({ length: points }, (_, i) => 100 + i);

  beforeAll(async () => {
    const cluster = SimulatedCluster.fromConfig(clock, config, { replicas: { 'shop/web': 3 }, nodes: { general: 2 } });
    await store.writeForecast({
      target: 'shop/web',
      issuedAt: T0 - 60_000,
      model: 'ets(A,N,A)[288]',
      startMs: T0,
      stepMs: STEP,
      mean,
      intervals: [
        { level: 80, lower: mean.map((m) => m - 10), upper: mean.map((m) => m + 10) },
        { level: 95, lower: mean.map((m) => m - 20), upper: mean.map((m) => m + 25) },
      ],
    });
    await store.writeDecisions([{ target: 'shop/web', time: T0 - 120_000, mode: 'predictive', rule: 'forecast P98 240 / 100 per replica', previousReplicas: 2, desiredReplicas: 3, applied: true, inputs: {} }]);
    await state.setModelInfo({ target: 'shop/web', kind: 'hw', description: 'ets(A,N,A)[288]', version: 2, trainedAt: T0 - 3_600_000, trainedUntil: T0 - 3_600_000, scores: {}, historyDays: 7, requiredHistoryDays: 2, notes: [] });
    server = createServer(createApp({ config, clock, logger: silentLogger, store, state, cluster, calendar: createMemoryCalendarStore(), published: startPublishedCache(createMemoryPublishedPlanStore()) }));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('status prints the targets and node pools; --json is the API answer', async () => {
    const table = await runPrescale(['status', '--server', base]);
    expect(table.stderr).toBe('');
    expect(table.code).toBe(0);
    expect(table.stdout).toContain('server time 2026-11-27 09:00 EST (times in America/New_York)');
    expect(table.stdout).toMatch(/shop\/web\s+learning\s+direct\s+3\s+3\s+ets\(A,N,A\)\[288\]\s+1% \/ 1w, spent 0%, left 1%, x1\.00 on P98\s+2026-11-27 08:58 EST \(2m ago\)\s+forecast P98 240 \/ 100 per replica/);
    expect(table.stdout).toMatch(/general\s+2\s+\d+\s+\d+/);

    const json = await runPrescale(['status', '--json'], { PRESCALE_SERVER: base });
    expect(json.code).toBe(0);
    const body = JSON.parse(json.stdout) as { now: number; targets: { id: string; workload: { desiredReplicas: number }; model: { version: number } }[]; nodePools: { name: string; desiredNodes: number }[] };
    expect(body.now).toBe(T0);
    expect(body.targets.map((t) => [t.id, t.workload.desiredReplicas, t.model.version])).toEqual([['shop/web', 3, 2]]);
    expect(body.nodePools).toMatchObject([{ name: 'general', desiredNodes: (await clusterPool()).desiredNodes }]);
  });

  async function clusterPool() {
    const response = await fetch(`${base}/api/status`);
    return ((await response.json()) as { nodePools: { desiredNodes: number }[] }).nodePools[0]!;
  }

  it('forecast prints local and UTC times, the mean and both intervals over the horizon', async () => {
    const result = await runPrescale(['forecast', '--target', 'shop/web', '--server', base]);
    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('shop/web: 24 points every 5 min, model ets(A,N,A)[288] issued 2026-11-27 08:59 EST; times in America/New_York and UTC');
    expect(lines[2]).toMatch(/^time\s+UTC\s+mean\s+80% interval\s+95% interval$/);
    expect(lines[4]).toMatch(/^2026-11-27 09:00 EST\s+2026-11-27 14:00Z\s+100\s+90 – 110\s+80 – 125$/);
    expect(lines.at(-1)).toMatch(/^2026-11-27 10:55 EST\s+2026-11-27 15:55Z\s+123\s+113 – 133\s+103 – 148$/);
    expect(lines).toHaveLength(4 + 24);
  });

  it('forecast --hours cuts the range or asks the server for more; --json matches the store', async () => {
    const one = JSON.parse((await runPrescale(['forecast', '--target', 'shop/web', '--hours', '1', '--json', '--server', base])).stdout) as { from: number; to: number; points: { time: number; mean: number; hi95: number }[] };
    expect(one.from).toBe(T0);
    expect(one.to).toBe(T0 + 3_600_000);
    expect(one.points.map((p) => p.mean)).toEqual(mean.slice(0, 12));
    const three = JSON.parse((await runPrescale(['forecast', '--target', 'shop/web', '--hours', '3', '--json', '--server', base])).stdout) as typeof one;
    expect(three.to).toBe(T0 + 3 * 3_600_000);
    expect(three.points).toEqual(await store.readForecast('shop/web', T0, T0 + 3 * 3_600_000));
    expect(three.points).toHaveLength(36);
  });

  it('exits 2 naming the flag for bad flags, and for a 4xx prints the server message', async () => {
    const badTarget = await runPrescale(['forecast', '--target', 'web', '--server', base]);
    expect(badTarget.code).toBe(2);
    expect(badTarget.stderr).toContain('--target: expected namespace/name, like "shop/web", got "web"');
    const badHours = await runPrescale(['forecast', '--target', 'shop/web', '--hours', 'soon', '--server', base]);
    expect(badHours.code).toBe(2);
    expect(badHours.stderr).toContain('--hours: expected a number of hours');
    const unknown = await runPrescale(['forecast', '--target', 'shop/nope', '--server', base]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^error: GET \/api\/targets\/shop\/nope\/forecast failed with 404:.*\n {2}target: unknown target "shop\/nope"; configured: shop\/web\n/);
    const badServer = await runPrescale(['status', '--server', 'localhost:8080']);
    expect(badServer.code).toBe(2);
    expect(badServer.stderr).toContain('--server: expected an http:// or https:// URL');
    const unknownFlag = await runPrescale(['status', '--serverr', base]);
    expect(unknownFlag.code).toBe(2);
    expect(unknownFlag.stderr).toContain("unknown option '--serverr'");
  });

  it('exits 1 with what to do when nothing answers at --server', async () => {
    const port = await freePort();
    const result = await runPrescale(['status'], { PRESCALE_SERVER: `http://127.0.0.1:${port}` });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`error: cannot reach Prescale at http://127.0.0.1:${port} (ECONNREFUSED): is the service running? Point --server or PRESCALE_SERVER at its HTTP API\n`);
  });

  it('exits 1 when the server fails (5xx) or is not Prescale, 2 when a token file cannot be read', async () => {
    const failing = createServer((req, res) => {
      if (req.url === '/api/status') {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end('<html>some other service</html>');
        return;
      }
      res.writeHead(503, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'unavailable', message: 'influxdb at 127.0.0.1:8086: query failed', details: [] }));
    });
    await new Promise<void>((resolve) => failing.listen(0, '127.0.0.1', () => resolve()));
    try {
      const result = await runPrescale(['forecast', '--target', 'shop/web', '--server', `http://127.0.0.1:${(failing.address() as AddressInfo).port}`]);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('failed with 503: influxdb at 127.0.0.1:8086: query failed');
      expect(result.stderr).toContain('hint: the server failed; check its logs and retry');
      const notPrescale = await runPrescale(['status', '--server', `http://127.0.0.1:${(failing.address() as AddressInfo).port}`]);
      expect(notPrescale.code).toBe(1);
      expect(notPrescale.stderr).toContain('expected JSON from http://127.0.0.1:');
      expect(notPrescale.stderr).toContain('got text/html: is --server the Prescale API?');
    } finally {
      await new Promise<void>((resolve) => failing.close(() => resolve()));
    }
    const noFile = await runPrescale(['status', '--server', base, '--token-file', '/nonexistent/token']);
    expect(noFile.code).toBe(2);
    expect(noFile.stderr).toContain('--token-file: cannot read token file /nonexistent/token: ENOENT');
  });
});
