/**
 * `npm run bench:api`
 *
 * Loopback throughput and latency of the surfaces an autoscaler polls, in one run:
 *  - ext:  the external metrics API over TLS with a front-proxy client certificate
 *          (GET .../namespaces/shop/prescale-planned-replicas?labelSelector=target=web);
 *  - keda: the main app's GET /api/keda/shop/web (createApp, plain HTTP, as KEDA's metrics-api scaler calls it);
 *  - bare: a bare express handler answering a small JSON object (the yardstick).
 * Each is driven for ~10 s by autocannon (keep-alive, 8 connections) in a separate process, so the load
 * generator does not share the event loop with the servers (the machine has 2 cores; they still compete).
 * Target (issue 8): ext p99 <= 5 ms at >= 5,000 req/s and >= 0.5x the bare handler's throughput.
 * Last line, for scripts: `api: ext_rps=X ext_p50_ms=X ext_p99_ms=X keda_rps=X bare_rps=X`.
 */
import { fork } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import express from 'express';
import { createApp } from '../src/api/create-app.js';
import { SimulatedCluster } from '../src/cluster/simulated-cluster.js';
import { parseConfig } from '../src/config/load-config.js';
import { wallClock } from '../src/core/clock.js';
import { silentLogger } from '../src/core/logger.js';
import { startExternalMetricsServer } from '../src/external-metrics/server.js';
import { metricTargets } from '../src/external-metrics/server.js';
import { createMemoryStore } from '../src/metrics/memory-store.js';
import { startPublishedCache } from '../src/publish/published-cache.js';
import type { PublishedPlan } from '../src/publish/published-plan.js';
import { createMemoryPublishedPlanStore } from '../src/publish/published-plan-store.js';
import { createMemoryCalendarStore } from '../src/scaling/memory-calendar-store.js';
import { createMemoryStateStore } from '../src/state/state-store.js';
import { createTestPki } from '../test/support/test-pki.js';

const DURATION_S = Number(process.env['BENCH_API_SECONDS'] ?? 10);
const CONNECTIONS = 8;

interface LoadJob {
  url: string;
  tls?: { cert: string; key: string };
}

interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  non2xx: number;
  errors: number;
}

/** The child process: runs autocannon against one URL and reports on IPC. */
async function loadWorker(): Promise<void> {
  process.once('message', (job: LoadJob) => {
    autocannon(
      { url: job.url, connections: CONNECTIONS, duration: DURATION_S, ...(job.tls ? { tlsOptions: { cert: job.tls.cert, key: job.tls.key } } : {}) },
      (error, result) => {
        if (error) throw error;
        const out: LoadResult = { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, requests: result.requests.total, non2xx: result.non2xx, errors: result.errors };
        process.send!(out, () => process.exit(0));
      },
    );
  });
}

function drive(job: LoadJob): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), ['--load-worker'], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    child.once('message', (result: LoadResult) => resolve(result));
    child.once('error', reject);
    child.once('exit', (code) => code !== 0 && reject(new Error(`load worker exited with ${code}`)));
    child.send(job);
  });
}

const listen = (server: Server) => new Promise<string>((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)));

async function bench(): Promise<void> {
  const config = parseConfig({
    externalMetrics: { port: 0, staleAfter: '1h', hpaTolerance: 0.1 },
    targets: [{ name: 'web', namespace: 'shop', load: { measurement: 'http', field: 'rps' }, capacityPerReplica: 100, maxReplicas: 40, actuation: 'hpa' }],
  }, {});
  const at = Date.now();
  const plan: PublishedPlan = {
    target: 'shop/web', at, loop: 'plan', actuation: 'hpa', mode: 'predictive', plannedReplicas: 12, desiredReplicas: 10, readyReplicas: 10, quantile: 98, podLeadMs: 90_000,
    predictedNow: { at, median: 950, quantile: 1100 }, predictedAhead: { at: at + 90_000, median: 1010, quantile: 1180 }, forecastIssuedAt: at - 30_000, rule: 'forecast',
  };
  const planStore = createMemoryPublishedPlanStore();
  await planStore.put(plan);
  const published = startPublishedCache(planStore, { refreshMs: 2_000 });
  await published.refresh();

  const pki = await createTestPki();
  const ext = await startExternalMetricsServer({ config: { ...config.externalMetrics, host: '127.0.0.1' }, targets: metricTargets(config.targets), planPeriodMs: config.schedule.plan, published, loadRequestHeader: async () => ({ caPem: pki.frontProxyCa.cert, allowedNames: [], usernameHeaders: ['X-Remote-User'], groupHeaders: ['X-Remote-Group'] }) });
  const cluster = SimulatedCluster.fromConfig(wallClock, config, { replicas: { 'shop/web': 10 } });
  const app = createServer(createApp({ config, clock: wallClock, logger: silentLogger, store: createMemoryStore(), state: createMemoryStateStore(), cluster, calendar: createMemoryCalendarStore(), published }));
  const bareApp = express();
  bareApp.get('/value', (_req, res) => void res.json({ plannedReplicas: 12 }));
  const bare = createServer(bareApp);
  const [appUrl, bareUrl] = await Promise.all([listen(app), listen(bare)]);

  const extPath = `${ext.url}/apis/external.metrics.k8s.io/v1beta1/namespaces/shop/prescale-planned-replicas?labelSelector=target%3Dweb`;
  // A sanity read of each endpoint before the load.
  for (const url of [`${appUrl}/api/keda/shop/web`, `${bareUrl}/value`]) {
    const res = await fetch(url);
    if (res.status !== 200) throw new Error(`${url} answered ${res.status}: ${await res.text()}`);
  }
  const rows: [string, string, LoadResult][] = [];
  for (const [name, job] of [
    ['ext (TLS, client cert)', { url: extPath, tls: pki.frontProxyClient }],
    ['keda (/api/keda, HTTP)', { url: `${appUrl}/api/keda/shop/web` }],
    ['bare express', { url: `${bareUrl}/value` }],
  ] as [string, LoadJob][]) {
    process.stderr.write(`driving ${name} for ${DURATION_S} s...\n`);
    rows.push([name, job.url, await drive(job)]);
  }
  await ext.close();
  app.close();
  bare.close();
  published.stop();

  const [e, k, b] = rows.map((r) => r[2]) as [LoadResult, LoadResult, LoadResult];
  const pad = (s: string, n: number) => s.padEnd(n);
  console.log(`\n${pad('endpoint', 26)}${pad('req/s', 10)}${pad('p50 ms', 9)}${pad('p99 ms', 9)}${pad('requests', 11)}${pad('non-2xx', 9)}errors`);
  for (const [name, , r] of rows) console.log(`${pad(name, 26)}${pad(r.rps.toFixed(0), 10)}${pad(String(r.p50), 9)}${pad(String(r.p99), 9)}${pad(String(r.requests), 11)}${pad(String(r.non2xx), 9)}${r.errors}`);
  const ratio = e.rps / b.rps;
  const ok = e.p99 <= 5 && e.rps >= 5_000 && ratio >= 0.5 && e.non2xx === 0 && e.errors === 0;
  console.log('(latencies are autocannon\'s whole-millisecond histogram: 0 means under 1 ms)');
  console.log(`\ntarget: ext p99 <= 5 ms at >= 5000 req/s and >= 0.5x bare: ${ok ? 'met' : 'NOT met'} (ext/bare = ${ratio.toFixed(2)}x, ${CONNECTIONS} connections, ${DURATION_S} s each, load generator in its own process)`);
  console.log(`api: ext_rps=${e.rps.toFixed(0)} ext_p50_ms=${e.p50} ext_p99_ms=${e.p99} keda_rps=${k.rps.toFixed(0)} bare_rps=${b.rps.toFixed(0)}`);
}

if (process.argv.includes('--load-worker')) await loadWorker();
else await bench();
