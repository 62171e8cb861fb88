/**
 * The `hpa` policy of the simulator: the HPA model (hpa.ts) syncing every tick on a Pods metric (load per
 * pod) seen through the metrics pipeline's lag, with the Cluster Autoscaler model adding nodes for pending
 * pods. This is what a team runs today without Prescale.
 *
 * Left out: pods being deleted or Failed (the simulated cluster removes pods at once and never fails one), so
 * the observation never carries them; the model ignores them when a caller passes them.
 */
import { ClusterAutoscalerModel } from './cluster-autoscaler.js';
import type { ScalingPolicy, SimEnv } from './environment.js';
import { HpaController, type HpaObservation, type HpaPod } from './hpa.js';

/**
 * Scheduled -> phase Running (image pull, container start), ms; the rest of the pod start-up is Running but
 * not Ready (application start, readiness probe). An assumption: the simulated cluster only knows scheduled
 * -> Ready. One sync period.
 */
export const DEFAULT_CONTAINER_START_MS = 15_000;

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

const READY_WITHOUT_SAMPLE: HpaPod = Object.freeze({ phase: 'Running', ready: true });
const RUNNING_NOT_READY: HpaPod = Object.freeze({ phase: 'Running', ready: false });
const PENDING: HpaPod = Object.freeze({ phase: 'Pending', ready: false });

/**
 * What the HPA sees at `now`: pods Ready at the time of the latest metric sample report the load they got
 * then (load spread evenly over Ready pods); pods Ready since have no sample yet (missing). Of the pods not
 * Ready, those waiting for a node or started on one less than `containerStartMs` ago are Pending (unready);
 * the others are Running but not Ready and, serving no traffic, have no sample either (missing: counted at 0
 * on a scale-up, at the target on a scale-down).
 */
export function hpaObservation(env: SimEnv, now: number, containerStartMs = DEFAULT_CONTAINER_START_MS): HpaObservation {
  const w = env.cluster.inspectWorkload(env.ref);
  const seen = env.observed(now);
  const withMetric = Math.min(w.readyReplicas, seen.readyReplicas);
  const perPod = seen.readyReplicas > 0 ? seen.demand / seen.readyReplicas : 0;
  // A starting pod is Running once it has been on its node containerStartMs: readyAt - now <= startup - that.
  const runningBefore = env.cluster.workloadSpec(env.ref).podStartupMs - containerStartMs;
  let runningNotReady = 0;
  for (const readyAt of env.cluster.startingPodsReadyAt(env.ref)) if (readyAt - now <= runningBefore) runningNotReady++;
  const pending = w.pendingReplicas + w.startingReplicas - runningNotReady;
  const pods: HpaPod[] = [];
  const sampled: HpaPod = { phase: 'Running', ready: true, metric: perPod };
  for (let i = 0; i < withMetric; i++) pods.push(sampled);
  for (let i = withMetric; i < w.readyReplicas; i++) pods.push(READY_WITHOUT_SAMPLE);
  for (let i = 0; i < runningNotReady; i++) pods.push(RUNNING_NOT_READY);
  for (let i = 0; i < pending; i++) pods.push(PENDING);
  return { now, currentReplicas: w.desiredReplicas, pods };
}
