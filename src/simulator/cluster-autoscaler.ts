/**
 * A model of the Kubernetes Cluster Autoscaler for one node pool of the simulated cluster: what adds and
 * removes nodes under a reactive HPA, and under Prescale's placeholder capacity (planned nodes kept as a
 * floor, the way low-priority placeholder pods or a CapacityBuffer hold nodes in a real cluster).
 *
 * - Scale-up: when pods are Pending, ask for enough nodes for every pod of the pool (nodes still
 *   provisioning count, as the autoscaler counts upcoming nodes), or for the planned floor if higher.
 * - Scale-down: nodes above what the pods (and the floor) need, unneeded for 10 minutes
 *   (--scale-down-unneeded-time) and 10 minutes after the last scale-up (--scale-down-delay-after-add), are
 *   removed; never a node that still runs pods (the autoscaler would drain it, restarting its pods).
 */
import type { SimulatedCluster } from '../cluster/simulated-cluster.js';

export interface ClusterAutoscalerOptions {
  /** --scale-down-unneeded-time, ms. Default 10 min. */
  scaleDownUnneededMs?: number;
  /** --scale-down-delay-after-add, ms. Default 10 min. */
  scaleDownDelayAfterAddMs?: number;
}

export class ClusterAutoscalerModel {
  private unneededSince: number | null = null;
  private lastScaleUp = -Infinity;
  private readonly unneededMs: number;
  private readonly delayAfterAddMs: number;

  constructor(
    private readonly cluster: SimulatedCluster,
    private readonly pool: string,
    options: ClusterAutoscalerOptions = {},
  ) {
    this.unneededMs = options.scaleDownUnneededMs ?? 600_000;
    this.delayAfterAddMs = options.scaleDownDelayAfterAddMs ?? 600_000;
  }

  /** One scan at `now`; `floorNodes` is capacity planned ahead (placeholder pods), 0 for none. */
  scan(now: number, floorNodes = 0): void {
    const snap = this.cluster.inspectNodePool(this.pool);
    if (snap.podsPerNode === 0) return;
    const forPods = Math.ceil(snap.totalPods / snap.podsPerNode);
    const needed = Math.max(forPods, floorNodes);
    if ((snap.pendingPods > 0 || floorNodes > snap.desiredNodes) && needed > snap.desiredNodes) {
      this.cluster.setNodes(this.pool, needed);
      this.lastScaleUp = now;
      this.unneededSince = null;
      return;
    }
    const keep = Math.max(needed, snap.nonEmptyNodes);
    if (snap.desiredNodes > keep) {
      this.unneededSince ??= now;
      if (now - this.unneededSince >= this.unneededMs && now - this.lastScaleUp >= this.delayAfterAddMs) {
        this.cluster.setNodes(this.pool, keep);
        this.unneededSince = null;
      }
    } else {
      this.unneededSince = null;
    }
  }
}
