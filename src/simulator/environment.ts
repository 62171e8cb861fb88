/**
 * What a scaling policy sees and acts on during a replay: the simulated cluster, the trace (only the oracle
 * may read ahead in it), and the metrics pipeline's view of the past (demand and Ready pods as of
 * `now - metricLagMs`).
 */
import type { SimulatedCluster } from '../cluster/simulated-cluster.js';
import type { WorkloadRef } from '../cluster/cluster.js';
import type { DemandTrace } from './trace.js';

export interface SimulationSettings {
  /** Load one Ready replica serves at saturation. */
  capacityPerReplica: number;
  /** The reactive autoscaler's target utilisation (HPA AverageValue target = this x capacityPerReplica). */
  targetUtilization: number;
  /** Pod scheduled -> Ready, ms. */
  podStartupMs: number;
  /** Node asked for -> Ready, ms. */
  nodeStartupMs: number;
  /** Replay step, ms (the HPA sync period). */
  tickMs: number;
  /** How late live metrics are, ms. */
  metricLagMs: number;
  minReplicas: number;
  maxReplicas: number;
}

export interface ObservedSample {
  /** Epoch ms the sample describes. */
  time: number;
  demand: number;
  readyReplicas: number;
}

export interface SimEnv {
  cluster: SimulatedCluster;
  ref: WorkloadRef;
  pool: string;
  trace: DemandTrace;
  settings: SimulationSettings;
  /** Epoch ms the replay starts at. */
  startMs: number;
  /** The metrics pipeline's latest sample at `now` (demand and Ready pods as of now - lag). */
  observed(now: number): ObservedSample;
}

export interface ScalingPolicy {
  readonly name: string;
  /** Acts at `now` (the cluster has caught up to it); returns the mode to record. */
  tick(now: number): string | Promise<string>;
}
