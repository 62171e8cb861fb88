/**
 * `npm run bench:fleet -- --targets 10,100,1000 --workers 1,2 [--duration 3m] [--backfill-days 3]`
 *
 * What one target costs and how many targets a worker process carries (issue 11). For each fleet size N:
 * N targets made from the bundled traces (time-shifted and scaled copies, src: bench/fleet/fleet-targets.ts),
 * `--backfill-days` of 5-minute history written to a database of its own (dropped after), then for each worker
 * count W, on the wall clock:
 *  1. W real worker processes (`src/main.ts --roles=worker`, simulated cluster, Holt-Winters for every target);
 *  2. one training round of all N targets, alone (training throughput);
 *  3. the service's real schedule registered (train 6 h, forecast 1 m, plan 15 s, reactive 15 s, accuracy 5 m):
 *     the train schedulers fire at once, so the run starts with every target retrained again under planning
 *     load (what happens every 6 h); the run lasts `--duration`, or until that retrain has finished (at most
 *     `--max-duration`). Live load is written for every target every 30 s, as Telegraf would.
 * Before that run, a plan-only phase (`--plan-only`, default 60 s; 0 skips it): one forecast round, then only the
 * plan and reactive schedulers: the planning path's own lag, CPU, InfluxDB and Redis per tick. Its forecasts are
 * all fresh, so until the next 5-minute step the plan window in Redis does not yet hold the step filling up and
 * each tick still reads its forecast from InfluxDB (src/state/plan-forecast.ts); the full run shows the steady
 * state. `--duration 0` stops after it. Measured in the run, after a 15 s warm-up: plan lag (due instant in the BullMQ job id -> completion event,
 * after the decision is written) p50/p99 of plan and reactive ticks, ticks done vs due, forecast lag, InfluxDB
 * requests per plan tick (a counting proxy between workers and influxd), Redis commands per plan tick (INFO
 * commandstats deltas on the bench's own redis-server, less the bench's own XREAD/INFO), CPU and RSS per process
 * (/proc). Its own redis-server and influxd run on free ports (bench/fleet/services.ts), so nothing else counts.
 *
 * In simulated mode every worker process is its own leader (no Lease) and consumes the plan queue; each keeps
 * its own simulated cluster, which is fine for cost but means replicas are not coherent across processes.
 * Last lines, one per run: `fleet: targets=N workers=W plan_lag_p50_s=X plan_lag_p99_s=X retrain_all_s=X rss_max_mib=X`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { stringify } from 'yaml';
import { loadConfig } from '../src/config/load-config.js';
import { REPO_ROOT } from '../src/core/paths.js';
import { createInfluxV1Store } from '../src/metrics/influx-v1.js';
import type { MetricPoint, MetricsStore } from '../src/metrics/metrics-store.js';
import { QueueSet } from '../jobs/queue-set.js';
import { QUEUES } from '../jobs/queues.js';
import { scheduleTable } from '../jobs/schedule-table.js';
import { upsertSchedules } from '../jobs/wall-scheduler.js';
import { startFleetServices, type FleetServices } from './fleet/services.js';
import { startInfluxCounter, type InfluxCounter } from './fleet/influx-counter.js';
import { nicedThreads, ProcTracker, readThreadCpuS } from './fleet/proc-stats.js';
import { dueTicks } from './fleet/due-ticks.js';
import { FLEET_FIELD, FLEET_MEASUREMENT, FLEET_NAMESPACE, fleetTargets, type FleetTarget } from './fleet/fleet-targets.js';

const STEP_MS = 300_000;
const PLAN_MS = 15_000;
const LIVE_EVERY_MS = 30_000;
const WARMUP_MS = 15_000;
const PREFIX = 'fleet';

function parseDuration(text: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) throw new Error(`${flag}: expected a duration like 90s, 3m or 1h, got "${text}"`);
  const unit = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
  return Number(m[1]) * unit;
}

function parseList(text: string, flag: string): number[] {
  const values = text.split(',').map((v) => Number(v.trim()));
  if (values.length === 0 || values.some((v) => !Number.isInteger(v) || v < 1)) throw new Error(`${flag}: expected a comma list of positive integers, got "${text}"`);
  return values;
}

function parseArgs(argv: string[]) {
  const get = (flag: string) => {
    const i = argv.indexOf(flag);
    if (i >= 0) return argv[i + 1];
    return argv.find((a) => a.startsWith(`${flag}=`))?.slice(flag.length + 1);
  };
  const known = ['--targets', '--workers', '--duration', '--max-duration', '--backfill-days', '--plan-only'];
  const unknown = argv.filter((a) => a.startsWith('--') && !known.includes(a.split('=')[0]!));
  if (unknown.length > 0) throw new Error(`unknown option(s) ${unknown.join(', ')}; expected ${known.join(', ')}`);
  const backfillDays = Number(get('--backfill-days') ?? 3);
  if (!Number.isInteger(backfillDays) || backfillDays < 2) throw new Error('--backfill-days: expected an integer >= 2 (Holt-Winters needs two daily seasons)');
  return {
    targets: parseList(get('--targets') ?? '10,100,1000', '--targets'),
    workers: parseList(get('--workers') ?? '1,2', '--workers'),
    durationMs: parseDuration(get('--duration') ?? '3m', '--duration'),
    maxDurationMs: parseDuration(get('--max-duration') ?? '15m', '--max-duration'),
    planOnlyMs: parseDuration(get('--plan-only') ?? '60s', '--plan-only'),
    backfillDays,
  };
}

const quantile = (values: number[], q: number): number => {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
};
const fmt = (v: number, digits = 2) => (Number.isFinite(v) ? v.toFixed(digits) : 'n/a');
const log = (text: string) => process.stdout.write(`[${new Date().toISOString().slice(11, 19)}] ${text}\n`);

function configFor(services: { influxUrl: string; redisUrl: string }, database: string, targets: FleetTarget[]) {
  return {
    influx: { url: services.influxUrl, api: 'v1', database },
    redis: { url: services.redisUrl, prefix: PREFIX },
    http: { host: '127.0.0.1', port: 0 },
    kubernetes: { mode: 'simulated' },
    step: '5m',
    history: '28d',
    horizon: '1d',
    schedule: { train: '6h', forecast: '1m', plan: '15s', reactive: '15s', collect: '30s', accuracy: '5m' },
    targets: targets.map((t) => ({
      name: t.name,
      namespace: FLEET_NAMESPACE,
      kind: 'Deployment',
      load: { measurement: FLEET_MEASUREMENT, field: FLEET_FIELD, tags: { target: t.name } },
      capacityPerReplica: Number(t.capacityPerReplica.toPrecision(4)),
      targetUtilization: 0.8,
      minReplicas: 1,
      maxReplicas: 200,
      podStartup: '90s',
      quantile: 98,
      model: 'hw',
    })),
    nodePools: [],
  };
}

function loadPoints(targets: FleetTarget[], time: number): MetricPoint[] {
  return targets.map((t) => ({ measurement: FLEET_MEASUREMENT, tags: { target: t.name }, fields: { [FLEET_FIELD]: t.loadAt(time) }, time }));
}

async function backfill(store: MetricsStore, targets: FleetTarget[], fromMs: number, toMs: number): Promise<void> {
  const started = Date.now();
  let batch: MetricPoint[] = [];
  let written = 0;
  const total = targets.length * Math.ceil((toMs - fromMs) / STEP_MS);
  for (const target of targets) {
    for (let t = fromMs; t < toMs; t += STEP_MS) {
      batch.push({ measurement: FLEET_MEASUREMENT, tags: { target: target.name }, fields: { [FLEET_FIELD]: target.loadAt(t) }, time: t });
      if (batch.length === 20_000) {
        await store.writePoints(batch);
        written += batch.length;
        batch = [];
        if (written % 200_000 === 0) log(`backfill ${written}/${total} points`);
      }
    }
  }
  if (batch.length > 0) await store.writePoints(batch);
  log(`backfill: ${total} points (${targets.length} targets x ${Math.round((toMs - fromMs) / 86_400_000)} days) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

interface WorkerProcess {
  child: ChildProcess;
  stop(): Promise<void>;
}

/** Worker processes alive now: an interrupted bench stops them too. */
const liveWorkers = new Set<WorkerProcess>();

async function startWorker(index: number, configFile: string, dir: string): Promise<WorkerProcess> {
  const logFile = join(dir, `worker-${index}.log`);
  const out = createWriteStream(logFile);
  // BENCH_FLEET_WORKER_ARGS: extra node flags for the workers, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
  const extra = (process.env['BENCH_FLEET_WORKER_ARGS'] ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...extra, '--import', 'tsx', join(REPO_ROOT, 'src', 'main.ts'), `--config=${configFile}`, '--roles=worker'], {
    cwd: REPO_ROOT,
    env: { ...process.env, PRESCALE_MODELS_DIR: join(dir, 'models'), PRESCALE_LOG_LEVEL: 'info', PRESCALE_ROLES: 'worker', PRESCALE_HTTP_PORT: '0' /* each worker's probe listener on a free port */ },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let started = false;
  child.stdout!.on('data', (chunk: Buffer) => {
    if (!started && chunk.toString().includes('"prescale started"')) started = true;
    out.write(chunk);
  });
  child.stderr!.pipe(out);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 60_000;
  while (!started) {
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill('SIGTERM');
      throw new Error(`worker ${index} did not start; see ${logFile}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const worker: WorkerProcess = {
    child,
    async stop() {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
      out.end();
      liveWorkers.delete(worker);
    },
  };
  liveWorkers.add(worker);
  return worker;
}

/** Redis commands by name, from INFO commandstats. */
async function commandStats(redis: Redis): Promise<Map<string, number>> {
  const text = await redis.info('commandstats');
  const stats = new Map<string, number>();
  for (const m of text.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) stats.set(m[1]!, Number(m[2]));
  return stats;
}

function delta(after: Map<string, number>, before: Map<string, number>): Map<string, number> {
  return new Map([...after].map(([k, v]) => [k, v - (before.get(k) ?? 0)] as const).filter(([, v]) => v > 0));
}

/** The bench's own commands (QueueEvents reads, INFO): not the fleet's cost. */
const BENCH_COMMANDS = new Set(['xread', 'xrevrange', 'info', 'client|setname', 'client', 'hello', 'ping', 'select']);

export interface RunResult {
  targets: number;
  workers: number;
  planLagP50: number;
  planLagP99: number;
  planLagMax: number;
  reactiveLagP99: number;
  ticksDone: number;
  ticksDue: number;
  forecastLagP50: number;
  forecastLagP99: number;
  coldTrainS: number;
  retrainAllS: number;
  retrainDone: number;
  influxPerPlanTick: number;
  influxPerRound: number;
  redisPerPlanTick: number;
  redisPerRound: number;
  workerCores: number[];
  workerRssMiB: number[];
  redisCores: number;
  influxCores: number;
  redisRssMiB: number;
  influxRssMiB: number;
  load: string;
  /** The plan-only phase: plan and reactive schedulers alone (no training, no forecasts). */
  planOnly: { lagP50: number; lagP99: number; ticksPerS: number; ticksDue: number; ticksDone: number; mainCpuMsPerTick: number; influxPerTick: number; redisPerTick: number; load: string } | null;
  topRedis: string;
  influxKinds: string;
}

async function runOnce(services: FleetServices, counter: InfluxCounter, database: string, targets: FleetTarget[], workers: number, options: { durationMs: number; maxDurationMs: number; planOnlyMs: number }): Promise<RunResult> {
  const dir = join(services.dir, `run-${targets.length}-${workers}`);
  mkdirSync(dir, { recursive: true });
  const redis = new Redis(services.redisUrl, { maxRetriesPerRequest: null });
  await redis.flushall();
  const configFile = join(dir, 'prescale.yaml');
  writeFileSync(configFile, stringify(configFor({ influxUrl: counter.url, redisUrl: services.redisUrl }, database, targets)));
  const config = loadConfig(configFile, {});
  const liveStore = createInfluxV1Store({ url: services.influxUrl, database });
  // Live load every 30 s, as Telegraf would, straight to influxd (not counted as the fleet's requests).
  const writeLive = () => liveStore.writePoints(loadPoints(targets, Date.now())).catch((e: unknown) => log(`live write failed: ${(e as Error).message}`));
  await writeLive();
  const liveTimer = setInterval(() => void writeLive(), LIVE_EVERY_MS);

  log(`targets=${targets.length} workers=${workers}: starting ${workers} worker process(es)`);
  const procs = await Promise.all(Array.from({ length: workers }, (_, i) => startWorker(i, configFile, dir)));
  const pids = new Map<string, number>(procs.map((p, i) => [`worker-${i}`, p.child.pid!] as const));
  pids.set('redis-server', services.redisPid);
  pids.set('influxd', services.influxPid);
  pids.set('bench', process.pid);
  const tracker = new ProcTracker(pids);
  const sampler = setInterval(() => tracker.sample(), 2_000);
  tracker.sample();
  const queues = new QueueSet(redis, PREFIX);
  const events = await queues.events();
  try {
    // 1. One training round of every target, alone.
    const coldIds = new Set<string>();
    let coldDone = 0;
    let coldFailed = 0;
    const onTrain = ({ jobId }: { jobId: string }, kind: 'completed' | 'failed') => {
      if (!coldIds.has(jobId)) return;
      coldIds.delete(jobId);
      if (kind === 'completed') coldDone++;
      else coldFailed++;
    };
    const trainEvents = events[QUEUES.train];
    trainEvents.on('completed', (e) => onTrain(e, 'completed'));
    trainEvents.on('failed', (e) => onTrain(e, 'failed'));
    const coldStart = Date.now();
    for (const t of targets) {
      const job = await queues.add('train', { target: `${FLEET_NAMESPACE}/${t.name}`, at: coldStart });
      coldIds.add(job.id!);
    }
    let lastProgress = 0;
    while (coldIds.size > 0) {
      await new Promise((r) => setTimeout(r, 250));
      if (Date.now() - lastProgress > 10_000) {
        lastProgress = Date.now();
        const s = (Date.now() - coldStart) / 1000;
        log(`  training round: ${coldDone + coldFailed}/${targets.length} trained (${coldFailed} failed) in ${s.toFixed(0)} s, ${fmt(((coldDone + coldFailed) / s) * 60, 0)} targets/min`);
      }
      if (Date.now() - coldStart > 3_600_000) throw new Error('training round did not finish within an hour');
    }
    const coldTrainS = (Date.now() - coldStart) / 1000;
    log(`  training round: all ${targets.length} in ${coldTrainS.toFixed(1)} s (${coldFailed} failed), ${fmt((targets.length / coldTrainS) * 60, 0)} targets/min`);
    if (coldFailed > 0) log(`  some training failed: see ${dir}/worker-*.log`);
    log(`  training threads below the event loop's priority: ${procs.map((p, i) => `worker-${i} ${nicedThreads(p.child.pid!).map((t) => `tid ${t.tid} nice ${t.nice}`).join(', ') || 'none'}`).join('; ')}`);

    // Lags go to the phase being measured: jobs due from its start on.
    let phase = { start: Infinity, plan: [] as number[], reactive: [] as number[], forecast: [] as number[] };
    const planLags = () => phase.plan;
    const reactiveLags = () => phase.reactive;
    const forecastLags = () => phase.forecast;
    let planFailed = 0;
    // Plan-queue jobs completed while the counters were running (the denominator of the per-tick costs).
    const counting = { on: false, planJobs: 0, all: 0 };
    const retrain = { done: 0, firstDue: Infinity, lastDone: 0 };
    const parse = (jobId: string) => {
      const m = /^repeat:([^.]+)\.(.+):(\d+)$/.exec(jobId);
      return m ? { kind: m[1]!, due: Number(m[3]) } : null;
    };
    const at = (eventId: string) => Number(eventId.split('-')[0]);
    events[QUEUES.plan].on('completed', ({ jobId }, id) => {
      counting.all++;
      if (counting.on) counting.planJobs++;
      const p = parse(jobId);
      if (!p || p.due < phase.start) return;
      (p.kind === 'plan' ? phase.plan : phase.reactive).push((at(id) - p.due) / 1000);
    });
    events[QUEUES.plan].on('failed', ({ jobId }) => {
      const p = parse(jobId);
      if (p && p.due >= phase.start) planFailed++;
    });
    events[QUEUES.forecast].on('completed', ({ jobId }, id) => {
      const p = parse(jobId);
      if (p && p.kind === 'forecast' && p.due >= phase.start) phase.forecast.push((at(id) - p.due) / 1000);
    });
    trainEvents.on('completed', ({ jobId }, id) => {
      const p = parse(jobId);
      if (!p || p.kind !== 'train') return;
      retrain.done++;
      retrain.firstDue = Math.min(retrain.firstDue, p.due);
      retrain.lastDone = Math.max(retrain.lastDone, at(id));
    });
    // 2. One forecast round, then the plan and reactive schedulers alone: the plan path's own cost and lag.
    let planOnly: RunResult['planOnly'] = null;
    if (options.planOnlyMs > 0) {
      const forecastIds = new Set<string>();
      const onForecast = ({ jobId }: { jobId: string }) => void forecastIds.delete(jobId);
      events[QUEUES.forecast].on('completed', onForecast);
      events[QUEUES.forecast].on('failed', onForecast);
      const forecastStart = Date.now();
      for (const t of targets) forecastIds.add((await queues.add('forecast', { target: `${FLEET_NAMESPACE}/${t.name}`, at: forecastStart })).id!);
      while (forecastIds.size > 0 && Date.now() - forecastStart < 600_000) await new Promise((r) => setTimeout(r, 250));
      log(`  forecast round: ${targets.length - forecastIds.size}/${targets.length} in ${((Date.now() - forecastStart) / 1000).toFixed(1)} s`);
      const planTable = scheduleTable(config).filter((j) => j.name === 'plan');
      await upsertSchedules(queues, planTable);
      const registeredPlan = Date.now();
      phase = { start: registeredPlan + WARMUP_MS, plan: [], reactive: [], forecast: [] };
      log(`  plan only: ${planTable.length} plan and reactive schedulers for ${options.planOnlyMs / 1000} s (after ${WARMUP_MS / 1000} s warm-up)`);
      await new Promise((r) => setTimeout(r, WARMUP_MS));
      const redis0 = await commandStats(redis);
      const influx0 = counter.counts();
      const main0 = procs.map((p) => readThreadCpuS(p.child.pid!) ?? 0);
      const done0 = counting.all;
      const t0 = Date.now();
      while (Date.now() - t0 < options.planOnlyMs) {
        await new Promise((r) => setTimeout(r, 10_000));
        log(`  plan only ${((Date.now() - t0) / 1000).toFixed(0)} s: ${counting.all - done0} plan-queue jobs (${(((counting.all - done0) * 1000) / (Date.now() - t0)).toFixed(1)}/s, needed ${((targets.length * 2) / 15).toFixed(1)}/s), due in window: p50 ${fmt(quantile([...phase.plan, ...phase.reactive], 0.5))} s p99 ${fmt(quantile([...phase.plan, ...phase.reactive], 0.99))} s, load ${loadavg()[0]!.toFixed(2)}`);
      }
      const seconds = (Date.now() - t0) / 1000;
      const jobs = counting.all - done0;
      const mainCpuS = procs.reduce((a, p, i) => a + ((readThreadCpuS(p.child.pid!) ?? 0) - main0[i]!), 0);
      const redisCmds = [...delta(await commandStats(redis), redis0)].filter(([k]) => !BENCH_COMMANDS.has(k)).reduce((a, [, v]) => a + v, 0);
      const influxReqs = [...delta(counter.counts(), influx0)].reduce((a, [, v]) => a + v, 0);
      const lags = [...phase.plan, ...phase.reactive];
      planOnly = {
        lagP50: quantile(lags, 0.5),
        lagP99: quantile(lags, 0.99),
        ticksPerS: jobs / seconds,
        ticksDue: dueTicks(planTable, phase.start, Date.now()),
        ticksDone: lags.length,
        mainCpuMsPerTick: jobs > 0 ? (mainCpuS * 1000) / jobs : NaN,
        influxPerTick: jobs > 0 ? influxReqs / jobs : NaN,
        redisPerTick: jobs > 0 ? redisCmds / jobs : NaN,
        load: loadavg().map((v) => v.toFixed(2)).join(' '),
      };
      log(`  plan only: lag p50 ${fmt(planOnly.lagP50)} s p99 ${fmt(planOnly.lagP99)} s, ${fmt(planOnly.ticksPerS, 1)} ticks/s, main-thread CPU ${fmt(planOnly.mainCpuMsPerTick)} ms/tick, InfluxDB ${fmt(planOnly.influxPerTick)} req/tick, Redis ${fmt(planOnly.redisPerTick, 1)} cmd/tick, load ${planOnly.load}`);
    }

    // 3. The real schedule. Completion events give lags; the train schedulers fire at once, so all retrain now
    // (plan, reactive and forecast ticks are spread over their periods: jobs/schedule-offset.ts).
    if (options.durationMs === 0) {
      tracker.sample();
      const report = tracker.report(1);
      const workerStats = report.filter((p) => p.name.startsWith('worker-'));
      const find = (name: string) => report.find((p) => p.name === name)!;
      return {
        targets: targets.length, workers, planLagP50: NaN, planLagP99: NaN, planLagMax: NaN, reactiveLagP99: NaN, ticksDone: 0, ticksDue: 0, forecastLagP50: NaN, forecastLagP99: NaN,
        coldTrainS, retrainAllS: NaN, retrainDone: 0, influxPerPlanTick: NaN, influxPerRound: NaN, redisPerPlanTick: NaN, redisPerRound: NaN,
        workerCores: workerStats.map(() => NaN), workerRssMiB: workerStats.map((w) => w.rssMaxMiB), redisCores: NaN, influxCores: NaN,
        redisRssMiB: find('redis-server').rssMaxMiB, influxRssMiB: find('influxd').rssMaxMiB, load: loadavg().map((v) => v.toFixed(2)).join(' '), planOnly, topRedis: '', influxKinds: '',
      };
    }
    const registerStart = Date.now();
    const table = scheduleTable(config);
    await upsertSchedules(queues, table);
    const registered = Date.now();
    log(`  ${table.length} job schedulers registered in ${((registered - registerStart) / 1000).toFixed(1)} s; running ${options.durationMs / 1000} s (longer while the retrain runs, at most ${options.maxDurationMs / 1000} s)`);
    phase = { start: registered + WARMUP_MS, plan: [], reactive: [], forecast: [] };
    const windowStart = phase.start;
    await new Promise((r) => setTimeout(r, WARMUP_MS));
    const redisBefore = await commandStats(redis);
    const influxBefore = counter.counts();
    tracker.sample();
    counting.on = true;
    const cpuStart = Date.now();
    lastProgress = Date.now();
    let lastAll = counting.all;
    for (;;) {
      await new Promise((r) => setTimeout(r, 1_000));
      const elapsed = Date.now() - registered;
      const retrainFinished = retrain.done >= targets.length;
      if (Date.now() - lastProgress >= 10_000) {
        lastProgress = Date.now();
        const rate = (counting.all - lastAll) / 10;
        lastAll = counting.all;
        log(`  run ${(elapsed / 1000).toFixed(0)} s: plan-queue jobs ${rate.toFixed(1)}/s (needed ${((targets.length * 2) / 15).toFixed(1)}/s); due in window: plan ticks ${planLags().length} (p50 ${fmt(quantile(planLags(), 0.5))} s, p99 ${fmt(quantile(planLags(), 0.99))} s), reactive ${reactiveLags().length}, forecasts ${forecastLags().length}, retrained ${retrain.done}/${targets.length}, load ${loadavg()[0]!.toFixed(2)}`);
      }
      if ((elapsed >= options.durationMs && retrainFinished) || elapsed >= options.maxDurationMs) break;
    }
    const windowEnd = Date.now();
    tracker.sample();
    const redisDelta = delta(await commandStats(redis), redisBefore);
    const influxDelta = delta(counter.counts(), influxBefore);
    counting.on = false;
    const seconds = (windowEnd - cpuStart) / 1000;
    const planTicks = planLags().length + reactiveLags().length;
    const countedTicks = counting.planJobs;
    const rounds = seconds / (PLAN_MS / 1000);
    const redisTotal = [...redisDelta].filter(([k]) => !BENCH_COMMANDS.has(k)).reduce((a, [, v]) => a + v, 0);
    const planInflux = [...influxDelta].filter(([k]) => k === 'query latest fleet_load' || k === 'query other prescale_forecast' || k === 'write prescale_decision').reduce((a, [, v]) => a + v, 0);
    const influxTotal = [...influxDelta].reduce((a, [, v]) => a + v, 0);
    const procReport = tracker.report(seconds);
    const workerStats = procReport.filter((p) => p.name.startsWith('worker-'));
    const find = (name: string) => procReport.find((p) => p.name === name)!;
    const windowDue = dueTicks(table, windowStart, windowEnd);
    const load = loadavg().map((v) => v.toFixed(2)).join(' ');
    const result: RunResult = {
      targets: targets.length,
      workers,
      planLagP50: quantile([...planLags(), ...reactiveLags()], 0.5),
      planLagP99: quantile([...planLags(), ...reactiveLags()], 0.99),
      planLagMax: Math.max(...planLags(), ...reactiveLags()),
      reactiveLagP99: quantile(reactiveLags(), 0.99),
      ticksDone: planTicks,
      ticksDue: windowDue,
      forecastLagP50: quantile(forecastLags(), 0.5),
      forecastLagP99: quantile(forecastLags(), 0.99),
      coldTrainS,
      retrainAllS: retrain.done >= targets.length ? (retrain.lastDone - retrain.firstDue) / 1000 : NaN,
      retrainDone: retrain.done,
      influxPerPlanTick: countedTicks > 0 ? planInflux / countedTicks : NaN,
      influxPerRound: influxTotal / rounds,
      redisPerPlanTick: countedTicks > 0 ? redisTotal / countedTicks : NaN,
      redisPerRound: redisTotal / rounds,
      workerCores: workerStats.map((w) => w.cores),
      workerRssMiB: workerStats.map((w) => w.rssMaxMiB),
      redisCores: find('redis-server').cores,
      influxCores: find('influxd').cores,
      redisRssMiB: find('redis-server').rssMaxMiB,
      influxRssMiB: find('influxd').rssMaxMiB,
      load,
      planOnly,
      topRedis: [...redisDelta].filter(([k]) => !BENCH_COMMANDS.has(k)).sort((a, b) => b[1] - a[1]).slice(0, 6).map(([k, v]) => `${k} ${fmt(v / Math.max(1, countedTicks))}`).join(', '),
      influxKinds: [...influxDelta].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${fmt(v / rounds, 1)}`).join(', '),
    };
    if (planFailed > 0) log(`  ${planFailed} plan jobs failed: see ${dir}/worker-*.log`);
    log(`  done: plan lag p50 ${fmt(result.planLagP50)} s p99 ${fmt(result.planLagP99)} s max ${fmt(result.planLagMax)} s, ticks ${planTicks}/${windowDue} due, retrain ${fmt(result.retrainAllS, 0)} s, load ${load}`);
    log(`  redis per plan tick (top): ${result.topRedis}`);
    log(`  influx per 15 s round: ${result.influxKinds}`);
    return result;
  } finally {
    clearInterval(liveTimer);
    clearInterval(sampler);
    await Promise.all(procs.map((p) => p.stop()));
    await Promise.all(Object.values(events).map((e) => e.close()));
    await queues.close();
    await liveStore.close();
    await redis.quit();
  }
}

function printTable(results: RunResult[]): void {
  const po = (r: RunResult) => r.planOnly;
  console.log('');
  console.log('Plan only (plan and reactive schedulers, no training or forecasting):');
  const poHeader = ['targets', 'workers', 'plan lag p50 s', 'p99 s', 'ticks done/due', 'plan-queue jobs/s (needed)', 'main-thread CPU ms/tick', 'influx req/tick', 'redis cmd/tick', 'load avg'];
  console.log(`| ${poHeader.join(' | ')} |`);
  console.log(`| ${poHeader.map(() => '---').join(' | ')} |`);
  for (const r of results) {
    const p = po(r);
    if (!p) continue;
    console.log(`| ${[String(r.targets), String(r.workers), fmt(p.lagP50), fmt(p.lagP99), `${p.ticksDone}/${p.ticksDue}`, `${fmt(p.ticksPerS, 1)} (${fmt((r.targets * 2) / 15, 1)})`, fmt(p.mainCpuMsPerTick), fmt(p.influxPerTick), fmt(p.redisPerTick, 1), p.load].join(' | ')} |`);
  }
  console.log('');
  console.log('Full schedule (train 6 h: all retrain at start; forecast 1 m; plan and reactive 15 s; accuracy 5 m):');
  const header = ['targets', 'workers', 'plan lag p50 s', 'p99 s', 'max s', 'ticks done/due', 'forecast lag p50/p99 s', 'train alone s (targets/min)', 'retrain all under load s', 'influx req/plan tick', 'influx req/15 s', 'redis cmd/plan tick', 'redis cmd/15 s', 'worker CPU cores', 'worker RSS MiB', 'redis CPU/RSS', 'influxd CPU/RSS', 'load avg'];
  const rows = results.map((r) => [
    String(r.targets),
    String(r.workers),
    fmt(r.planLagP50),
    fmt(r.planLagP99),
    fmt(r.planLagMax),
    `${r.ticksDone}/${r.ticksDue}`,
    `${fmt(r.forecastLagP50)}/${fmt(r.forecastLagP99)}`,
    `${fmt(r.coldTrainS, 0)} (${fmt((r.targets / r.coldTrainS) * 60, 0)})`,
    Number.isFinite(r.retrainAllS) ? fmt(r.retrainAllS, 0) : `unfinished ${r.retrainDone}/${r.targets}`,
    fmt(r.influxPerPlanTick),
    fmt(r.influxPerRound, 0),
    fmt(r.redisPerPlanTick, 1),
    fmt(r.redisPerRound, 0),
    r.workerCores.map((c) => fmt(c)).join(' '),
    r.workerRssMiB.map((m) => fmt(m, 0)).join(' '),
    `${fmt(r.redisCores)}/${fmt(r.redisRssMiB, 0)}`,
    `${fmt(r.influxCores)}/${fmt(r.influxRssMiB, 0)}`,
    r.load,
  ]);
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  console.log(line(header));
  console.log(line(header.map(() => '---')));
  for (const row of rows) console.log(line(row));
  console.log('');
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  log(`bench:fleet targets ${args.targets.join(',')} x workers ${args.workers.join(',')}, run ${args.durationMs / 1000} s (max ${args.maxDurationMs / 1000} s), ${args.backfillDays} days of history; load average ${loadavg().map((v) => v.toFixed(2)).join(' ')}`);
  const services = await startFleetServices();
  const counter = await startInfluxCounter(services.influxUrl);
  const results: RunResult[] = [];
  let stopping = false;
  const onSignal = () => {
    if (stopping) return;
    stopping = true;
    log('interrupted: stopping the bench services');
    void Promise.all([...liveWorkers].map((w) => w.stop()))
      .then(() => Promise.race([counter.close(), new Promise((r) => setTimeout(r, 2_000))]))
      .then(() => services.stop())
      .finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    for (const n of args.targets) {
      const targets = fleetTargets(n);
      const database = `prescale_fleet_${n}`;
      const admin = createInfluxV1Store({ url: services.influxUrl, database });
      await admin.ensureReady();
      const now = Date.now();
      await backfill(admin, targets, Math.floor(now / STEP_MS) * STEP_MS - args.backfillDays * 86_400_000, now);
      try {
        for (const w of args.workers) results.push(await runOnce(services, counter, database, targets, w, args));
      } finally {
        await fetch(`${services.influxUrl}/query`, { method: 'POST', body: new URLSearchParams({ q: `DROP DATABASE "${database}"` }) });
        await admin.close();
      }
    }
  } finally {
    await counter.close();
    await services.stop();
  }
  printTable(results);
  for (const r of results) {
    console.log(`fleet: targets=${r.targets} workers=${r.workers} plan_lag_p50_s=${fmt(r.planLagP50)} plan_lag_p99_s=${fmt(r.planLagP99)} retrain_all_s=${fmt(r.retrainAllS, 0)} rss_max_mib=${fmt(Math.max(...r.workerRssMiB), 0)}`);
  }
}

main().catch((error: unknown) => {
  console.error(`bench:fleet failed: ${(error as Error).stack ?? String(error)}`);
  process.exit(1);
});
