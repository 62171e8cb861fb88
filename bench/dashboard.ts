/**
 * `npm run bench:dashboard [-- --memory] [-- --runs 20] [-- --profile] [-- --timeline] [-- --keep]`
 *
 * Seven days of 5-minute data for one target (2,016 points in each series: load from the NASA-HTTP trace,
 * forecasts issued every step with bands, desired and Ready replicas, Ready and desired nodes, a decision per
 * step) written to a fresh InfluxDB database (PRESCALE_INFLUX_URL, default the local services' 18086; start
 * them with `npm run services:start`) or, with --memory, the in-memory store. Then:
 *  1. the data route for the 7-day window, `--runs` times: p50 / p95 / max in ms (target p95 <= 100 ms);
 *  2. the target page at range=7d in headless Chromium, `--runs` times (at most 10): from navigation to the charts
 *     drawn (target <= 1 s), each in a fresh browser context (nothing cached), then again in one context (the
 *     HTTP cache warm, as for a returning visitor), and the number of points the actual-load line drew.
 * `--profile` times each store read of the route alone, `--timeline` prints the last page load's requests. Not a timed test: numbers depend on the machine. `--keep` leaves the server up for a look in a browser.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium } from 'playwright-core';
import { createApp } from '../src/api/create-app.js';
import { dashboardBundle } from '../src/api/routes/dashboard-page.js';
import { SimulatedCluster } from '../src/cluster/simulated-cluster.js';
import { parseConfig } from '../src/config/load-config.js';
import { ReplayClock } from '../src/core/clock.js';
import { readCsvTrace } from '../src/core/csv-trace.js';
import { silentLogger } from '../src/core/logger.js';
import { tracePath } from '../src/core/paths.js';
import { createInfluxV1Store } from '../src/metrics/influx-v1.js';
import { createMemoryStore } from '../src/metrics/memory-store.js';
import type { MetricPoint, MetricsStore, ScalingDecision } from '../src/metrics/metrics-store.js';
import { startPublishedCache } from '../src/publish/published-cache.js';
import { createMemoryPublishedPlanStore } from '../src/publish/published-plan-store.js';
import { createMemoryCalendarStore } from '../src/scaling/memory-calendar-store.js';
import { createMemoryStateStore } from '../src/state/state-store.js';

const STEP = 300_000;
const DAY = 86_400_000;
const POINTS = 2_016;
const TARGET = 'shop/web';
const CAPACITY = 20;
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const args = process.argv.slice(2);
const memory = args.includes('--memory');
const keep = args.includes('--keep');
const timeline = args.includes('--timeline');
const runs = Number(args[args.indexOf('--runs') + 1] ?? 20) || 20;

const quantile = (xs: number[], q: number) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
};
const fmt = (xs: number[]) => `p50 ${quantile(xs, 0.5).toFixed(0)} ms, p95 ${quantile(xs, 0.95).toFixed(0)} ms, max ${Math.max(...xs).toFixed(0)} ms`;

/** Writes the week: the trace's days 2..8 as load, the day before as a seasonal-naive forecast. */
async function seed(store: MetricsStore, from: number, trace: number[]): Promise<void> {
  const points: MetricPoint[] = [];
  const decisions: ScalingDecision[] = [];
  let previous = 2;
  for (let i = 0; i < POINTS; i++) {
    const time = from + i * STEP;
    const load = trace[i + 288]!;
    const needed = Math.max(2, Math.ceil(load / (CAPACITY * 0.8)));
    const ready = i > 0 ? previous : needed;
    points.push({ measurement: 'http_requests', tags: { service: 'web' }, fields: { requests: load }, time });
    points.push({ measurement: 'prescale_cluster', tags: { target: TARGET }, fields: { desired_replicas: needed, ready_replicas: ready }, time });
    points.push({ measurement: 'prescale_cluster', tags: { pool: 'general' }, fields: { desired_nodes: Math.ceil(needed / 7), ready_nodes: Math.ceil(ready / 7) }, time });
    decisions.push({ target: TARGET, time, mode: 'predictive', loop: 'plan', rule: `forecast P98 ${load} / ${CAPACITY} per replica`, previousReplicas: previous, desiredReplicas: needed, applied: needed !== previous, inputs: { liveLoad: load }, notes: 'bench' });
    if (i % 12 === 0) decisions.push({ target: 'nodepool/general', time, mode: 'predictive', loop: 'plan', rule: 'pods fit', previousReplicas: needed, desiredReplicas: needed, applied: true, nodePool: 'general', previousNodes: Math.ceil(previous / 7), desiredNodes: Math.ceil(needed / 7), inputs: {} });
    previous = needed;
  }
  await store.writePoints(points);
  await store.writeDecisions(decisions);
  // A forecast issued every step (90 s before it), covering the next 24 steps with the seasonal naive mean.
  const issues = Array.from({ length: POINTS + 12 }, (_, k) => k);
  for (let start = 0; start < issues.length; start += 16) {
    await Promise.all(
      issues.slice(start, start + 16).map((k) => {
        const startMs = from + k * STEP;
        const mean = Array.from({ length: 24 }, (_, j) => trace[k + j]!);
        return store.writeForecast({
          target: TARGET,
          issuedAt: startMs - 90_000,
          model: 'snaive',
          startMs,
          stepMs: STEP,
          mean,
          intervals: [
            { level: 80, lower: mean.map((m) => m * 0.8), upper: mean.map((m) => m * 1.25) },
            { level: 95, lower: mean.map((m) => m * 0.65), upper: mean.map((m) => m * 1.5) },
          ],
        });
      }),
    );
  }
}

async function main(): Promise<void> {
  const trace = readCsvTrace(tracePath('nasa_http_jul1995_5min.csv')).series.values as number[];
  const from = Date.UTC(1995, 6, 3);
  const now = from + POINTS * STEP;
  const config = parseConfig(
    {
      targets: [{ name: 'web', namespace: 'shop', load: { measurement: 'http_requests', field: 'requests', tags: { service: 'web' } }, capacityPerReplica: CAPACITY, maxReplicas: 120, nodePool: 'general', podRequests: { cpu: 0.5, memoryMiB: 1024 } }],
      nodePools: [{ name: 'general', allocatable: { cpu: 4, memoryMiB: 16384 }, maxNodes: 25, minNodes: 1 }],
    },
    {},
  );
  const influxUrl = process.env['PRESCALE_INFLUX_URL'] ?? 'http://127.0.0.1:18086';
  const database = `bench_dashboard_${process.pid}`;
  const store = memory ? createMemoryStore() : createInfluxV1Store({ url: influxUrl, database });
  await store.ensureReady().catch((error: unknown) => {
    throw new Error(`${(error as Error).message}: start the local services (npm run services:start) or pass --memory`);
  });
  const seeding = performance.now();
  await seed(store, from, trace);
  console.log(`seeded 7 days x 5 min (${POINTS} points per series) into ${memory ? 'the memory store' : `InfluxDB ${influxUrl} database ${database}`} in ${((performance.now() - seeding) / 1000).toFixed(1)} s`);

  const clock = new ReplayClock(now);
  const cluster = SimulatedCluster.fromConfig(clock, config, { replicas: { [TARGET]: 5 }, nodes: { general: 1 } });
  const state = createMemoryStateStore();
  await state.setScalingState(TARGET, { mode: 'predictive', recommendations: [], changes: [], reactiveUntil: null });
  const published = startPublishedCache(createMemoryPublishedPlanStore());
  const server = createServer(createApp({ config, clock, logger: silentLogger, store, state, cluster, calendar: createMemoryCalendarStore(), published }));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const bundleStart = performance.now();
  await dashboardBundle();
  console.log(`dashboard bundle ready in ${(performance.now() - bundleStart).toFixed(0)} ms (esbuild, in memory)`);

  if (args.includes('--profile')) {
    // Each store read the route makes, alone: where the time goes.
    const from7 = now - 7 * DAY;
    const reads: [string, () => Promise<unknown>][] = [
      ['load series', () => store.readSeries({ measurement: 'http_requests', field: 'requests', tags: { service: 'web' }, from: from7, to: now, stepMs: STEP, gap: 'null' })],
      ['forecast as issued', () => store.readForecastAsIssued({ target: TARGET, from: from7, to: now, leadMs: 90_000, stepMs: STEP, windowMs: 600_000 })],
      ['forecast ahead', () => store.readForecast(TARGET, now, now + DAY)],
      ['ready replicas', () => store.readSeries({ measurement: 'prescale_cluster', field: 'ready_replicas', tags: { target: TARGET }, from: from7, to: now, stepMs: STEP, aggregate: 'min', gap: 'previous' })],
      ['decisions (changes)', () => store.readDecisions(TARGET, from7, now + DAY, { changesOnly: true })],
      ['pool decisions (changes)', () => store.readDecisions('nodepool/general', from7, now + DAY, { changesOnly: true })],
    ];
    for (const [name, read] of reads) {
      const times: number[] = [];
      for (let i = 0; i < 5; i++) {
        const t = performance.now();
        await read();
        times.push(performance.now() - t);
      }
      console.log(`  ${name.padEnd(26)} ${fmt(times)}`);
    }
  }

  // 1. The data route over the 7 days (plus the 1.75 days ahead the page asks for at range=7d).
  const url = `${base}api/dashboard/targets/shop/web?from=${now - 7 * DAY}&to=${now + DAY}`;
  const cold = performance.now();
  const first = (await (await fetch(url)).json()) as { load: { values: (number | null)[] }; forecastAsIssued: { time: number[] }; decisions: unknown[]; replicas: { ready: unknown[] } };
  console.log(`first request (nothing cached yet): ${(performance.now() - cold).toFixed(0)} ms`);
  console.log(`route answers: load ${first.load.values.length} points, forecast as issued ${first.forecastAsIssued.time.length}, Ready replicas ${first.replicas.ready.length}, decisions that changed replicas ${first.decisions.length}`);
  const routeMs: number[] = [];
  let bytes = 0;
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    bytes = (await (await fetch(url)).arrayBuffer()).byteLength;
    routeMs.push(performance.now() - t);
  }
  console.log(`GET /api/dashboard/targets/shop/web (7 days, ${(bytes / 1024).toFixed(0)} KB): ${fmt(routeMs)} over ${runs} requests (target p95 <= 100 ms)`);

  // 2. The page in headless Chromium: navigation to charts drawn (data-loaded set after the first draw).
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
  const pageMs: number[] = [];
  let drawn = 0;
  const errors: string[] = [];
  for (let i = 0; i < Math.min(runs, 10); i++) {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    const t = performance.now();
    await page.goto(`${base}#/target/shop/web?range=7d`);
    await page.waitForFunction(() => Number(document.body.dataset['loaded'] ?? 0) >= 1, undefined, { timeout: 30_000 });
    pageMs.push(performance.now() - t);
    drawn = ((await page.locator('#load-chart g[aria-label="actual load"] path').getAttribute('d')) ?? '').match(/[ML]/g)?.length ?? 0;
    if (timeline && i === Math.min(runs, 10) - 1) {
      // Where the last load's time went: each request's start and end, DOMContentLoaded, and the first draw.
      const entries = await page.evaluate(() => {
        const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
        const resources = (performance.getEntriesByType('resource') as PerformanceResourceTiming[]).map((r) => ({ name: r.name.replace(location.origin, ''), start: r.startTime, end: r.responseEnd, bytes: r.encodedBodySize }));
        return { dcl: nav.domContentLoadedEventEnd, resources, drawn: performance.now() };
      });
      console.log(`  timeline of the last load (ms from navigation start): DOMContentLoaded ${entries.dcl.toFixed(0)}, charts drawn by ${entries.drawn.toFixed(0)}`);
      for (const r of entries.resources) console.log(`    ${r.start.toFixed(0).padStart(5)} .. ${r.end.toFixed(0).padStart(5)}  ${(r.bytes / 1024).toFixed(0).padStart(4)} KB  ${r.name.slice(0, 90)}`);
    }
    await page.close();
  }
  console.log(`target page at range=7d, navigation to charts drawn: ${fmt(pageMs)} over ${pageMs.length} loads (target <= 1000 ms); actual-load line drew ${drawn} points`);
  // Each load above is a fresh browser context (nothing cached: d3 and Plot are fetched and parsed each time). A
  // returning visitor's browser keeps them (served with a day's max-age) and the app's bundle (ETag): measured too.
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  const warmMs: number[] = [];
  for (let i = 0; i <= Math.min(runs, 10); i++) {
    const page = await context.newPage();
    const t = performance.now();
    await page.goto(`${base}#/target/shop/web?range=7d`);
    await page.waitForFunction(() => Number(document.body.dataset['loaded'] ?? 0) >= 1, undefined, { timeout: 30_000 });
    if (i > 0) warmMs.push(performance.now() - t);
    await page.close();
  }
  await context.close();
  console.log(`the same with the browser's HTTP cache warm (one context): ${fmt(warmMs)} over ${warmMs.length} loads`);
  if (errors.length) console.log(`browser errors: ${[...new Set(errors)].join(' | ')}`);
  await browser.close();

  if (keep) {
    console.log(`serving ${base}#/target/shop/web?range=7d until Ctrl-C`);
    await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
  }
  published.stop();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (!memory) await fetch(`${influxUrl}/query?q=${encodeURIComponent(`DROP DATABASE "${database}"`)}`, { method: 'POST' });
  await store.close();
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(`bench:dashboard failed: ${(error as Error).message}`);
    process.exit(1);
  },
);
