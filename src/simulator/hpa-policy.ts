/**
 * The `hpa` policy of the simulator: the HPA model (hpa.ts) syncing every tick on a Pods metric (load per
 * pod) seen through the metrics pipeline's lag, with the Cluster Autoscaler model adding nodes for pending
 * pods. This is what a team runs today without Prescale.
 */
import { ClusterAutoscalerModel } from './cluster-autoscaler.js';
import type { ScalingPolicy, SimEnv } from './environment.js';
import { HpaController, type HpaObservation } from './hpa.js';

export class HpaPolicy implements ScalingPolicy {
  readonly name = 'hpa';
  private readonly hpa: HpaController;
  private readonly autoscaler: ClusterAutoscalerModel;

  constructor(private readonly env: SimEnv) {
    const s = env.settings;
    this.hpa = new HpaController({ minReplicas: s.minReplicas, maxReplicas: s.maxReplicas, targetAverageValue: s.targetUtilization * s.capacityPerReplica });
    this.autoscaler = new ClusterAutoscalerModel(env.cluster, env.pool);
  }

  tick(now: number): string {
    const desired = this.hpa.sync(hpaObservation(this.env, now)).desiredReplicas;
    if (desired !== this.env.cluster.inspectWorkload(this.env.ref).desiredReplicas) this.env.cluster.setReplicas(this.env.ref, desired);
    this.autoscaler.scan(now);
    return 'reactive';
  }
}

/**
 * What the HPA sees at `now`: pods Ready at the time of the latest metric sample report the load they got
 * then (load spread evenly over Ready pods); pods Ready since have no sample yet (missing); Pending and
 * starting pods are unready.
 */
export function hpaObservation(env: SimEnv, now: number): HpaObservation {
  const w = env.cluster.inspectWorkload(env.ref);
  const seen = env.observed(now);
  const withMetric = Math.min(w.readyReplicas, seen.readyReplicas);
  const perPod = seen.readyReplicas > 0 ? seen.demand / seen.readyReplicas : 0;
  return {
    now,
    currentReplicas: w.desiredReplicas,
    podMetrics: new Array<number>(withMetric).fill(perPod),
    missingPods: w.readyReplicas - withMetric,
    unreadyPods: w.pendingReplicas + w.startingReplicas,
  };
}
