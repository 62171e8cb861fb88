import type { Logger } from '../src/core/logger.js';
import type { Clock } from '../src/core/clock.js';
import type { PrescaleConfig } from '../src/config/schema.js';
import type { MetricsStore, MetricPoint } from '../src/metrics/metrics-store.js';
import type { StateStore } from '../src/state/state-store.js';
import type { ClusterActuator, LeadTimeObserver } from '../src/cluster/cluster.js';
import type { CalendarEntry } from '../src/scaling/calendar.js';
import type { FetchLike } from '../src/scaling/self-healing.js';
import type { PublishedPlanStore } from '../src/publish/published-plan-store.js';
import type { EventCounters } from '../src/observability/event-counters.js';
import type { JobStatsStore } from '../src/observability/job-stats.js';
import type { ModelArtefact, FittedModel, Forecaster, RegularSeries, FitOptions, LoadOptions } from '../src/forecasting/forecaster.js';
import type { WhatIfCache } from '../src/what-if/what-if-cache.js';
import type { LastKnownStore } from '../src/state/last-known.js';
import type { AppliedTicks } from '../src/state/applied-ticks.js';
import type { SubjectFence } from '../src/cluster/fenced-cluster.js';
import type { PlanSubject } from '../src/kube/plan-shards.js';

/** Where fitted models live between the train job and the forecast job (models/ folder by default). */
export interface ModelRepository {
  /** Stores a new version; it becomes current unless it is worse than the current one (then `reason`). `card`: extra model-card text. */
  saveVersion(target: string, artefact: ModelArtefact, options?: { card?: string }): Promise<{ version: number; promoted: boolean; reason?: string }>;
  /** The newest loadable version (falling back to the last good one), or null; `skipped`: newer versions that did not load, and why. */
  load(target: string, options?: LoadOptions): Promise<{ version: number; model: FittedModel; skipped?: { version: number; reason: string }[] } | null>;
  /**
   * The promoted version as stored now (current.json), read on every forecast run so that a promotion or a
   * rollback is picked up without a restart. Absent (in-memory fakes): the train job's ModelInfo.version.
   */
  currentVersion?(target: string): number | undefined;
}

/** The result of champion selection, as the train job stores it. */
export interface TrainedChampion {
  model: FittedModel;
  kind: string;
  scores: Record<string, Record<string, number>>;
  backtestMase?: number;
  naiveMase?: number;
  notes: string[];
}

/** Everything a job processor may touch. Only src/main.ts (or the demo/tests) builds one. */
export interface JobDeps {
  config: PrescaleConfig;
  clock: Clock;
  logger: Logger;
  store: MetricsStore;
  state: StateStore;
  cluster: ClusterActuator;
  models: ModelRepository;
  /** Fits the champion for a series (backtest-based selection). */
  train: (series: RegularSeries, options: FitOptions & { target: string; preferred: string }) => Promise<TrainedChampion>;
  /**
   * The LSTM the deep job trains (jobs/processors/train-deep.ts). Default: the registered one (DEFAULT_LSTM_CONFIG);
   * tests pass a tiny network.
   */
  lstm?: Forecaster;
  /** Calendar entries (known events) for a target, from the shared calendar store. */
  calendarEntries: (target: string) => Promise<CalendarEntry[]>;
  /** Live metrics to write at `at` (metrics.k8s.io in a cluster, the replayed trace in the demo). */
  collect: (at: number) => Promise<MetricPoint[]>;
  /**
   * Whether this process may change the cluster (holds the Lease, renewed within the renew deadline by the
   * monotonic clock; computed on every call). Others plan and record only. Each apply is fenced again right
   * before it is sent (src/cluster/fenced-cluster.ts). With plan shards, the Lease of the subject's shard
   * (src/kube/plan-shards.ts); callers always name the subject.
   */
  isLeader: (subject: PlanSubject) => boolean;
  /**
   * The Lease fence (the local bound plus the Lease read back; LeaderElector.fence), asked right before a write
   * to shared state that acts on the cluster without a patch: the hpa/keda publish. Absent: one process, always
   * its own leader (the simulated cluster). With plan shards, the Lease of the subject's shard.
   */
  fence?: SubjectFence;
  /** Which process applied which plan tick (at most once per tick; jobs/apply-once.ts). */
  appliedTicks?: AppliedTicks;
  /** Measured lead times (pod created -> Ready, node created -> Ready); configured values until enough exist. */
  leadTimes?: LeadTimeObserver;
  /** Where each tick's planned replicas and predicted load are published for the API replicas (external metric, KEDA, /metrics). */
  published?: PublishedPlanStore;
  /** Shared counters of scaling events (reactive triggers, plans above maxReplicas), read by /metrics. */
  events?: EventCounters;
  /** Where workers record job durations and failures, read by /metrics. */
  jobStats?: JobStatsStore;
  /** HTTP for service checks (default global fetch). */
  fetch?: FetchLike;
  /** The last live load and forecast per target in Redis: the plan job's fallback while InfluxDB is away. */
  lastKnown?: LastKnownStore;
  /** Where what-if results go (Redis), and the wall-time budget of one run, ms (default WHAT_IF_BUDGET_MS). */
  whatIf?: { cache: WhatIfCache; budgetMs?: number };
}
