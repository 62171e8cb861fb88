/**
 * How a node pool is found and driven on a real cluster, as pure functions (kube-actuator.ts does the I/O).
 *
 * Drivers and what `nodes` means for each:
 * - `karpenter-static`, `cluster-api`: the object's replica count is the node count; set it directly.
 * - `placeholder`, `capacity-buffer`: headroom. Each unit (a low-priority pause pod, or a buffer replica) is
 *   sized to about one node, and the cluster autoscaler (or Karpenter) keeps nodes for them. Real pods
 *   preempt placeholders, so total nodes = nodes the workloads use + headroom units. To reach `nodes` in
 *   total the actuator asks for `nodes - nodes the workloads use` units, where the workloads use the Ready
 *   nodes not held by headroom.
 * - `none`: plan and record only.
 * Never resize a node group a cluster autoscaler owns: a MachineDeployment with the autoscaler's min/max
 * annotations, or a Karpenter NodePool without spec.replicas (a dynamic pool), is refused.
 */
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

/**
 * Headroom units that make the pool `nodes` large: the Ready nodes minus the ones headroom holds is what the
 * workloads use; the rest of `nodes` is headroom.
 */
export function headroomUnitsFor(nodes: number, readyNodes: number, heldByHeadroom: number): number {
  const usedByWorkloads = Math.max(0, readyNodes - Math.min(heldByHeadroom, readyNodes));
  return Math.max(0, nodes - usedByWorkloads);
}

/** The node count a headroom driver is currently asking for. */
export function nodesAskedWithHeadroom(readyNodes: number, heldByHeadroom: number, units: number): number {
  return Math.max(0, readyNodes - Math.min(heldByHeadroom, readyNodes)) + units;
}
