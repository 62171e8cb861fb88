/**
 * The composition root: config -> adapters -> roles. `PRESCALE_ROLES` (or --roles) picks any of api, worker,
 * scheduler; all three by default. A process without the api role still answers its probes (/healthz, /readyz) on
 * the http address. Shuts down cleanly on SIGTERM/SIGINT: server, then workers, then clients.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Worker } from 'bullmq';
import { createApp } from './api/create-app.js';
import type { ClusterActuator } from './cluster/cluster.js';
import { fencedCluster } from './cluster/fenced-cluster.js';
import { shardLeadership, type ShardLeadership } from './kube/shard-leadership.js';
import { SimulatedCluster } from './cluster/simulated-cluster.js';
import { loadConfig } from './config/load-config.js';
import type { PrescaleConfig } from './config/schema.js';
import { wallClock } from './core/clock.js';
import { PrescaleError } from './core/errors.js';
import { configSecrets, registerSecrets, scrubSecrets } from './core/secrets.js';
import { createLogger, type Logger } from './core/logger.js';
import { REPO_ROOT } from './core/paths.js';
import { createKubeAdapters, type KubeAdapters } from './kube/kube-adapters.js';
import { buildKubeConfig } from './kube/kube-config.js';
import { metricTargets, startExternalMetricsServer } from './external-metrics/server.js';
import { createRuntime } from './runtime.js';
import { startHealthServer } from './observability/health-server.js';
import { startPublishedCache } from './publish/published-cache.js';
import { createWhatIfService } from './what-if/what-if-service.js';
import { QueueSet } from '../jobs/queue-set.js';
import { scheduleTable } from '../jobs/schedule-table.js';
import { upsertSchedules } from '../jobs/wall-scheduler.js';
import { startWorkers } from '../jobs/workers.js';
import { planQueueName, QUEUES } from '../jobs/queues.js';

export const ROLES = ['api', 'worker', 'scheduler'] as const;
export type Role = (typeof ROLES)[number];

export function parseRoles(text: string): Role[] {
  const roles = text.split(',').map((r) => r.trim()).filter(Boolean);
  const unknown = roles.filter((r) => !(ROLES as readonly string[]).includes(r));
  if (unknown.length > 0 || roles.length === 0) throw new PrescaleError(`PRESCALE_ROLES: unknown role(s) ${unknown.join(', ') || '(none)'}; expected a comma list of ${ROLES.join(', ')}`, false);
  return roles as Role[];
}

/**
 * The cluster side: the simulated cluster (one process, always its own leader of every plan shard), or a real
 * API server with one Lease per plan shard (src/kube/shard-leadership.ts).
 */
function createCluster(config: PrescaleConfig, logger: Logger): { cluster: ClusterActuator; kube: (KubeAdapters & { leadership: ShardLeadership }) | null } {
  if (config.kubernetes.mode === 'simulated') return { cluster: SimulatedCluster.fromConfig(wallClock, config), kube: null };
  const kube = createKubeAdapters(config, { logger });
  const { leaseDuration, renewDeadline } = config.kubernetes;
  const leadership = shardLeadership(kube.electors, { leaseDurationMs: leaseDuration, renewDeadlineMs: renewDeadline ?? Math.floor((leaseDuration * 2) / 3) });
  // Every write asks the Lease of its target's shard first: a replica that lost it while a tick ran applies nothing.
  return { cluster: fencedCluster(kube.actuator, leadership.fence), kube: { ...kube, leadership } };
}

export interface Running {
  /** The API's address when the api role runs, else the probe listener's (the real port when configured as 0). */
  url: string | null;
  /** The external metrics API's https address when the api role runs with externalMetrics.enabled. */
  externalMetricsUrl: string | null;
  roles: Role[];
  /** Server first, then workers, then clients. */
  stop(): Promise<void>;
}

export async function main(argv = process.argv.slice(2), env = process.env): Promise<Running> {
  const configFile = argv.find((a) => a.startsWith('--config='))?.slice('--config='.length) ?? env['PRESCALE_CONFIG'] ?? join(REPO_ROOT, 'prescale.yaml');
  const roles = parseRoles(argv.find((a) => a.startsWith('--roles='))?.slice('--roles='.length) ?? env['PRESCALE_ROLES'] ?? ROLES.join(','));
  const logger = createLogger('prescale', env['PRESCALE_LOG_LEVEL'] ?? 'info');
  const config = loadConfig(configFile, env);
  // From here on, logs and error answers are scrubbed of the configured tokens and passwords.
  registerSecrets(configSecrets(config));
  const { cluster, kube } = createCluster(config, logger);
  const runtime = await createRuntime(config, {
    clock: wallClock,
    logger,
    cluster,
    modelsDir: env['PRESCALE_MODELS_DIR'] ?? join(REPO_ROOT, 'models', 'local'),
    ...(kube
      ? { collect: () => kube.collector.collect(), isLeader: kube.leadership.isLeader, fence: kube.leadership.publishFence, leadTimes: kube.leadTimes, identity: kube.elector.identity }
      : { leadTimes: cluster as SimulatedCluster }),
  });
  const closers: (() => Promise<void>)[] = [];
  const shards = config.kubernetes.shards;
  const queues = new QueueSet(runtime.redis, config.redis.prefix, shards);

  if (roles.includes('scheduler')) {
    const result = await upsertSchedules(queues, scheduleTable(config));
    logger.info(result, 'job schedulers registered');
  }
  let workers: Worker[] = [];
  /** The plan workers of the shards this process leads, by shard. */
  const planWorkers = new Map<number, Worker[]>();
  /** Plan workers still closing after their shard was lost or released. */
  const closingPlanWorkers = new Set<Promise<void>>();
  const workerOptions = { connection: runtime.redis, prefix: config.redis.prefix };
  if (roles.includes('worker')) {
    workers = startWorkers(runtime.deps, { ...workerOptions, queues: [QUEUES.ingest, QUEUES.train, QUEUES.trainDeep, QUEUES.forecast, QUEUES.whatIf] });
    // Only the holder of a shard's Lease consumes the shard's plan queue: exactly one replica applies scaling to a target.
    const lead = (shard: number) => {
      planWorkers.set(shard, startWorkers(runtime.deps, { ...workerOptions, queues: [planQueueName(shard, shards)] }));
      logger.info({ shard, shards }, 'leading: planning and applying');
    };
    const follow = (shard: number) => {
      const stopping = planWorkers.get(shard) ?? [];
      planWorkers.delete(shard);
      // Tracked, so that a shutdown (which releases every Lease, and so calls this) waits for these closes before it
      // closes Redis under them; a failure is logged, never an unhandled rejection that fails the exit.
      const closed = Promise.all(stopping.map((w) => w.close())).then(
        () => logger.info({ shard, shards }, 'not leading: planning stopped'),
        (error: unknown) => logger.warn({ shard, err: (error as Error).message }, 'not leading: closing the plan workers failed'),
      );
      closingPlanWorkers.add(closed);
      void closed.finally(() => closingPlanWorkers.delete(closed));
    };
    if (kube) {
      kube.leadership.start({ onStartedLeading: lead, onStoppedLeading: follow });
      closers.push(() => kube.leadership.stop());
    } else for (let shard = 0; shard < shards; shard++) lead(shard);
    logger.info({ queues: workers.map((w) => w.name) }, 'workers started');
  }
  let url: string | null = null;
  let externalMetricsUrl: string | null = null;
  if (roles.includes('api')) {
    if (config.api.tokens.length === 0) logger.warn('no api.tokens configured: the HTTP API is open to anyone who can reach it (reads and calendar writes); set api.tokens for anything but local use');
    const published = startPublishedCache(runtime.published, { logger });
    closers.push(async () => published.stop());
    const whatIf = createWhatIfService({ config, clock: wallClock, store: runtime.store, cache: runtime.whatIfCache, queue: queues.queueOf('what-if') });
    const server = createServer(createApp({ config, clock: wallClock, logger, store: runtime.store, state: runtime.state, cluster, calendar: runtime.calendar, published, whatIf, operational: { events: runtime.events, jobStats: runtime.jobStats, queues: queues.queues }, readiness: runtime.readiness, writeBuffer: () => runtime.store.bufferStatus(), sharedRedis: runtime.redis }));
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(config.http.port, config.http.host, () => resolve()));
    url = `http://${config.http.host}:${(server.address() as AddressInfo).port}`;
    logger.info({ address: url }, 'api listening');
    closers.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    if (config.externalMetrics.enabled) {
      const externalMetrics = await startExternalMetricsServer({
        config: config.externalMetrics,
        targets: metricTargets(config.targets),
        planPeriodMs: config.schedule.plan,
        published,
        kubeConfig: config.kubernetes.mode === 'simulated' ? null : buildKubeConfig(config.kubernetes),
        logger,
      });
      externalMetricsUrl = externalMetrics.url;
      closers.unshift(() => externalMetrics.close());
    }
  }
  if (!roles.includes('api')) {
    // Workers and the scheduler get probes too: /healthz and /readyz on the http address, nothing else.
    const health = await startHealthServer(config, wallClock, runtime.readiness);
    url = health.url;
    logger.info({ address: health.url }, 'probe listener (/healthz, /readyz)');
    closers.push(() => health.close());
  }
  closers.push(async () => {
    await Promise.all([...workers, ...[...planWorkers.values()].flat()].map((w) => w.close()));
    await Promise.all(closingPlanWorkers);
  });
  closers.push(() => queues.close());
  closers.push(() => runtime.close());
  logger.info({ roles, config: configFile, kubernetes: config.kubernetes.mode }, 'prescale started');
  return {
    url,
    externalMetricsUrl,
    roles,
    async stop() {
      for (const close of closers) await close();
      logger.info('prescale stopped');
    },
  };
}

const isMain = process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!);
if (isMain) {
  main()
    .then(({ stop }) => {
      let stopping = false;
      const shutdown = (signal: string) => {
        if (stopping) return;
        stopping = true;
        process.stderr.write(`${signal}: shutting down\n`);
        stop().then(
          () => process.exit(0),
          (error: unknown) => {
            console.error(error);
            process.exit(1);
          },
        );
      };
      process.on('SIGTERM', () => shutdown('SIGTERM'));
      process.on('SIGINT', () => shutdown('SIGINT'));
    })
    .catch((error: unknown) => {
      console.error(`prescale failed to start: ${scrubSecrets((error as Error).message)}`);
      process.exit(1);
    });
}
