/**
 * Lead times the cluster itself measured, read from the API: a pod's creationTimestamp to the
 * lastTransitionTime of its Ready condition, a node's creationTimestamp to its Ready condition. Samples come
 * oldest first (by creation) from the objects that exist now; src/scaling/lead-time.ts drops implausible
 * ones and picks a percentile.
 *
 * Left out: history beyond the live objects (pods deleted on scale-in take their sample with them) and
 * readiness that flapped after start-up (its later transition time would read as a slow start: the planner's
 * plausibility cap and percentile absorb the rare case).
 */
import type { KubeConfig, V1Node, V1Pod } from '@kubernetes/client-node';
import type { LeadTimeObserver, WorkloadRef } from '../cluster/cluster.js';
import type { NodePoolConfig } from '../config/schema.js';
import type { Clock } from '../core/clock.js';
import { InputError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { createKubeClients, readWorkloadScale, type KubeClients } from './kube-clients.js';
import { callKube, type RetryPolicy } from './kube-request.js';
import { poolNodeSelector } from './node-pools.js';
import { labelSelector, toEpochMs } from './workloads.js';

type Conditioned = { metadata?: { creationTimestamp?: Date | string }; status?: { conditions?: { type: string; status: string; lastTransitionTime?: Date | string }[] } };

/** Created -> Ready in ms, or undefined while not Ready (or the stamps are missing). */
export function createdToReadyMs(object: Conditioned): number | undefined {
  const created = toEpochMs(object.metadata?.creationTimestamp);
  const ready = object.status?.conditions?.find((c) => c.type === 'Ready' && c.status === 'True');
  const readyAt = toEpochMs(ready?.lastTransitionTime);
  if (created === undefined || readyAt === undefined || readyAt < created) return undefined;
  return readyAt - created;
}

/** Samples of the objects, oldest creation first. */
export function leadTimeSamples(objects: Conditioned[]): number[] {
  return objects
    .map((o) => ({ created: toEpochMs(o.metadata?.creationTimestamp) ?? 0, sample: createdToReadyMs(o) }))
    .filter((s): s is { created: number; sample: number } => s.sample !== undefined)
    .sort((a, b) => a.created - b.created)
    .map((s) => s.sample);
}

export interface KubeLeadTimeObserverOptions {
  kubeConfig: KubeConfig;
  nodePools: (Pick<NodePoolConfig, 'name' | 'driver'> & { nodeSelector?: Record<string, string> })[];
  clock?: Clock;
  logger?: Logger;
  retry?: Partial<RetryPolicy>;
}

export class KubeLeadTimeObserver implements LeadTimeObserver {
  private readonly clients: KubeClients;

  constructor(private readonly options: KubeLeadTimeObserverOptions) {
    this.clients = createKubeClients(options);
  }

  async podStartupSamples(ref: WorkloadRef): Promise<number[]> {
    const { core, context } = this.clients;
    const { namespace } = ref;
    const selector = (await readWorkloadScale(this.clients, ref)).status?.selector;
    if (!selector) return [];
    const pods: V1Pod[] = await callKube(`list pods ${namespace} ${selector}`, async () => (await core.listNamespacedPod({ namespace, labelSelector: selector })).items, context);
    return leadTimeSamples(pods.filter((p) => !p.metadata?.deletionTimestamp));
  }

  async nodeProvisioningSamples(poolName: string): Promise<number[]> {
    const pool = this.options.nodePools.find((p) => p.name === poolName);
    if (!pool) throw new InputError(`unknown node pool "${poolName}"`, 'nodePool');
    const selector = labelSelector(poolNodeSelector(pool));
    const nodes: V1Node[] = await callKube(`list nodes ${selector}`, async () => (await this.clients.core.listNode({ labelSelector: selector })).items, this.clients.context);
    return leadTimeSamples(nodes);
  }
}
