/**
 * Node-pool planning from the same forecast as replicas. Pure.
 *
 * Nodes needed = the larger of
 *  - packing: the pods every workload of the pool is planned to need within the node lead window
 *    (TickResult.replicasAhead), packed by their requests onto nodes whose room is allocatable minus
 *    daemon-set overhead (first-fit decreasing over CPU and memory), and
 *  - utilisation: the forecast (or, without one, live) node CPU and memory utilisation over the node lead
 *    window, sized like the HPA does pods: ceil(ready nodes x utilisation / target).
 * Pending (unschedulable) pods add the nodes they need at once (reactive node capacity). Scale-in waits for
 * a stabilisation window; min and max nodes always win. How the count is applied (placeholder pods,
 * CapacityBuffer, MachineDeployment, Karpenter static pool) is the actuator's business, never a node group
 * a cluster autoscaler owns.
 */
import type { NodePoolConfig } from '../config/schema.js';
import type { NodePoolState } from '../cluster/cluster.js';
import type { Forecast } from '../forecasting/forecaster.js';
import { ceilReplicas, forecastOverWindow } from './capacity.js';

/** Pods of one workload to place: count and per-pod requests. */
export interface PodDemand {
  /** Target id "namespace/name". */
  workload: string;
  replicas: number;
  /** CPU cores and memory MiB requested by one pod. */
  requests: { cpu: number; memoryMiB: number };
}

export interface Packing {
  nodes: number;
  /** Workloads whose pods fit on no empty node (requests above node room), with the reason. */
  unplaceable: string[];
}

/** Room on one node for pods: allocatable minus daemon-set overhead. */
export function nodeRoom(pool: NodePoolConfig): { cpu: number; memoryMiB: number } {
  return { cpu: pool.allocatable.cpu - pool.daemonOverhead.cpu, memoryMiB: pool.allocatable.memoryMiB - pool.daemonOverhead.memoryMiB };
}

/** Float slack so 0.1 + 0.2 cores fit in 0.3. */
const FIT_EPSILON = 1e-9;

/**
 * First-fit decreasing over two dimensions: largest pods first (by their larger share of a node), each
 * placed on the first node with room, a new node opened when none has. Deterministic.
 */
export function packPods(pool: NodePoolConfig, demands: readonly PodDemand[]): Packing {
  const room = nodeRoom(pool);
  const unplaceable: string[] = [];
  if (room.cpu <= 0 || room.memoryMiB <= 0) {
    return { nodes: 0, unplaceable: demands.filter((d) => d.replicas > 0).map((d) => `${d.workload}: daemon overhead leaves no room on a node`) };
  }
  const share = (d: PodDemand) => Math.max(d.requests.cpu / room.cpu, d.requests.memoryMiB / room.memoryMiB);
  const sorted = [...demands].filter((d) => d.replicas > 0).sort((a, b) => share(b) - share(a) || (a.workload < b.workload ? -1 : 1));
  const nodes: { cpu: number; memoryMiB: number }[] = [];
  for (const d of sorted) {
    if (d.requests.cpu > room.cpu + FIT_EPSILON || d.requests.memoryMiB > room.memoryMiB + FIT_EPSILON) {
      unplaceable.push(`${d.workload}: a pod requests ${d.requests.cpu} cores / ${d.requests.memoryMiB} MiB, a node has room for ${round(room.cpu)} / ${round(room.memoryMiB)}`);
      continue;
    }
    const fitOn = (n: { cpu: number; memoryMiB: number }) =>
      Math.floor(
        Math.min(
          d.requests.cpu > 0 ? (n.cpu + FIT_EPSILON) / d.requests.cpu : Infinity,
          d.requests.memoryMiB > 0 ? (n.memoryMiB + FIT_EPSILON) / d.requests.memoryMiB : Infinity,
        ),
      );
    let left = Math.ceil(d.replicas);
    for (const n of nodes) {
      if (left === 0) break;
      const k = Math.min(left, fitOn(n));
      if (k <= 0) continue;
      n.cpu -= k * d.requests.cpu;
      n.memoryMiB -= k * d.requests.memoryMiB;
      left -= k;
    }
    const perNode = fitOn(room);
    while (left > 0) {
      const k = Math.min(left, perNode);
      nodes.push({ cpu: room.cpu - k * d.requests.cpu, memoryMiB: room.memoryMiB - k * d.requests.memoryMiB });
      left -= k;
    }
  }
  return { nodes: nodes.length, unplaceable };
}

export interface NodePlanOptions {
  /** Node utilisation the pool should run at when sized from CPU/memory utilisation (fraction). */
  targetNodeUtilization: number;
  /** Quantile of forecast node utilisation to size for, percent. */
  quantile: number;
  /** Nodes are removed only when every recommendation in this window allows it, ms. */
  scaleDownStabilizationMs: number;
  /** At most this many nodes removed per tick. */
  maxScaleDownStep: number;
}

export const DEFAULT_NODE_PLAN: NodePlanOptions = { targetNodeUtilization: 0.8, quantile: 90, scaleDownStabilizationMs: 600_000, maxScaleDownStep: 1 };

/** Carried between node-pool ticks; JSON-serialisable. */
export interface NodePoolScalingState {
  recommendations: { time: number; nodes: number }[];
}

export interface NodePlanInput {
  now: number;
  pool: NodePoolConfig;
  /** What the cluster reports for the pool now. */
  cluster: NodePoolState;
  /** Pods each workload of the pool needs within the node lead window (TickResult.replicasAhead). */
  demands: readonly PodDemand[];
  /** Node provisioning lead time, ms (configured or measured, see lead-time.ts). */
  nodeLeadMs: number;
  /** Time between node-pool ticks, ms. */
  intervalMs: number;
  /** Forecast node CPU / memory utilisation across the pool (0..1), when the pool has those metrics. */
  cpuForecast?: Forecast | null;
  memoryForecast?: Forecast | null;
  /** Live node CPU / memory utilisation across the pool (0..1); null or absent when unknown. */
  liveCpu?: number | null;
  liveMemory?: number | null;
  state: NodePoolScalingState | null;
}

export interface NodePlan {
  desiredNodes: number;
  /** The rule that decided: "pack 42 pods: 6 nodes", "pending pods 3: 7 nodes", "max nodes 10". */
  rule: string;
  inputs: Record<string, number>;
  notes: string[];
  state: NodePoolScalingState;
}

const round = (x: number) => Math.round(x * 100) / 100;

export function planNodePool(input: NodePlanInput, options: NodePlanOptions = DEFAULT_NODE_PLAN): NodePlan {
  const { pool, cluster, now } = input;
  const notes: string[] = [];
  const inputs: Record<string, number> = {
    readyNodes: cluster.readyNodes,
    currentNodes: cluster.desiredNodes,
    pendingPods: cluster.pendingPods,
    nodeLeadS: input.nodeLeadMs / 1000,
  };
  const current = Math.max(0, cluster.desiredNodes);

  // Packing.
  const packing = packPods(pool, input.demands);
  notes.push(...packing.unplaceable);
  const pods = input.demands.reduce((sum, d) => sum + Math.max(0, Math.ceil(d.replicas)), 0);
  inputs.plannedPods = pods;
  inputs.packingNodes = packing.nodes;
  let desired = packing.nodes;
  let rule = `pack ${pods} pods: ${packing.nodes} nodes`;

  // Utilisation: forecast quantile over the lead window, else live.
  const windowEnd = now + input.nodeLeadMs + input.intervalMs;
  const base = Math.max(cluster.readyNodes, 1);
  for (const [resource, forecast, live] of [
    ['cpu', input.cpuForecast, input.liveCpu],
    ['memory', input.memoryForecast, input.liveMemory],
  ] as const) {
    let utilization: number | null = null;
    let source = 'live';
    if (forecast) {
      const w = forecastOverWindow(forecast, now, windowEnd, options.quantile);
      if (!w.invalid && w.points > 0) {
        utilization = w.peakQuantile;
        source = `forecast P${options.quantile}`;
      }
    }
    if (utilization === null && live !== null && live !== undefined && Number.isFinite(live)) utilization = Math.max(0, live);
    if (utilization === null) continue;
    inputs[`${resource}NodeUtilization`] = utilization;
    const nodes = cluster.readyNodes > 0 ? ceilReplicas((base * utilization) / options.targetNodeUtilization) : 0;
    inputs[`${resource}Nodes`] = nodes;
    if (nodes > desired) {
      desired = nodes;
      rule = `node ${resource} ${source} ${Math.round(utilization * 100)}% of ${base} nodes at target ${Math.round(options.targetNodeUtilization * 100)}%: ${nodes} nodes`;
    }
  }
  const recommended = desired;

  // Scale-in: only as low as the highest recommendation of the window, and a step at a time.
  const history = (input.state?.recommendations ?? []).filter((r) => r.time > now - options.scaleDownStabilizationMs && r.time <= now);
  if (desired < current) {
    const highest = Math.max(desired, ...history.map((r) => r.nodes));
    const floor = Math.max(highest, current - options.maxScaleDownStep);
    if (floor > desired) {
      desired = Math.min(current, floor);
      rule = highest >= current ? `node scale-down stabilisation ${options.scaleDownStabilizationMs / 1000}s holds ${desired}` : `node step limit -${current - desired}`;
    }
  }

  // Pending pods: nodes for them at once, on top of what is Ready (nodes already coming up count).
  if (cluster.pendingPods > 0) {
    const largest = [...input.demands].sort((a, b) => Math.max(b.requests.cpu, b.requests.memoryMiB / 1024) - Math.max(a.requests.cpu, a.requests.memoryMiB / 1024))[0];
    const pendingNodes = largest ? packPods(pool, [{ ...largest, replicas: cluster.pendingPods }]).nodes : 1;
    const needed = Math.max(cluster.readyNodes + pendingNodes, current);
    inputs.pendingNodes = pendingNodes;
    if (needed > desired) {
      desired = needed;
      rule = `pending pods ${cluster.pendingPods}: ${needed} nodes`;
    }
  }

  if (desired > pool.maxNodes) {
    notes.push(`alert: ${desired} nodes wanted, above maxNodes ${pool.maxNodes}`);
    inputs.alertNodesAboveMax = 1;
    desired = pool.maxNodes;
    rule = `max nodes ${pool.maxNodes}`;
  }
  if (desired < pool.minNodes) {
    desired = pool.minNodes;
    rule = `min nodes ${pool.minNodes}`;
  }
  inputs.desiredNodes = desired;
  return {
    desiredNodes: desired,
    rule,
    inputs,
    notes,
    state: { recommendations: [...history, { time: now, nodes: recommended }] },
  };
}
