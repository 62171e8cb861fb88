/**
 * How a node pool is found and driven on a real cluster, as pure functions (kube-actuator.ts does the I/O).
 *
 * Drivers and what `nodes` means for each:
 * - `karpenter-static`, `cluster-api`: the object's replica count is the node count; set it directly.
 * - `placeholder`, `capacity-buffer`: headroom. Each unit (a low-priority pause pod, or a buffer replica) is
 *   sized to about one node, and the cluster autoscaler (or Karpenter) keeps nodes for them. Real pods
 *   preempt placeholders, so total nodes = nodes the workloads use + headroom units. To reach `nodes` in
 *   total the actuator asks for `nodes - used` units, where `used` counts the schedulable nodes that run at
 *   least one workload pod (DaemonSet pods, mirror pods and the placeholders themselves do not count). This
 *   does not depend on the units last written, so reading back what was written gives the same answer.
 * - `none`: plan and record only.
 * Never resize a node group a cluster autoscaler owns: a MachineDeployment with the autoscaler's min/max
 * annotations, or a Karpenter NodePool without spec.replicas (a dynamic pool), is refused.
 */
import type { V1Pod } from '@kubernetes/client-node';
import type { NodePoolConfig } from '../config/schema.js';

/** Label that selects a pool's nodes when the config gives no nodeSelector and the driver implies none. */
export const DEFAULT_POOL_LABEL = 'prescale.io/node-pool';

/** Cluster Autoscaler's Cluster API provider reads these; their presence means the autoscaler owns the group. */
export const CAPI_AUTOSCALER_ANNOTATIONS = ['cluster.x-k8s.io/cluster-api-autoscaler-node-group-min-size', 'cluster.x-k8s.io/cluster-api-autoscaler-node-group-max-size'];

/** The labels that pick this pool's nodes. */
export function poolNodeSelector(pool: Pick<NodePoolConfig, 'name' | 'driver'> & { nodeSelector?: Record<string, string> }): Record<string, string> {
  if (pool.nodeSelector && Object.keys(pool.nodeSelector).length > 0) return pool.nodeSelector;
  // Karpenter labels every node it launches with the NodePool's name.
  if (pool.driver.type === 'karpenter-static') return { 'karpenter.sh/nodepool': pool.driver.nodePool };
  return { [DEFAULT_POOL_LABEL]: pool.name };
}

/** Headroom units that make the pool `nodes` large, given the nodes the workloads use. */
export function headroomUnitsFor(nodes: number, usedByWorkloads: number): number {
  return Math.max(0, nodes - usedByWorkloads);
}

/** The node count a headroom driver is currently asking for. */
export function nodesAskedWithHeadroom(usedByWorkloads: number, units: number): number {
  return usedByWorkloads + units;
}

/** A pod that takes a node's room for a workload: not a DaemonSet's, not a static (mirror) pod, not finished. */
export function isWorkloadPod(pod: V1Pod): boolean {
  if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') return false;
  if (pod.metadata?.annotations?.['kubernetes.io/config.mirror'] !== undefined) return false;
  return !(pod.metadata?.ownerReferences ?? []).some((o) => o.kind === 'DaemonSet');
}
