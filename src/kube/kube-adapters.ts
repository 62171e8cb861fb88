/**
 * Everything Prescale needs from a real cluster, built from one config: the actuator, the metrics.k8s.io
 * collector, the lead-time observer and the leader elector, sharing one KubeConfig. main.ts wires them:
 * `cluster: adapters.actuator`, `collect: () => adapters.collector.collect()`,
 * `isLeader: () => adapters.elector.isLeader()` after `adapters.elector.start()`, and `elector.stop()` on
 * shutdown (releases the Lease so a successor takes over at once). The actuator is wrapped by main.ts in
 * fencedCluster(actuator, () => elector.fence()) so no apply leaves a replica that lost the Lease.
 */
import { hostname } from 'node:os';
import type { PrescaleConfig } from '../config/schema.js';
import { wallClock, type Clock } from '../core/clock.js';
import { silentLogger, type Logger } from '../core/logger.js';
import { KubeActuator } from './kube-actuator.js';
import { buildKubeConfig, type ExplicitCluster } from './kube-config.js';
import { KubeLeadTimeObserver } from './lead-times.js';
import { LeaderElector } from './leader-election.js';
import { KubeMetricsCollector } from './metrics-collector.js';
import { shardLeaseName } from './plan-shards.js';

export interface KubeAdapters {
  actuator: KubeActuator;
  collector: KubeMetricsCollector;
  leadTimes: KubeLeadTimeObserver;
  /** The first plan shard's elector: with one shard (the default), the only one, on the Lease leaseName. */
  elector: LeaderElector;
  /** One elector per plan shard (kubernetes.shards), on the Lease shardLeaseName(leaseName, k) (src/kube/plan-shards.ts). */
  electors: LeaderElector[];
}

/** The Lease holder identity: the pod name (downward API POD_NAME), else hostname and pid. */
export function leaseIdentity(env: NodeJS.ProcessEnv = process.env): string {
  return env['POD_NAME'] || `${hostname()}-${process.pid}`;
}

export function createKubeAdapters(
  config: Pick<PrescaleConfig, 'kubernetes' | 'targets' | 'nodePools'>,
  options: { clock?: Clock; logger?: Logger; identity?: string; explicit?: ExplicitCluster } = {},
): KubeAdapters {
  const kubeConfig = buildKubeConfig(config.kubernetes, options.explicit);
  const clock = options.clock ?? wallClock;
  const logger = options.logger ?? silentLogger;
  const common = { kubeConfig, clock, logger, retry: { requestTimeoutMs: config.kubernetes.requestTimeout } };
  const shards = config.kubernetes.shards ?? 1;
  const electors = Array.from(
    { length: shards },
    (_, k) =>
      new LeaderElector({
        ...common,
        namespace: config.kubernetes.leaseNamespace,
        name: shardLeaseName(config.kubernetes.leaseName, k, shards),
        identity: options.identity ?? leaseIdentity(),
        leaseDurationSeconds: config.kubernetes.leaseDuration / 1000,
        ...(config.kubernetes.renewDeadline !== undefined ? { renewDeadlineMs: config.kubernetes.renewDeadline } : {}),
        retryPeriodMs: config.kubernetes.retryPeriod,
      }),
  );
  return {
    actuator: new KubeActuator({ ...common, targets: config.targets, nodePools: config.nodePools }),
    collector: new KubeMetricsCollector({ ...common, targets: config.targets, nodePools: config.nodePools }),
    leadTimes: new KubeLeadTimeObserver({ ...common, nodePools: config.nodePools }),
    elector: electors[0]!,
    electors,
  };
}
