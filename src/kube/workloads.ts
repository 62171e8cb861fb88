/**
 * Pure helpers over Kubernetes objects: which API a workload kind lives in, and what its status means for
 * the planner (desired, Ready, rollout in progress). No I/O here; kube-actuator.ts does the calls.
 */
import type { V1Deployment, V1Node, V1Pod, V1StatefulSet } from '@kubernetes/client-node';
import type { WorkloadState } from '../cluster/cluster.js';
import { InputError } from '../core/errors.js';

export type WorkloadApi =
  | { kind: 'Deployment' }
  | { kind: 'StatefulSet' }
  /** Any resource with a /scale subresource, e.g. argoproj.io/v1alpha1/rollouts. */
  | { kind: 'custom'; group: string; version: string; plural: string };

/** `Deployment`, `StatefulSet` or `group/version/resource` (the config's target kind). */
export function parseWorkloadKind(kind: string): WorkloadApi {
  if (kind === 'Deployment' || kind === 'StatefulSet') return { kind };
  const parts = kind.split('/');
  if (parts.length === 3 && parts.every((p) => /^[a-z0-9.-]+$/.test(p))) return { kind: 'custom', group: parts[0]!, version: parts[1]!, plural: parts[2]! };
  throw new InputError(`expected Deployment, StatefulSet or group/version/resource, got "${kind}"`, 'kind');
}

/**
 * A new pod template is being rolled out: the controller has not seen the latest spec yet, or not all pods
 * run the new template, or old pods remain. Pods that are merely not Ready (failing probes, or a plain
 * scale-up) are not a rollout: self-healing must still be able to redeploy them.
 */
export function deploymentState(deployment: V1Deployment): WorkloadState {
  const desired = deployment.spec?.replicas ?? 1;
  const status = deployment.status ?? {};
  const generation = deployment.metadata?.generation ?? 0;
  const observed = status.observedGeneration ?? 0;
  const updated = status.updatedReplicas ?? 0;
  const total = status.replicas ?? 0;
  const rolloutInProgress = observed < generation || updated < desired || total > updated;
  return { desiredReplicas: desired, readyReplicas: status.readyReplicas ?? 0, rolloutInProgress };
}

export function statefulSetState(statefulSet: V1StatefulSet): WorkloadState {
  const desired = statefulSet.spec?.replicas ?? 1;
  const status = statefulSet.status;
  const generation = statefulSet.metadata?.generation ?? 0;
  const observed = status?.observedGeneration ?? 0;
  const revisionsDiffer = !!status?.updateRevision && !!status.currentRevision && status.updateRevision !== status.currentRevision;
  const rolloutInProgress = observed < generation || (revisionsDiffer && (status?.updatedReplicas ?? 0) < desired);
  return { desiredReplicas: desired, readyReplicas: status?.readyReplicas ?? 0, rolloutInProgress };
}

export function isPodReady(pod: V1Pod): boolean {
  if (pod.metadata?.deletionTimestamp) return false;
  return pod.status?.phase === 'Running' && (pod.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

/** Pending because no node has room (the scheduler's verdict), not because an image is pulling. */
export function isUnschedulable(pod: V1Pod): boolean {
  return pod.status?.phase === 'Pending' && (pod.status.conditions ?? []).some((c) => c.type === 'PodScheduled' && c.status === 'False' && c.reason === 'Unschedulable');
}

export function isNodeReady(node: V1Node): boolean {
  return (node.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

/** Ready and open for new pods (a cordoned node is draining away). */
export function isNodeSchedulable(node: V1Node): boolean {
  return isNodeReady(node) && !node.spec?.unschedulable;
}

/** `{a: 'b'}` -> `a=b`. */
export function labelSelector(labels: Record<string, string>): string {
  return Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

/** A timestamp field as client-node returns it: a Date for typed fields, a string for MicroTime. */
export function toEpochMs(value: Date | string | undefined | null): number | undefined {
  if (value === undefined || value === null) return undefined;
  const ms = value instanceof Date ? value.getTime() : Date.parse(value);
  return Number.isFinite(ms) ? ms : undefined;
}
