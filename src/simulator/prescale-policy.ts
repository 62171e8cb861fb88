/**
 * The `prescale` policy: the full engine walking forward in replayed time, seeing only what the service
 * would see. Every tick (15 s) the engine runs: as the planning loop every PLAN_EVERY_MS (the service's
 * default, 15 s) and as the reactive loop on the ticks between, both through the scaling engine's pure
 * planner on the forecasts of a ForecastFeed (retrained every 6 h on the history up to now). Nodes: the engine's node-pool plan (node-pool.ts, packing the replicas the planner expects within
 * the node lead window) is held as placeholder capacity that the Cluster Autoscaler model turns into nodes.
 *
 * Warm-up: until the feed has enough history for a model, Prescale has nothing to predict with and behaves
 * like the reactive HPA (mode "learning").
 *
 * Error budget: with `underProvisionedBudget` (and no `quantile`, the expert override) the error-budget
 * controller (scaling/error-budget.ts) sees every tick what the service would: whether the live load of the
 * metrics pipeline was above the capacity of the Ready replicas at the same moment, and sizes the planner
 * through TickInput.budget.
 */
import { nodePoolSchema, scheduleSchema, targetSchema, type NodePoolConfig, type TargetConfig } from '../config/schema.js';
import type { TickInput, TickResult, TargetScalingState } from '../scaling/engine.js';
import { ClusterAutoscalerModel } from './cluster-autoscaler.js';
import type { ScalingPolicy, SimEnv } from './environment.js';
import { ForecastFeed, type FeedView, type ForecastFeedOptions } from './forecast-feed.js';
import { errorBudgetConfig, headroomFor, initialBudgetState, observe, type ErrorBudgetConfig, type ErrorBudgetConfigInput, type ErrorBudgetState } from '../scaling/error-budget.js';
import { HpaController } from './hpa.js';
import { hpaObservation } from './hpa-policy.js';
import { planTick as enginePlanTick } from '../scaling/planner.js';
import { planNodePool, type NodePoolScalingState } from '../scaling/node-pool.js';
import { indexAt } from './trace.js';

export type PlanTick = (input: TickInput) => TickResult;

/** The service's default schedule: planning interval and forecast period. */
const SERVICE_SCHEDULE = scheduleSchema.parse({});
const PLAN_EVERY_MS = SERVICE_SCHEDULE.plan;
const FORECAST_EVERY_MS = SERVICE_SCHEDULE.forecast;
/** How far back the "recent peak" reaches that caps an exploding forecast. */
const RECENT_PEAK_MS = 7 * 86_400_000;

export interface PrescalePolicyOptions {
  /** The planner; default the scaling engine's `planTick`. */
  planTick?: PlanTick;
  feed?: Partial<ForecastFeedOptions>;
  /** target.quantile, percent (default the config default, 98). */
  quantile?: number;
  /** How often the planning loop runs, ms (default PLAN_EVERY_MS); the reactive loop runs on every tick. */
  planEveryMs?: number;
  /** Share of minutes allowed short of capacity: the error-budget controller sizes the planner. Ignored when `quantile` is set. */
  underProvisionedBudget?: number;
  /** The controller's other settings (window, bounds, gains); default error-budget.ts's. */
  budgetOptions?: Omit<ErrorBudgetConfigInput, 'budget'>;
  /**
   * Where forecasts come from; default a new ForecastFeed on the trace. A benchmark sweeping one trace passes
   * one memoised source to every run (the forecasts do not depend on what the policy does).
   */
  forecasts?: ForecastSource;
}

/** A ForecastFeed or anything that answers the same way (e.g. a memo of one). */
export interface ForecastSource {
  at(now: number): Promise<FeedView>;
  readonly trainings: number;
  readonly trainingWallMs: number;
}

export class PrescalePolicy implements ScalingPolicy {
  readonly name = 'prescale';
  readonly feed: ForecastSource;
  /** The error-budget controller's settings and state (null: sized at the fixed quantile). */
  readonly budget: ErrorBudgetConfig | null;
  budgetState: ErrorBudgetState | null = null;
  private readonly target: TargetConfig;
  private readonly nodePool: NodePoolConfig;
  private readonly hpa: HpaController;
  private readonly autoscaler: ClusterAutoscalerModel;
  private state: TargetScalingState | null = null;
  private view: FeedView | null = null;
  private lastPlan = -Infinity;
  private floorNodes = 0;
  private nodeState: NodePoolScalingState | null = null;
  private readonly planTick: PlanTick;
  private peakCache = { index: -2, peak: 0 };
  private readonly planEveryMs: number;

  constructor(
    private readonly env: SimEnv,
    options: PrescalePolicyOptions = {},
  ) {
    this.planTick = options.planTick ?? enginePlanTick;
    this.planEveryMs = options.planEveryMs ?? PLAN_EVERY_MS;
    const s = env.settings;
    const spec = env.cluster.workloadSpec(env.ref);
    const poolSpec = env.cluster.nodePoolSpec(env.pool);
    this.target = targetSchema.parse({
      name: env.ref.name,
      namespace: env.ref.namespace,
      load: { measurement: 'simulated', field: 'load' },
      capacityPerReplica: s.capacityPerReplica,
      targetUtilization: s.targetUtilization,
      minReplicas: s.minReplicas,
      maxReplicas: s.maxReplicas,
      podStartup: `${s.podStartupMs}ms`,
      nodePool: env.pool,
      podRequests: spec.podRequests,
      ...(options.quantile !== undefined ? { quantile: options.quantile } : {}),
    });
    this.budget = options.underProvisionedBudget !== undefined && options.quantile === undefined ? errorBudgetConfig({ ...options.budgetOptions, budget: options.underProvisionedBudget }) : null;
    this.nodePool = nodePoolSchema.parse({
      name: env.pool,
      allocatable: poolSpec.allocatable,
      daemonOverhead: poolSpec.daemonOverhead,
      provisioning: `${s.nodeStartupMs}ms`,
      minNodes: poolSpec.minNodes ?? 0,
      maxNodes: poolSpec.maxNodes ?? 10_000,
    });
    this.feed = options.forecasts ?? new ForecastFeed(env.trace, forecastFeedOptions(env, options.feed));
    this.hpa = new HpaController({ minReplicas: s.minReplicas, maxReplicas: s.maxReplicas, targetAverageValue: s.targetUtilization * s.capacityPerReplica });
    this.autoscaler = new ClusterAutoscalerModel(env.cluster, env.pool);
  }

  async tick(now: number): Promise<string> {
    const { cluster, ref, settings: s } = this.env;
    const planning = now - this.lastPlan >= this.planEveryMs;
    if (planning || this.view === null) this.view = await this.feed.at(now);
    const current = cluster.inspectWorkload(ref).desiredReplicas;
    let desired: number;
    let mode: string;
    if (this.view.forecast === null) {
      desired = this.hpa.sync(hpaObservation(this.env, now)).desiredReplicas;
      mode = 'learning';
      this.floorNodes = 0;
    } else {
      const seen = this.env.observed(now);
      const w = cluster.inspectWorkload(ref);
      const budget = this.budget ? this.observeBudget(now, seen) : null;
      const input: TickInput = {
        now,
        target: this.target,
        nodePool: this.nodePool,
        workload: { desiredReplicas: w.desiredReplicas, readyReplicas: w.readyReplicas, rolloutInProgress: w.rolloutInProgress },
        forecast: this.view.forecast,
        live: { load: seen.demand, at: seen.time },
        calendar: [],
        model: this.view.health,
        podLeadMs: s.podStartupMs,
        state: this.state,
        loop: planning ? 'plan' : 'reactive',
        planIntervalMs: this.planEveryMs,
        nodeLeadMs: s.nodeStartupMs,
        recentPeakLoad: this.recentPeak(seen.time),
        ...(budget ? { budget } : {}),
      };
      const result = this.planTick(input);
      this.state = result.state;
      desired = result.desiredReplicas;
      mode = result.decision.mode;
      if (planning) this.floorNodes = this.plannedNodes(now, result);
    }
    if (planning) this.lastPlan = now;
    if (desired !== current) cluster.setReplicas(ref, desired);
    this.autoscaler.scan(now, this.floorNodes);
    return mode;
  }

  /**
   * Feeds the controller the tick the metrics pipeline shows (live load against the Ready replicas of the same
   * moment, one tick of minutes) and returns its sizing for now.
   */
  private observeBudget(now: number, seen: { time: number; demand: number; readyReplicas: number }) {
    const config = this.budget!;
    const minutes = this.env.settings.tickMs / 60_000;
    this.budgetState ??= initialBudgetState(config, seen.time - 1);
    const short = seen.demand > seen.readyReplicas * this.env.settings.capacityPerReplica;
    this.budgetState = observe(this.budgetState, config, { at: seen.time, minutes, shortMinutes: short ? minutes : 0 });
    return headroomFor(this.budgetState, config, { at: now });
  }

  /** Highest demand the metrics showed over the last 7 days up to `t` (caps an exploding forecast). */
  private recentPeak(t: number): number {
    const { trace } = this.env;
    const last = indexAt(trace, t);
    if (last !== this.peakCache.index) {
      let peak = 0;
      for (let i = last; i >= 0 && trace.times[i]! > t - RECENT_PEAK_MS; i--) peak = Math.max(peak, trace.values[i]!);
      this.peakCache = { index: last, peak };
    }
    return this.peakCache.peak;
  }

  /** Nodes to hold ahead: the engine's node-pool plan for the replicas it expects within the node lead. */
  private plannedNodes(now: number, result: TickResult): number {
    const { cluster, pool, settings: s } = this.env;
    const snap = cluster.inspectNodePool(pool);
    const plan = planNodePool({
      now,
      pool: this.nodePool,
      cluster: { desiredNodes: snap.desiredNodes, readyNodes: snap.readyNodes, pendingPods: snap.pendingPods },
      demands: [{ workload: `${this.target.namespace}/${this.target.name}`, replicas: result.replicasAhead ?? result.desiredReplicas, requests: this.target.podRequests! }],
      nodeLeadMs: s.nodeStartupMs,
      intervalMs: this.planEveryMs,
      state: this.nodeState,
    });
    this.nodeState = plan.state;
    return plan.desiredNodes;
  }
}

/** The feed settings the policy uses for a replay of `env` (also for a benchmark's shared, memoised feed). */
export function forecastFeedOptions(env: Pick<SimEnv, 'settings' | 'trace'>, overrides: Partial<ForecastFeedOptions> = {}): ForecastFeedOptions {
  const s = env.settings;
  const horizonSteps = Math.ceil((s.nodeStartupMs + s.podStartupMs + 15 * 60_000) / env.trace.stepMs) + 2;
  // A step is known once its first sample is seen and the next forecast job (every FORECAST_EVERY_MS) ran.
  return { horizonSteps, knownAfterMs: s.metricLagMs + FORECAST_EVERY_MS, ...overrides };
}
