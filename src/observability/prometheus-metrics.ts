/**
 * Prescale's Prometheus metrics: one prom-client Registry per app instance (never the global one, so two apps
 * in one process or test never share series), filled at scrape time from shared state only, so every API
 * replica shows the same values:
 *  - per target, from the in-memory published plans (no I/O): predicted load, planned / desired / ready
 *    replicas, mode, plan and forecast age, the error budget (share, spent, left, window, multiplier);
 *    actuation from the config;
 *  - per target, slow-changing, from a snapshot kept for `slowTtlMs` and refreshed in the background while
 *    the previous one is served: champion and seasonal-naive backtest MASE and live accuracy (state), active
 *    calendar effects;
 *    per node pool: planned / desired / ready nodes (state and cluster);
 *  - per scrape, a few Redis round trips: scaling event counters (one HGETALL), job duration histograms and
 *    failures (one pipeline), waiting / active / delayed jobs (one getJobCounts per queue, sent together);
 *  - prom-client's default process metrics, prefixed `prescale_`.
 * A source that fails or takes longer than `timeoutMs` leaves its families out of that scrape and shows as
 * `prescale_metrics_source_up{source} 0`: a scrape never hangs on Redis or the Kubernetes API.
 *
 * Left out: per-decision series (the decision log has them), anything only one process knows.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { PrescaleConfig } from '../config/schema.js';
import { targetId } from '../config/targets.js';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { ClusterActuator, NodePoolState } from '../cluster/cluster.js';
import { ACTUATIONS, SCALING_MODES } from '../metrics/metrics-store.js';
import type { PublishedCache } from '../publish/published-cache.js';
import { calendarEffectsForTick, type CalendarEntry } from '../scaling/calendar.js';
import type { CalendarStore } from '../scaling/calendar-store.js';
import type { ModelInfo, StateStore } from '../state/state-store.js';
import type { LiveAccuracy } from '../accuracy/live-accuracy.js';
import { SCALING_EVENTS, type EventCounters } from './event-counters.js';
import { JOB_DURATION_BUCKETS_SECONDS, type JobStatsStore, type QueueJobStats } from './job-stats.js';
import { BucketedHistogram } from './shared-histogram.js';
import type { WriteBufferStatus } from '../metrics/write-behind-store.js';

/** Job states exposed per queue (BullMQ getJobCounts names). */
export const QUEUE_STATES = ['waiting', 'active', 'delayed'] as const;

/** Shared sources that live outside the app's own deps (Redis counters written by workers and the plan job). */
export interface OperationalSources {
  events: EventCounters;
  jobStats: JobStatsStore;
  /** BullMQ queues by name (QueueSet.queues), for job counts. */
  queues: Record<string, { getJobCounts(...types: string[]): Promise<Record<string, number>> }>;
}

export interface PrometheusDeps {
  config: PrescaleConfig;
  clock: Clock;
  logger: Logger;
  state: StateStore;
  cluster: ClusterActuator;
  calendar: CalendarStore;
  published: PublishedCache;
  operational?: OperationalSources;
  /** This process's metrics write buffer (src/metrics/write-behind-store.ts): its backlog and drops. */
  writeBuffer?: () => WriteBufferStatus;
}

export interface PrometheusOptions {
  /** How long the slow snapshot (models, pools, calendar) is served before a background refresh, ms. Default 15 s. */
  slowTtlMs?: number;
  /** Longest wait for one source per scrape, ms. Default 2 s (Prometheus' default scrape timeout is 10 s). */
  timeoutMs?: number;
  /** Wall time for the snapshot's age (default Date.now); metric values use deps.clock. */
  now?: () => number;
}

export interface PrometheusMetrics {
  readonly registry: Registry;
  readonly contentType: string;
  /** Reads the sources and renders the exposition text. */
  render(): Promise<string>;
}

export const DEFAULT_SLOW_TTL_MS = 15_000;
export const DEFAULT_SOURCE_TIMEOUT_MS = 2_000;

interface SlowSnapshot {
  models: Map<string, ModelInfo> | null;
  /** Live accuracy per target (the accuracy job, src/accuracy/live-accuracy.ts). */
  accuracy: Map<string, LiveAccuracy> | null;
  pools: Map<string, { planned: number | null; cluster: NodePoolState }> | null;
  calendar: CalendarEntry[] | null;
}

interface Outcome<T> {
  ok: boolean;
  value?: T;
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export function createPrometheusMetrics(deps: PrometheusDeps, options: PrometheusOptions = {}): PrometheusMetrics {
  const slowTtlMs = options.slowTtlMs ?? DEFAULT_SLOW_TTL_MS;
  const timeoutMs = options.timeoutMs ?? DEFAULT_SOURCE_TIMEOUT_MS;
  const wallNow = options.now ?? Date.now;
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'prescale_' });
  const registers = [registry];
  const targetLabels = ['namespace', 'target'] as const;

  const predictedLoad = new Gauge({
    name: 'prescale_predicted_load',
    help: 'Forecast load in the target\'s load units: quantile "50" is the median, the other the planning quantile (percent); horizon "now" at the plan tick, "lead" one pod start-up later',
    labelNames: [...targetLabels, 'quantile', 'horizon'],
    registers,
  });
  const plannedReplicas = new Gauge({ name: 'prescale_planned_replicas', help: 'Replicas the latest plan wants now (applied in direct mode, published in hpa/keda modes)', labelNames: targetLabels, registers });
  const desiredReplicas = new Gauge({ name: 'prescale_desired_replicas', help: 'The workload\'s spec.replicas as the latest plan tick saw it', labelNames: targetLabels, registers });
  const readyReplicas = new Gauge({ name: 'prescale_ready_replicas', help: 'Ready replicas as the latest plan tick saw them', labelNames: targetLabels, registers });
  const mode = new Gauge({ name: 'prescale_mode', help: 'The target\'s scaling mode: 1 for the current one, 0 for the others', labelNames: [...targetLabels, 'mode'], registers });
  const actuation = new Gauge({ name: 'prescale_actuation', help: 'Who writes the replicas (targets[].actuation): 1 for the configured one, 0 for the others', labelNames: [...targetLabels, 'actuation'], registers });
  const planAge = new Gauge({ name: 'prescale_plan_age_seconds', help: 'Seconds since the latest published plan tick', labelNames: targetLabels, registers });
  const forecastAge = new Gauge({ name: 'prescale_forecast_age_seconds', help: 'Seconds since the forecast the latest plan used was issued', labelNames: targetLabels, registers });
  const backtestMase = new Gauge({ name: 'prescale_model_backtest_mase', help: 'Backtest MASE of the champion model (lower is better; below the seasonal naive\'s means it beats the baseline)', labelNames: [...targetLabels, 'model'], registers });
  const naiveMase = new Gauge({ name: 'prescale_model_naive_mase', help: 'Backtest MASE of the seasonal naive baseline on the same folds', labelNames: targetLabels, registers });
  const liveMase = new Gauge({ name: 'prescale_live_mase', help: 'MASE of the forecasts as issued one pod lead ahead against actual load over the window (24h, 7d); scale: in-sample seasonal naive MAE of the history before the window', labelNames: [...targetLabels, 'window'], registers });
  const liveCoverage = new Gauge({ name: 'prescale_live_interval_coverage', help: 'Share of steps whose actual load lay inside the forecast interval (level 80 or 95 percent) as issued one pod lead ahead, over the window', labelNames: [...targetLabels, 'level', 'window'], registers });
  // The error budget from the published plan (absent where targets[].quantile overrides it).
  const budgetShare = new Gauge({ name: 'prescale_error_budget_ratio', help: 'targets[].underProvisionedBudget: the share of minutes the target may run short of capacity', labelNames: targetLabels, registers });
  const budgetSpent = new Gauge({ name: 'prescale_error_budget_spent_ratio', help: 'Share of the minutes observed in the budget window that ran short of capacity (live load above Ready capacity)', labelNames: targetLabels, registers });
  const budgetLeft = new Gauge({ name: 'prescale_error_budget_left_ratio', help: 'Error budget minus the share spent (negative once overspent)', labelNames: targetLabels, registers });
  const budgetWindow = new Gauge({ name: 'prescale_error_budget_window_seconds', help: 'targets[].budgetWindow: the window the budget is spent over', labelNames: targetLabels, registers });
  const budgetMultiplier = new Gauge({ name: 'prescale_error_budget_multiplier', help: 'The multiplier the error-budget controller sizes the forecast load with (1 = as forecast at the quantile)', labelNames: targetLabels, registers });
  const calendarEffects = new Gauge({ name: 'prescale_calendar_active_effects', help: 'Calendar entries acting on the target now (in effect, or raising capacity within one pod lead)', labelNames: targetLabels, registers });
  const reactiveTriggers = new Counter({ name: 'prescale_reactive_triggers_total', help: 'Ticks that saw a threshold breach (live load, CPU, SLO, the forecast\'s bound) and raised the replicas', labelNames: targetLabels, registers });
  const aboveMax = new Counter({ name: 'prescale_forecast_above_max_total', help: 'Plan ticks that wanted more replicas than targets[].maxReplicas', labelNames: targetLabels, registers });
  const poolPlanned = new Gauge({ name: 'prescale_nodepool_planned_nodes', help: 'Nodes the latest node-pool plan recommended (before scale-in stabilisation)', labelNames: ['pool'], registers });
  const poolDesired = new Gauge({ name: 'prescale_nodepool_desired_nodes', help: 'Nodes the pool is asked for now', labelNames: ['pool'], registers });
  const poolReady = new Gauge({ name: 'prescale_nodepool_ready_nodes', help: 'Ready nodes in the pool', labelNames: ['pool'], registers });
  const poolPending = new Gauge({ name: 'prescale_nodepool_pending_pods', help: 'Pods of the pool\'s workloads that no node has room for', labelNames: ['pool'], registers });
  const jobDuration = new BucketedHistogram<'queue'>({ name: 'prescale_job_duration_seconds', help: 'Duration of completed jobs per queue, seconds (recorded by every worker process)', labelNames: ['queue'], buckets: JOB_DURATION_BUCKETS_SECONDS, registers });
  const jobFailures = new Counter({ name: 'prescale_job_failures_total', help: 'Failed job attempts per queue (each failed retry counts)', labelNames: ['queue'], registers });
  const queueJobs = new Gauge({ name: 'prescale_queue_jobs', help: 'Jobs per queue and state (waiting, active, delayed)', labelNames: ['queue', 'state'], registers });
  if (deps.writeBuffer) {
    // Per process (each one buffers its own writes while InfluxDB is away); read at scrape time, no I/O.
    const buffer = deps.writeBuffer;
    new Gauge({ name: 'prescale_metrics_write_buffer_points', help: 'Points this process holds for InfluxDB because writes failed (retried until they go through)', registers, collect() { this.set(buffer().pendingPoints); } });
    new Counter({ name: 'prescale_metrics_write_dropped_points_total', help: 'Points this process dropped, oldest first, because the write buffer was full', registers, collect() { this.reset(); this.inc(buffer().droppedPoints); } });
  }
  const sourceUp = new Gauge({ name: 'prescale_metrics_source_up', help: 'Whether a metrics source answered for this scrape (1) or its families are missing (0)', labelNames: ['source'], registers });

  // The slow snapshot: served while a refresh runs in the background once it is older than slowTtlMs.
  let slow: { at: number; value: SlowSnapshot } | null = null;
  let slowInFlight: Promise<SlowSnapshot> | null = null;
  const attempt = async <T>(what: string, load: () => Promise<T>): Promise<T | null> => {
    try {
      return await withTimeout(load(), timeoutMs, what);
    } catch (error) {
      deps.logger.warn({ source: what, err: (error as Error).message }, 'metrics source failed');
      return null;
    }
  };
  const loadSlow = (): Promise<SlowSnapshot> => {
    slowInFlight ??= Promise.all([
      attempt('models', async () => new Map((await deps.state.listModelInfo()).map((m) => [m.target, m]))),
      attempt('pools', async () => {
        const pools = await Promise.all(
          deps.config.nodePools.map(async (p) => {
            const [state, cluster] = await Promise.all([deps.state.getPoolState(p.name), deps.cluster.getNodePool(p.name)]);
            return [p.name, { planned: state?.recommendations.at(-1)?.nodes ?? null, cluster }] as const;
          }),
        );
        return new Map(pools);
      }),
      attempt('calendar', () => deps.calendar.list()),
      attempt('accuracy', async () => new Map((await deps.state.listLiveAccuracy()).map((a) => [a.target, a]))),
    ])
      .then(([models, pools, calendar, accuracy]) => {
        const value = { models, pools, calendar, accuracy };
        slow = { at: wallNow(), value };
        return value;
      })
      .finally(() => {
        slowInFlight = null;
      });
    return slowInFlight;
  };
  const slowSnapshot = async (): Promise<SlowSnapshot> => {
    if (!slow) return loadSlow();
    if (wallNow() - slow.at >= slowTtlMs) void loadSlow();
    return slow.value;
  };

  const fast = async () => {
    const ops = deps.operational;
    if (!ops) return null;
    const queueNames = Object.keys(ops.queues);
    const outcome = async <T>(what: string, load: () => Promise<T>): Promise<Outcome<T>> => {
      const value = await attempt(what, load);
      return value === null ? { ok: false } : { ok: true, value };
    };
    const [events, jobs, counts] = await Promise.all([
      outcome('events', () => ops.events.all()),
      outcome('jobs', () => ops.jobStats.read(queueNames)),
      outcome('queues', async () => new Map(await Promise.all(queueNames.map(async (q) => [q, await ops.queues[q]!.getJobCounts(...QUEUE_STATES)] as const)))),
    ]);
    return { events, jobs, counts };
  };

  const populate = (snapshot: SlowSnapshot, shared: Awaited<ReturnType<typeof fast>>) => {
    const now = deps.clock.now();
    for (const metric of [predictedLoad, plannedReplicas, desiredReplicas, readyReplicas, mode, actuation, planAge, forecastAge, backtestMase, naiveMase, liveMase, liveCoverage, calendarEffects, budgetShare, budgetSpent, budgetLeft, budgetWindow, budgetMultiplier, poolPlanned, poolDesired, poolReady, poolPending, queueJobs, sourceUp]) metric.reset();
    for (const metric of [reactiveTriggers, aboveMax, jobFailures]) metric.reset();
    for (const target of deps.config.targets) {
      const id = targetId(target);
      const labels = { namespace: target.namespace, target: target.name };
      for (const a of ACTUATIONS) actuation.set({ ...labels, actuation: a }, a === target.actuation ? 1 : 0);
      const plan = deps.published.get(id);
      if (plan) {
        plannedReplicas.set(labels, plan.plannedReplicas);
        desiredReplicas.set(labels, plan.desiredReplicas);
        readyReplicas.set(labels, plan.readyReplicas);
        const modes = new Set<string>([...SCALING_MODES, plan.mode]);
        for (const m of modes) mode.set({ ...labels, mode: m }, m === plan.mode ? 1 : 0);
        planAge.set(labels, Math.max(0, (now - plan.at) / 1000));
        if (plan.forecastIssuedAt !== null) forecastAge.set(labels, Math.max(0, (now - plan.forecastIssuedAt) / 1000));
        for (const [horizon, load] of [['now', plan.predictedNow], ['lead', plan.predictedAhead]] as const) {
          if (!load) continue;
          predictedLoad.set({ ...labels, quantile: '50', horizon }, load.median);
          predictedLoad.set({ ...labels, quantile: String(plan.quantile), horizon }, load.quantile);
        }
        if (plan.budget) {
          budgetShare.set(labels, plan.budget.budget);
          budgetSpent.set(labels, plan.budget.spent);
          budgetLeft.set(labels, plan.budget.left);
          budgetWindow.set(labels, plan.budget.windowMs / 1000);
          budgetMultiplier.set(labels, plan.budget.multiplier);
        }
      }
      const model = snapshot.models?.get(id);
      if (model?.backtestMase !== undefined) backtestMase.set({ ...labels, model: model.kind }, model.backtestMase);
      if (model?.naiveMase !== undefined) naiveMase.set(labels, model.naiveMase);
      for (const [window, scores] of Object.entries(snapshot.accuracy?.get(id)?.windows ?? {})) {
        if (scores.mase !== null) liveMase.set({ ...labels, window }, scores.mase);
        if (scores.coverage80 !== null) liveCoverage.set({ ...labels, level: '80', window }, scores.coverage80);
        if (scores.coverage95 !== null) liveCoverage.set({ ...labels, level: '95', window }, scores.coverage95);
      }
      if (snapshot.calendar) calendarEffects.set(labels, calendarEffectsForTick(snapshot.calendar, id, now, plan?.podLeadMs ?? 0).length);
      const counts = shared?.events.value?.get(id);
      if (shared?.events.ok) {
        reactiveTriggers.inc(labels, counts?.[SCALING_EVENTS.reactiveTrigger] ?? 0);
        aboveMax.inc(labels, counts?.[SCALING_EVENTS.forecastAboveMax] ?? 0);
      }
    }
    for (const [pool, { planned, cluster }] of snapshot.pools ?? []) {
      if (planned !== null) poolPlanned.set({ pool }, planned);
      poolDesired.set({ pool }, cluster.desiredNodes);
      poolReady.set({ pool }, cluster.readyNodes);
      poolPending.set({ pool }, cluster.pendingPods);
    }
    const jobs: Map<string, QueueJobStats> = shared?.jobs.value ?? new Map();
    jobDuration.setSeries([...jobs].map(([queue, s]) => ({ labels: { queue }, buckets: s.buckets, sum: s.sumSeconds, count: s.count })));
    for (const [queue, s] of jobs) jobFailures.inc({ queue }, s.failures);
    for (const [queue, counts] of shared?.counts.value ?? []) for (const state of QUEUE_STATES) queueJobs.set({ queue, state }, counts[state] ?? 0);
    const up: Record<string, boolean | undefined> = {
      models: snapshot.models !== null,
      pools: snapshot.pools !== null,
      calendar: snapshot.calendar !== null,
      accuracy: snapshot.accuracy !== null,
      events: shared?.events.ok,
      jobs: shared?.jobs.ok,
      queues: shared?.counts.ok,
    };
    for (const [source, ok] of Object.entries(up)) if (ok !== undefined) sourceUp.set({ source }, ok ? 1 : 0);
  };

  return {
    registry,
    contentType: registry.contentType,
    async render() {
      const [snapshot, shared] = await Promise.all([slowSnapshot(), fast()]);
      // populate is synchronous: a concurrent scrape never sees half-reset families.
      populate(snapshot, shared);
      return registry.metrics();
    },
  };
}
