/**
 * The composition root's building blocks: from a validated config to the adapters every role uses. Only
 * main.ts, the demo and tests call these; everything else receives its dependencies.
 */
import { hostname } from 'node:os';
import type { PrescaleConfig } from './config/schema.js';
import { targetId } from './config/targets.js';
import type { Clock } from './core/clock.js';
import type { Logger } from './core/logger.js';
import { connectRedisClient, type RedisClient } from './core/redis.js';
import { candidatesFor, selectChampion } from './forecasting/champion.js';
import { createThreadedTrainer, threadable } from './forecasting/threaded-trainer.js';
import { createModelStore } from './forecasting/model-store.js';
import { createMetricsStore } from './metrics/create-store.js';
import type { MetricPoint } from './metrics/metrics-store.js';
import { createRedisStateStore, type StateStore } from './state/state-store.js';
import type { ClusterActuator, LeadTimeObserver } from './cluster/cluster.js';
import type { CalendarStore } from './scaling/calendar-store.js';
import { createRedisCalendarStore } from './scaling/redis-calendar-store.js';
import type { JobDeps } from '../jobs/deps.js';
import { createRedisPublishedPlanStore, type PublishedPlanStore } from './publish/published-plan-store.js';
import { createRedisWhatIfCache, type WhatIfCache } from './what-if/what-if-cache.js';
import { createRedisEventCounters, type EventCounters } from './observability/event-counters.js';
import { createRedisJobStatsStore, type JobStatsStore } from './observability/job-stats.js';
import { readyInBackground, type BackgroundReadiness } from './metrics/ready-in-background.js';
import { createWriteBehindStore, type WriteBehindStore } from './metrics/write-behind-store.js';
import { batchDecisionWrites } from './metrics/decision-batch.js';
import { createRedisLastKnownStore } from './state/last-known.js';
import { createReadinessCheck, type ReadinessReport } from './observability/readiness.js';
import { createRedisAppliedTicks } from './state/applied-ticks.js';
import type { SubjectFence } from './cluster/fenced-cluster.js';
import type { PlanSubject } from './kube/plan-shards.js';

export interface RuntimeOptions {
  clock: Clock;
  logger: Logger;
  cluster: ClusterActuator;
  /** Folder of model artefacts. Default models/local. */
  modelsDir: string;
  collect?: (at: number) => Promise<MetricPoint[]>;
  /** Default: the Redis calendar store under the configured prefix. */
  calendar?: CalendarStore;
  /** Whether this process holds the Lease of the subject's plan shard (src/kube/plan-shards.ts); absent: always. */
  isLeader?: (subject: PlanSubject) => boolean;
  /** The Lease fence for writes that are not patches (the hpa/keda publish), per subject; absent: always the leader. */
  fence?: SubjectFence;
  leadTimes?: LeadTimeObserver;
  /** Fit models on a worker thread when they can be (default true; src/forecasting/threaded-trainer.ts). */
  trainOnThread?: boolean;
  /** This process's identity in the applied-ticks record (the Lease holder identity); default hostname-pid. */
  identity?: string;
}

export interface Runtime {
  deps: JobDeps;
  calendar: CalendarStore;
  /** One redis-server or a Redis Cluster (config redis.cluster). */
  redis: RedisClient;
  /** The metrics store behind a write buffer: writes survive an InfluxDB outage (src/metrics/write-behind-store.ts). */
  store: WriteBehindStore;
  /** Redis and InfluxDB as this process sees them, for /readyz. */
  readiness: () => Promise<ReadinessReport>;
  state: StateStore;
  published: PublishedPlanStore;
  /** Finished what-if runs (the worker writes them, the API answers from them). */
  whatIfCache: WhatIfCache;
  /** Shared counters for /metrics: scaling events (the plan job) and job durations (every worker). */
  events: EventCounters;
  jobStats: JobStatsStore;
  /** Resolves once InfluxDB answered (at once unless the process started while it was down). */
  influxReachable: Promise<void>;
  close(): Promise<void>;
}

/** Connects to Redis (a clear error naming the address when it is down) and InfluxDB (down: starts degraded and retries; misconfigured: a clear error) and wires the deps. */
export async function createRuntime(config: PrescaleConfig, options: RuntimeOptions): Promise<Runtime> {
  const redis = await connectRedisClient(config.redis);
  redis.on('error', (error: Error) => options.logger.warn({ redis: config.redis.url.replace(/\/\/[^@]*@/, '//'), err: error.message }, 'redis connection problem; reconnecting'));
  const influx = createMetricsStore(config.influx, options.logger);
  let influxStartup: BackgroundReadiness;
  try {
    // Down: start degraded and keep trying; misconfigured (auth, missing bucket): fail now, naming it.
    influxStartup = await readyInBackground(influx, { logger: options.logger });
  } catch (error) {
    redis.disconnect();
    throw error;
  }
  const store = createWriteBehindStore(influx, { logger: options.logger });
  // Writes buffered during a degraded start go out as soon as InfluxDB answers (and has the database), not at the
  // buffer's next backoff, which may be 30 s away.
  void influxStartup.reachable.then(() => store.flush());
  const readiness = createReadinessCheck({ redis, store: influx, writeBuffer: () => store.bufferStatus() });
  const state = createRedisStateStore(redis, config.redis.prefix);
  const calendar = options.calendar ?? createRedisCalendarStore(redis, { prefix: config.redis.prefix, onInvalid: (id, error) => options.logger.warn({ id, err: (error as Error).message }, 'invalid calendar entry skipped') });
  const published = createRedisPublishedPlanStore(redis, config.redis.prefix);
  const whatIfCache = createRedisWhatIfCache(redis, config.redis.prefix);
  const events = createRedisEventCounters(redis, config.redis.prefix);
  const jobStats = createRedisJobStatsStore(redis, config.redis.prefix);
  const horizonSteps = Math.ceil(config.horizon / config.step);
  const trainer =
    options.trainOnThread === false
      ? null
      : createThreadedTrainer({
          onPriority: (p) =>
            'error' in p ? options.logger.warn({ err: p.error }, 'training thread keeps the process priority: fits compete with planning for the cores') : options.logger.info(p, 'training thread started at a lower priority'),
        });
  const deps: JobDeps = {
    config,
    clock: options.clock,
    logger: options.logger,
    // Plan ticks in flight write their decisions as one request (decision-batch.ts).
    store: batchDecisionWrites(store),
    state,
    cluster: options.cluster,
    models: createModelStore({ root: options.modelsDir, now: () => options.clock.now() }),
    train: async (series, fit) => {
      const explicit = fit.preferred !== 'auto';
      const champion = {
        ...fit,
        horizon: horizonSteps,
        ...(explicit ? { candidates: [fit.preferred], baseline: false as const } : {}),
      };
      // Off the event loop when it can be: plan ticks keep running while a model fits (threaded-trainer.ts).
      if (trainer && threadable(champion, candidatesFor(fit.preferred))) return trainer.train(series, champion);
      return selectChampion(series, champion);
    },
    calendarEntries: (target) => calendar.list(target),
    collect: options.collect ?? (async () => []),
    isLeader: options.isLeader ?? (() => true),
    ...(options.fence ? { fence: options.fence } : {}),
    lastKnown: createRedisLastKnownStore(redis, config.redis.prefix),
    appliedTicks: createRedisAppliedTicks(redis, config.redis.prefix, options.identity ?? `${hostname()}-${process.pid}`),
    published,
    events,
    jobStats,
    whatIf: { cache: whatIfCache },
    ...(options.leadTimes ? { leadTimes: options.leadTimes } : {}),
  };
  return {
    deps,
    calendar,
    redis,
    store,
    readiness,
    state,
    published,
    whatIfCache,
    events,
    jobStats,
    influxReachable: influxStartup.reachable,
    async close() {
      await trainer?.close();
      influxStartup.stop();
      await store.close();
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}

export { targetId };
