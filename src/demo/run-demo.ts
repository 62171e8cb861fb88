/**
 * The embedded default (`npm run demo`): a week of the bundled NASA-HTTP trace backfilled into InfluxDB, then
 * the following days replayed on a replay clock through the real BullMQ jobs, Redis and InfluxDB against a
 * simulated cluster, with the HTTP server answering on localhost:8080. Ends with a summary that compares
 * Prescale with a reactive-only autoscaler (a faithful HPA) on the same replay.
 */
import { rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { SingleBar } from 'cli-progress';
import { createApp } from '../api/create-app.js';
import { SimulatedCluster } from '../cluster/simulated-cluster.js';
import { loadConfig } from '../config/load-config.js';
import type { PrescaleConfig } from '../config/schema.js';
import { targetId } from '../config/targets.js';
import { ReplayClock } from '../core/clock.js';
import { ServiceError } from '../core/errors.js';
import { createFileLogger } from '../core/logger.js';
import { readCsvTrace } from '../core/csv-trace.js';
import { REPO_ROOT, tracePath } from '../core/paths.js';
import { scanKeys, type RedisClient } from '../core/redis.js';
import { createRuntime } from '../runtime.js';
import type { MetricPoint } from '../metrics/metrics-store.js';
import { startPublishedCache } from '../publish/published-cache.js';
import { createWhatIfService } from '../what-if/what-if-service.js';
import { QueueSet } from '../../jobs/queue-set.js';
import { ReplayScheduler } from '../../jobs/replay-scheduler.js';
import { scheduleTable } from '../../jobs/schedule-table.js';
import { startWorkers } from '../../jobs/workers.js';
import { simulate } from '../simulator/replay.js';
import { packPods } from '../scaling/node-pool.js';
import { summarize, type PolicySummary } from '../simulator/summary.js';
import type { SimulationRow } from '../simulator/replay.js';
import { loadTrace } from '../simulator/trace.js';
import { budgetStatus, type BudgetStatus } from '../scaling/budget-observation.js';
import { formatDuration } from '../core/duration.js';

const DAY_MS = 86_400_000;

export interface DemoOptions {
  configFile: string;
  trace: string;
  backfillDays: number;
  replayDays: number;
  /** 0 = no HTTP server. */
  httpPort: number;
  /** Where JSON logs go (the console shows progress and the summary). */
  logFile: string;
  quiet?: boolean;
  /**
   * Awaited after the replay and the comparison, while the HTTP server still serves the dashboard (the
   * interactive demo waits for Ctrl-C here; the dashboard's browser test drives the page here).
   */
  afterReplay?: (summary: DemoSummary, dashboardUrl: string | null) => Promise<void>;
  /** Environment for config overrides (addresses). Default process.env. */
  env?: NodeJS.ProcessEnv;
  /**
   * Where the replay's trained models go; emptied first. Default .prescale/demo-models. Tests pass a directory of
   * their own: a demo starting elsewhere empties the default one, and a model deleted between the train job and the
   * first forecast leaves the whole replay without forecasts.
   */
  modelsDir?: string;
}

export interface DemoSummary {
  window: { from: string; to: string };
  prescale: PolicySummary;
  reactiveOnly: PolicySummary;
  jobs: number;
  seconds: number;
  decisions: Record<string, number>;
  /** The error budget as the replay left it (budget, window, spent, left, multiplier), or the quantile that overrides it. */
  budget: BudgetStatus;
}

/** Scaling state, models info and calendar of an earlier demo run would leak into this one: start empty. */
async function deleteKeys(redis: RedisClient, pattern: string): Promise<void> {
  // One DEL per key: on a Redis Cluster a multi-key DEL must stay within one slot.
  for (const key of await scanKeys(redis, pattern)) await redis.del(key);
}

/**
 * Starts every demo from an empty database of its own (only ever the `_demo` one). Dropping a database that holds
 * a previous replay and creating it again has, twice, left writes answered "database not found": so the new
 * database must take a probe write before the demo goes on.
 */
async function resetDemoDatabase(config: PrescaleConfig): Promise<void> {
  if (config.influx.api !== 'v1' || !config.influx.database.endsWith('_demo')) return;
  const base = config.influx.url;
  const db = config.influx.database;
  const post = async (path: string, body?: string) => {
    const response = await fetch(`${base}${path}`, { method: 'POST', ...(body !== undefined ? { body } : {}) }).catch((error: unknown) => {
      throw new ServiceError('influxdb', base, `unreachable (${(error as Error).message}); is influxd running? "npm run services:start" starts one`, true, { cause: error });
    });
    return { status: response.status, text: await response.text() };
  };
  const statement = (q: string) => post(`/query?db=${encodeURIComponent(db)}&q=${encodeURIComponent(q)}`);
  const dropped = await statement(`DROP DATABASE "${db}"`);
  if (dropped.status !== 200) throw new ServiceError('influxdb', base, `DROP DATABASE answered ${dropped.status} ${dropped.text}`, false);
  for (let attempt = 1; attempt <= 20; attempt++) {
    await statement(`CREATE DATABASE "${db}"`);
    const probe = await post(`/write?db=${encodeURIComponent(db)}&precision=ms`, `prescale_demo_probe v=1 ${Date.UTC(1995, 0, 1)}`);
    if (probe.status === 204) {
      await statement(`DROP MEASUREMENT "prescale_demo_probe"`);
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new ServiceError('influxdb', base, `database "${db}" does not take writes after being created again`, true);
}

/**
 * The replay runs every job through Redis and InfluxDB, so its speed is set by the number of jobs: the demo
 * collects once a minute (the trace has a 5-minute step anyway) and runs the reactive loop once a minute:
 * the planning loop runs every 15 s and checks the same breaches.
 */
export const DEMO_SCHEDULE = { collect: 60_000, reactive: 60_000 };

/**
 * LSTM training in the demo: off unless PRESCALE_DEMO_DEEP says auto or always. The replay waits for each LSTM
 * training the train jobs queue (jobs/replay-scheduler.ts), so it would add a training of up to deepBudget real
 * seconds at every one of the replay's nine train instants (about 45 s each on NASA's first week, on two
 * busy cores), several minutes on a run of about seven; and on that week the LSTM, trained on the five days
 * before the validation origins, loses to seasonal naive in validation (MASE 1.03 against 0.84), so the
 * champion, and the demo's result, would not change. The service itself (src/main.ts) trains it by default.
 */
export function demoDeepTraining(env: NodeJS.ProcessEnv): PrescaleConfig['forecasting']['deep'] {
  const wanted = env['PRESCALE_DEMO_DEEP'] ?? 'off';
  if (wanted !== 'auto' && wanted !== 'off' && wanted !== 'always') throw new Error(`PRESCALE_DEMO_DEEP must be auto, off or always; got "${wanted}"`);
  return wanted;
}

function demoConfig(file: string, env: NodeJS.ProcessEnv): PrescaleConfig {
  const config = loadConfig(file, env);
  // The demo owns its database and queue prefix, so it never touches a real installation's data.
  return {
    ...config,
    influx: { ...config.influx, database: `${config.influx.database}_demo` },
    redis: { ...config.redis, prefix: `${config.redis.prefix}-demo` },
    schedule: { ...config.schedule, ...DEMO_SCHEDULE },
    forecasting: { ...config.forecasting, deep: demoDeepTraining(env) },
  };
}

export async function runDemo(options: DemoOptions): Promise<DemoSummary> {
  const started = Date.now();
  const say = (line: string) => {
    if (!options.quiet) process.stderr.write(`${line}\n`);
  };
  const config = demoConfig(options.configFile, options.env ?? process.env);
  const target = config.targets[0]!;
  const id = targetId(target);
  const logger = createFileLogger(options.logFile, 'prescale-demo');

  const trace = readCsvTrace(options.trace);
  const { startMs: traceStart, stepMs, values } = trace.series;
  const firstDay = Math.ceil(traceStart / DAY_MS) * DAY_MS;
  const replayStart = firstDay + options.backfillDays * DAY_MS;
  const replayEnd = Math.min(replayStart + options.replayDays * DAY_MS, traceStart + values.length * stepMs);
  const demandAt = (t: number) => values[Math.min(values.length - 1, Math.max(0, Math.floor((t - traceStart) / stepMs)))]!;

  const clock = new ReplayClock(replayStart);
  const modelsDir = options.modelsDir ?? join(REPO_ROOT, '.prescale', 'demo-models');
  rmSync(modelsDir, { recursive: true, force: true });
  const initialReplicas = Math.max(target.minReplicas, Math.ceil(demandAt(replayStart) / (target.capacityPerReplica * target.targetUtilization)));
  const pool = config.nodePools.find((p) => p.name === target.nodePool);
  const initialNodes = pool ? Math.max(pool.minNodes, packPods(pool, [{ workload: id, replicas: initialReplicas, requests: target.podRequests! }]).nodes) : 0;
  const cluster = SimulatedCluster.fromConfig(clock, config, { replicas: { [id]: initialReplicas }, nodes: pool ? { [pool.name]: initialNodes } : {} });
  await resetDemoDatabase(config);
  const runtime = await createRuntime(config, {
    clock,
    logger,
    cluster,
    modelsDir,
    // The live load is the trace as it unfolds: the collect job writes the step the clock is in.
    collect: async (at): Promise<MetricPoint[]> => {
      const bucket = Math.floor(at / stepMs) * stepMs;
      const workload = cluster.inspectWorkload({ namespace: target.namespace, name: target.name, kind: target.kind });
      return [
        { measurement: target.load.measurement, tags: target.load.tags, fields: { [target.load.field]: demandAt(at) }, time: bucket },
        { measurement: 'prescale_cluster', tags: { target: id }, fields: { desired_replicas: workload.desiredReplicas, ready_replicas: workload.readyReplicas }, time: at },
        // The pool's nodes too: the dashboard draws planned (decisions) against Ready nodes.
        ...(pool ? [{ measurement: 'prescale_cluster', tags: { pool: pool.name }, fields: { desired_nodes: cluster.inspectNodePool(pool.name).desiredNodes, ready_nodes: cluster.inspectNodePool(pool.name).readyNodes }, time: at }] : []),
      ];
    },
  });
  const { redis, store } = runtime;
  const queues = new QueueSet(redis, config.redis.prefix);
  await queues.obliterate();
  await deleteKeys(redis, `${config.redis.prefix}:*`);
  const workers = startWorkers(runtime.deps, { connection: redis, prefix: config.redis.prefix });
  const replay = new ReplayScheduler(queues, scheduleTable(config), clock);
  await replay.ready();

  let server: Server | undefined;
  let dashboardUrl: string | null = null;
  let stopPublished = (): void => undefined;
  let replayFraction = 0;
  if (options.httpPort > 0) {
    const published = startPublishedCache(runtime.published, { logger });
    stopPublished = () => published.stop();
    // What-if runs replay the demo's stored load up to the replay clock's now, in the demo's own workers.
    const whatIf = createWhatIfService({ config, clock, store, cache: runtime.whatIfCache, queue: queues.queueOf('what-if') });
    // As main.ts wires the api role: /metrics with the job and scaling-event families, /readyz, the write buffer.
    const app = createApp({
      config,
      clock,
      logger,
      store,
      state: runtime.state,
      cluster,
      calendar: runtime.calendar,
      published,
      whatIf,
      operational: { events: runtime.events, jobStats: runtime.jobStats, queues: queues.queues },
      readiness: runtime.readiness,
      writeBuffer: () => store.bufferStatus(),
      status: () => ({ replay: { fraction: replayFraction, from: replayStart, to: replayEnd } }),
    });
    server = createServer(app);
    await new Promise<void>((resolve, reject) => server!.once('error', reject).listen(options.httpPort, config.http.host, () => resolve()));
    dashboardUrl = `http://localhost:${options.httpPort}/`;
    say(`dashboard: ${dashboardUrl} (status JSON at /api/status)`);
  }

  try {
    say(`backfilling ${options.backfillDays} days of ${options.trace.split('/').pop()} into InfluxDB (${config.influx.url}, database ${config.influx.database})`);
    const events = await queues.events();
    const ingest = await queues.add('ingest', { at: replayStart, file: options.trace, measurement: target.load.measurement, field: target.load.field, tags: target.load.tags, shiftMs: 0, toMs: replayStart });
    const ingested = (await ingest.waitUntilFinished(events['prescale-ingest'], 120_000)) as { points: number };
    await Promise.all(Object.values(events).map((e) => e.close()));
    say(`backfilled ${ingested.points} points`);

    say(`replaying ${new Date(replayStart).toISOString()} .. ${new Date(replayEnd).toISOString()} on the replay clock`);
    const bar = options.quiet ? null : new SingleBar({ format: 'replay [{bar}] {percentage}% | {time} | jobs {jobs} | replicas {replicas} | {mode}', hideCursor: true, stream: process.stderr, noTTYOutput: true, notTTYSchedule: 5_000 });
    bar?.start(100, 0, { time: '', jobs: 0, replicas: 0, mode: '' });
    const rows: SimulationRow[] = [];
    let lastMinute = replayStart;
    const jobs = await replay.runUntil(replayEnd, async ({ at, jobs: count, fraction }) => {
      replayFraction = fraction;
      for (; lastMinute + 60_000 <= at; lastMinute += 60_000) {
        // Scored exactly like `prescale simulate`: one row per minute, the cluster as it stands then.
        const w = cluster.inspectWorkload({ namespace: target.namespace, name: target.name, kind: target.kind });
        const nodes = target.nodePool ? cluster.inspectNodePool(target.nodePool).desiredNodes : 0;
        const mode = (await runtime.state.getScalingState(id))?.mode ?? 'learning';
        rows.push({ timestamp: lastMinute, policy: 'prescale', demand: demandAt(lastMinute), desiredReplicas: w.desiredReplicas, readyReplicas: w.readyReplicas, capacity: w.readyReplicas * target.capacityPerReplica, nodes, mode });
      }
      if (at % 3_600_000 === 0) {
        const w = cluster.inspectWorkload({ namespace: target.namespace, name: target.name, kind: target.kind });
        const state = await runtime.state.getScalingState(id);
        bar?.update(Math.round(fraction * 100), { time: new Date(at).toISOString().slice(0, 16), jobs: count, replicas: `${w.readyReplicas}/${w.desiredReplicas}`, mode: state?.mode ?? '' });
      }
    });
    bar?.update(100);
    bar?.stop();

    const decisions = await store.readDecisions(id, replayStart, replayEnd + 1);
    const byMode: Record<string, number> = {};
    for (const d of decisions) byMode[d.mode] = (byMode[d.mode] ?? 0) + 1;
    say('replaying the same window with a reactive-only autoscaler (Kubernetes HPA model) for comparison');
    const hpa = await simulate('hpa', {
      trace: loadTrace(options.trace),
      capacityPerReplica: target.capacityPerReplica,
      targetUtilization: target.targetUtilization,
      podStartupMs: target.podStartup,
      ...(pool ? { nodeStartupMs: pool.provisioning } : {}),
      minReplicas: target.minReplicas,
      maxReplicas: target.maxReplicas,
      fromMs: replayStart,
      toMs: replayEnd,
    });
    const summary: DemoSummary = {
      window: { from: new Date(replayStart).toISOString(), to: new Date(replayEnd).toISOString() },
      prescale: summarize('prescale', rows),
      reactiveOnly: summarize('hpa', hpa.rows),
      jobs,
      seconds: (Date.now() - started) / 1000,
      decisions: byMode,
      budget: budgetStatus(target, await runtime.state.getBudgetState(id), replayEnd),
    };
    await options.afterReplay?.(summary, dashboardUrl);
    return summary;
  } finally {
    await Promise.all(workers.map((w) => w.close()));
    await replay.close();
    await queues.close();
    await runtime.close();
    stopPublished();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    logger.flush();
  }
}

function printSummary(summary: DemoSummary): void {
  const row = (name: string, t: DemoSummary['prescale']) =>
    `| ${name.padEnd(24)} | ${String(t.underProvisionedMinutes).padStart(24)} | ${t.replicaHours.toFixed(1).padStart(13)} | ${(t.slack * 100).toFixed(1).padStart(8)}% |`;
  console.log(`\nPrescale demo summary: ${summary.window.from} .. ${summary.window.to} (${summary.prescale.minutes} minutes replayed, ${summary.jobs} jobs, ${summary.seconds.toFixed(0)} s)`);
  console.log(`| policy                   | under-provisioned minutes | replica-hours |    slack |`);
  console.log(`|--------------------------|--------------------------:|--------------:|---------:|`);
  console.log(row('prescale', summary.prescale));
  console.log(row('reactive only (HPA)', summary.reactiveOnly));
  console.log(`decisions by mode: ${Object.entries(summary.decisions).map(([m, n]) => `${m} ${n}`).join(', ')}`);
  console.log(budgetLine(summary.budget));
}

/** "error budget 1% of minutes over 1w: spent 0.83% of the 180 minutes observed (1.5 min short of capacity), left 0.17%; sizing x1.06 on P98". */
export function budgetLine(b: BudgetStatus): string {
  if (b.control === 'quantile') return `sizing: forecast P${b.quantile} (targets[].quantile overrides the error budget)`;
  const share = (x: number) => `${Number((x * 100).toPrecision(2))}%`;
  return (
    `error budget ${share(b.budget)} of minutes over ${formatDuration(b.windowMs)}: spent ${share(b.spent)} of the ${Math.round(b.observedMinutes)} minutes observed ` +
    `(${Number(b.spentMinutes.toFixed(2))} min short of capacity), left ${share(b.left)}; sizing x${b.multiplier.toFixed(2)} on P${b.quantile}`
  );
}

function printDashboardHints(url: string, target: string | null): void {
  const page = target ? `${url}#/target/${target}?range=3d` : url;
  console.log(`\nThe dashboard keeps serving the replayed data: ${page}`);
  console.log('  - Load: the black actual line against the forecast as issued one pod lead earlier (blue, with 80/95% bands) and the latest forecast ahead (orange).');
  console.log('  - Capacity: planned, desired and Ready replicas against what the load needed; red spans were under-provisioned; click a dot for the rule and reason.');
  console.log('  - Nodes, the decision table (filter by mode, rule, applied), the calendar form, the model and its live accuracy.');
  console.log('Press Ctrl-C to stop.');
}

const isMain = process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!);
if (isMain) {
  const env = process.env;
  // At a terminal the demo keeps the dashboard up after the replay until Ctrl-C; `--exit`, tests and CI end as before.
  const interactive = process.stdout.isTTY === true && !process.argv.includes('--exit');
  let printed = false;
  runDemo({
    configFile: env['PRESCALE_CONFIG'] ?? join(REPO_ROOT, 'prescale.yaml'),
    trace: env['PRESCALE_DEMO_TRACE'] ?? tracePath('nasa_http_jul1995_5min.csv'),
    backfillDays: Number(env['PRESCALE_DEMO_BACKFILL_DAYS'] ?? 7),
    replayDays: Number(env['PRESCALE_DEMO_REPLAY_DAYS'] ?? 2),
    httpPort: Number(env['PRESCALE_HTTP_PORT'] ?? 8080),
    logFile: join(REPO_ROOT, '.prescale', 'demo.log'),
    ...(interactive
      ? {
          afterReplay: async (summary: DemoSummary, url: string | null) => {
            printSummary(summary);
            printed = true;
            if (!url) return;
            printDashboardHints(url, env['PRESCALE_CONFIG'] ? null : 'shop/web');
            await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
          },
        }
      : {}),
  })
    .then((summary) => {
      if (!printed) printSummary(summary);
      process.exit(0);
    })
    .catch((error: unknown) => {
      console.error(`demo failed: ${(error as Error).message}`);
      process.exit(1);
    });
}
