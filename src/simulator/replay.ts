/**
 * The replay engine: steps a demand trace through the simulated cluster in 15 s ticks on a ReplayClock,
 * with one scaling policy acting at every tick, and records one row per minute.
 *
 * Every policy starts from the same warm cluster: enough Ready replicas for the first demand at the target
 * utilisation, and the nodes they need. Pods request 1 CPU and 1 GiB; nodes offer 8 CPU and 32 GiB, minus
 * the daemon overhead (0.1 CPU, 128 MiB): 7 pods a node.
 */
import { ReplayClock } from '../core/clock.js';
import { InputError } from '../core/errors.js';
import { SimulatedCluster, type Resources } from '../cluster/simulated-cluster.js';
import type { WorkloadRef } from '../cluster/cluster.js';
import type { ObservedSample, ScalingPolicy, SimEnv, SimulationSettings } from './environment.js';
import { HpaPolicy } from './hpa-policy.js';
import { OraclePolicy } from './oracle.js';
import { PrescalePolicy, type ForecastSource, type PlanTick } from './prescale-policy.js';
import { budgetReport, type ErrorBudgetConfigInput } from '../scaling/error-budget.js';
import type { ForecastFeedOptions } from './forecast-feed.js';
import { demandAt, type DemandTrace } from './trace.js';

export const POLICY_NAMES = ['prescale', 'hpa', 'oracle'] as const;
export type PolicyName = (typeof POLICY_NAMES)[number];

export const DEFAULT_POD_REQUESTS: Resources = { cpu: 1, memoryMiB: 1024 };
export const DEFAULT_NODE_ALLOCATABLE: Resources = { cpu: 8, memoryMiB: 32_768 };
export const DEFAULT_DAEMON_OVERHEAD: Resources = { cpu: 0.1, memoryMiB: 128 };
export const DEFAULT_TICK_MS = 15_000;
export const DEFAULT_METRIC_LAG_MS = 30_000;
const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;

export interface SimulationRow {
  /** Epoch ms of the minute. */
  timestamp: number;
  policy: string;
  demand: number;
  desiredReplicas: number;
  readyReplicas: number;
  /** capacityPerReplica x Ready replicas. */
  capacity: number;
  /** Nodes asked for (Ready or provisioning). */
  nodes: number;
  mode: string;
}

export interface SimulationOptions {
  trace: DemandTrace;
  capacityPerReplica: number;
  targetUtilization?: number;
  podStartupMs?: number;
  nodeStartupMs?: number;
  tickMs?: number;
  metricLagMs?: number;
  minReplicas?: number;
  maxReplicas?: number;
  /** Replay only [fromMs, toMs) of the trace (the forecaster still sees nothing after now). */
  fromMs?: number;
  toMs?: number;
  /** For the prescale policy: the planner (default: the scaling engine's planTick) and the feed's settings. */
  planTick?: PlanTick;
  /** For the prescale policy: the forecast quantile the planner sizes for (target.quantile), percent. Default: the config default (98). */
  quantile?: number;
  /** For the prescale policy: how often its planning loop runs, ms (default PLAN_EVERY_MS). */
  planEveryMs?: number;
  /**
   * For the prescale policy: the error budget (share of minutes allowed short of capacity) its controller
   * spends; ignored when `quantile` is set (the expert override).
   */
  underProvisionedBudget?: number;
  /** For the prescale policy: the error-budget controller's other settings. */
  budgetOptions?: Omit<ErrorBudgetConfigInput, 'budget'>;
  /** For the prescale policy: a shared forecast source (see PrescalePolicyOptions.forecasts). */
  forecasts?: ForecastSource;
  feed?: Partial<ForecastFeedOptions>;
  /** Called every simulated day with the fraction done. */
  onProgress?: (fraction: number) => void;
  /**
   * Stops the replay (it rejects with the signal's reason) when aborted, e.g. AbortSignal.timeout for a time
   * budget. When set, the replay also yields to the event loop every simulated hour, so a job worker running
   * it keeps renewing its lock and serving its other queues.
   */
  signal?: AbortSignal;
}

export interface SimulationResult {
  policy: PolicyName;
  rows: SimulationRow[];
  /** Notes such as which planner ran and how long training took. */
  notes: string[];
}

export function resolveSettings(options: SimulationOptions): SimulationSettings {
  const settings: SimulationSettings = {
    capacityPerReplica: options.capacityPerReplica,
    targetUtilization: options.targetUtilization ?? 0.8,
    podStartupMs: options.podStartupMs ?? 90_000,
    nodeStartupMs: options.nodeStartupMs ?? 210_000,
    tickMs: options.tickMs ?? DEFAULT_TICK_MS,
    metricLagMs: options.metricLagMs ?? DEFAULT_METRIC_LAG_MS,
    minReplicas: options.minReplicas ?? 1,
    maxReplicas: options.maxReplicas ?? 10_000,
  };
  if (!(settings.capacityPerReplica > 0)) throw new InputError(`must be > 0, got ${settings.capacityPerReplica}`, '--capacity-per-replica');
  if (!(settings.targetUtilization > 0 && settings.targetUtilization <= 1)) throw new InputError(`must be in (0, 1], got ${settings.targetUtilization}`, '--target-utilization');
  if (!(settings.podStartupMs >= 0)) throw new InputError(`must be >= 0, got ${settings.podStartupMs}`, '--pod-startup');
  if (!(settings.nodeStartupMs >= 0)) throw new InputError(`must be >= 0, got ${settings.nodeStartupMs}`, '--node-startup');
  return settings;
}

/** Replays the trace under one policy. */
export async function simulate(policyName: PolicyName, options: SimulationOptions): Promise<SimulationResult> {
  const settings = resolveSettings(options);
  const { trace } = options;
  const tick = settings.tickMs;
  const startMs = Math.ceil(Math.max(trace.times[0]!, options.fromMs ?? -Infinity) / tick) * tick;
  const endMs = Math.min(trace.endMs, options.toMs ?? Infinity);
  if (endMs <= startMs) throw new InputError(`nothing to replay between ${new Date(startMs).toISOString()} and ${new Date(endMs).toISOString()}`, trace.source);

  const clock = new ReplayClock(startMs);
  const ref: WorkloadRef = { namespace: 'default', name: 'simulated', kind: 'Deployment' };
  const pool = 'simulated-pool';
  const firstDemand = demandAt(trace, startMs);
  const initialReplicas = Math.min(settings.maxReplicas, Math.max(settings.minReplicas, Math.ceil(firstDemand / (settings.capacityPerReplica * settings.targetUtilization) - 1e-9)));
  const free = { cpu: DEFAULT_NODE_ALLOCATABLE.cpu - DEFAULT_DAEMON_OVERHEAD.cpu, memoryMiB: DEFAULT_NODE_ALLOCATABLE.memoryMiB - DEFAULT_DAEMON_OVERHEAD.memoryMiB };
  const podsPerNode = Math.floor(Math.min(free.cpu / DEFAULT_POD_REQUESTS.cpu, free.memoryMiB / DEFAULT_POD_REQUESTS.memoryMiB));
  const cluster = new SimulatedCluster(clock, {
    nodePools: [
      {
        name: pool,
        allocatable: DEFAULT_NODE_ALLOCATABLE,
        daemonOverhead: DEFAULT_DAEMON_OVERHEAD,
        provisioningMs: settings.nodeStartupMs,
        minNodes: 0,
        maxNodes: 10_000,
        initialNodes: Math.ceil(initialReplicas / podsPerNode),
      },
    ],
    workloads: [{ ref, podStartupMs: settings.podStartupMs, nodePool: pool, podRequests: DEFAULT_POD_REQUESTS, initialReplicas }],
  });

  // The metrics pipeline: what was true `metricLagMs` ago.
  const history: ObservedSample[] = [];
  const env: SimEnv = {
    cluster,
    ref,
    pool,
    trace,
    settings,
    startMs,
    observed(now: number): ObservedSample {
      const wanted = now - settings.metricLagMs;
      for (let i = history.length - 1; i >= 0; i--) if (history[i]!.time <= wanted) return history[i]!;
      return history[0] ?? { time: now, demand: demandAt(trace, now), readyReplicas: initialReplicas };
    },
  };

  const notes: string[] = [];
  let policy: ScalingPolicy;
  let prescale: PrescalePolicy | null = null;
  if (policyName === 'hpa') policy = new HpaPolicy(env);
  else if (policyName === 'oracle') policy = new OraclePolicy(env);
  else {
    prescale = new PrescalePolicy(env, {
      ...(options.planTick ? { planTick: options.planTick } : {}),
      ...(options.feed ? { feed: options.feed } : {}),
      ...(options.quantile !== undefined ? { quantile: options.quantile } : {}),
      ...(options.planEveryMs !== undefined ? { planEveryMs: options.planEveryMs } : {}),
      ...(options.underProvisionedBudget !== undefined ? { underProvisionedBudget: options.underProvisionedBudget } : {}),
      ...(options.budgetOptions ? { budgetOptions: options.budgetOptions } : {}),
      ...(options.forecasts ? { forecasts: options.forecasts } : {}),
    });
    policy = prescale;
  }

  const rows: SimulationRow[] = [];
  let mode = policyName === 'hpa' ? 'reactive' : policyName === 'oracle' ? 'oracle' : 'learning';
  const keepHistory = Math.ceil(settings.metricLagMs / tick) + 2;
  const dayMs = 86_400_000;
  let nextProgress = startMs + dayMs;
  let nextYield = startMs + HOUR_MS;
  options.signal?.throwIfAborted();
  for (let t = startMs; t < endMs; t += tick) {
    if (options.signal && t >= nextYield) {
      await new Promise((resolve) => setImmediate(resolve));
      options.signal.throwIfAborted();
      nextYield += HOUR_MS;
    }
    clock.advanceTo(t);
    const demand = demandAt(trace, t);
    const w = cluster.inspectWorkload(ref);
    history.push({ time: t, demand, readyReplicas: w.readyReplicas });
    if (history.length > keepHistory) history.shift();
    if (t % MINUTE_MS === 0) {
      rows.push({
        timestamp: t,
        policy: policyName,
        demand,
        desiredReplicas: w.desiredReplicas,
        readyReplicas: w.readyReplicas,
        capacity: w.readyReplicas * settings.capacityPerReplica,
        nodes: cluster.inspectNodePool(pool).desiredNodes,
        mode,
      });
    }
    const next = policy.tick(t);
    mode = typeof next === 'string' ? next : await next;
    if (options.onProgress && t >= nextProgress) {
      options.onProgress((t - startMs) / (endMs - startMs));
      nextProgress += dayMs;
    }
  }
  if (prescale) {
    notes.push(`model trainings: ${prescale.feed.trainings} (${(prescale.feed.trainingWallMs / 1000).toFixed(1)} s wall)`);
    if (prescale.budget && prescale.budgetState) {
      const r = budgetReport(prescale.budgetState, prescale.budget, endMs);
      notes.push(`error budget ${fmtShare(r.budget)} of minutes: last ${Math.round(r.windowMs / 86_400_000)} d spent ${fmtShare(r.spentShare)} (${r.spentMinutes.toFixed(1)} of ${r.allowedMinutes.toFixed(1)} min), multiplier x${r.multiplier.toFixed(2)}`);
    }
  }
  return { policy: policyName, rows, notes };
}

/** A share of minutes as a percentage with enough digits for small budgets (0.0001 -> 0.01%). */
function fmtShare(share: number): string {
  return `${Number((share * 100).toPrecision(2))}%`;
}
