/**
 * The cluster port: what the planner reads from and applies to a cluster. Two adapters: the simulated
 * cluster (simulated-cluster.ts: the demo and the scaling simulator) and the Kubernetes actuators
 * (src/kube/). Both pass test/contract/cluster.
 *
 * Left out: anything that reads or replaces whole objects (scaling goes through the scale subresource, so
 * Prescale needs only the scale subresource permission) and node-group resizing owned by a cluster autoscaler.
 */

export interface WorkloadRef {
  namespace: string;
  name: string;
  /** Deployment, StatefulSet, or any resource with a /scale subresource as `group/version/resource`. */
  kind: string;
}

export interface WorkloadState {
  /** spec.replicas: what the cluster is asked to run. */
  desiredReplicas: number;
  /** Pods that are Ready and serve load. */
  readyReplicas: number;
  /** True while a rollout (new template) is in progress. */
  rolloutInProgress: boolean;
}

/** How a scale request went, for the decision log (an adapter that never retries returns nothing). */
export interface ScaleOutcome {
  /** Requests of the scale made, the first included. */
  attempts: number;
  /** True when a re-read after an uncertain or refused attempt found spec.replicas already at the value: not patched again. */
  alreadyApplied: boolean;
  /** What happened, in words, one entry per retry ("...: attempt 1 failed (429 TooManyRequests), retried after 3 s (Retry-After)"). */
  notes: string[];
}

/** Options of one write (scale a workload, restart it, drive a node pool). */
export interface WriteOptions {
  /**
   * Asked immediately before every write request leaves: the first and each retry (after a Retry-After wait, a
   * backoff, a request that timed out, a re-read). Rejects (NotLeaderError) when this process may no longer
   * write: an actuator's own retries can outlast the Lease that was checked when the write began. An adapter
   * that sends one request after no wait (the simulated cluster) may ignore it.
   */
  mayWrite?: () => Promise<void>;
}

export interface NodePoolState {
  /** Node capacity asked for (nodes, or the equivalent placeholder capacity). */
  desiredNodes: number;
  readyNodes: number;
  /** Pods of the pool's workloads that no node has room for. */
  pendingPods: number;
}

export interface ClusterActuator {
  getWorkload(ref: WorkloadRef): Promise<WorkloadState>;
  /** Sets spec.replicas through the scale subresource; may say how it went (retries, a re-read that found it done). */
  scaleWorkload(ref: WorkloadRef, replicas: number, options?: WriteOptions): Promise<ScaleOutcome | void>;
  /** Rolling restart (pod template annotation), for self-healing redeploys. */
  restartWorkload(ref: WorkloadRef, reason: string, options?: WriteOptions): Promise<void>;
  getNodePool(pool: string): Promise<NodePoolState>;
  /** Drives the pool's capacity in the way the pool is configured for (see config nodePools[].driver). */
  scaleNodePool(pool: string, nodes: number, options?: WriteOptions): Promise<void>;
  /**
   * Other controllers that write replicas in a namespace: HorizontalPodAutoscalers and KEDA ScaledObjects,
   * with what each scales (src/scaling/actuation.ts decides which of them concern a target). One call per
   * namespace serves every target in it. Kinds that could not be checked (no permission, API not served)
   * are named in `unchecked`; a missing KEDA install is not a failure (no ScaledObjects).
   */
  listAutoscalers(namespace: string): Promise<AutoscalerListing>;
}

/** A reference as HPAs and ScaledObjects write it (`scaleTargetRef`). */
export interface ScaleTargetRef {
  /** `apps/v1`; absent when the object leaves it out. */
  apiVersion?: string;
  kind: string;
  name: string;
}

export interface AutoscalerInfo {
  kind: 'HorizontalPodAutoscaler' | 'ScaledObject';
  namespace: string;
  name: string;
  scaleTargetRef: ScaleTargetRef;
  /** HPA only: names of the external metrics it reads (spec.metrics[].external.metric.name). */
  externalMetrics?: string[];
}

export interface AutoscalerListing {
  autoscalers: AutoscalerInfo[];
  /** What could not be checked and why ("HorizontalPodAutoscaler: 403 Forbidden ..."); empty when all was. */
  unchecked: string[];
}

/** Lead-time samples the cluster observed (pod created -> Ready, node created -> Ready), in ms. */
export interface LeadTimeObserver {
  podStartupSamples(ref: WorkloadRef): Promise<number[]>;
  nodeProvisioningSamples(pool: string): Promise<number[]>;
}
