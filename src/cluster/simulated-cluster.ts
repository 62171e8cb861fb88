/**
 * A simulated cluster behind the ClusterActuator port, on an injected clock. The demo and the scaling
 * simulator run on it; the same contract suite as the Kubernetes actuators checks it
 * (test/contract/cluster.contract.ts).
 *
 * What it models, because it is what makes scaling late in a real cluster:
 * - a pod is created, waits Pending until a Ready node of its pool has room (packing by pod requests vs node
 *   allocatable minus daemon overhead), then becomes Ready `podStartupMs` after it was scheduled;
 * - a node becomes Ready `provisioningMs` after it was asked for;
 * - scale-in removes pods at once, in the ReplicaSet controller's order (pending, then starting, then Ready,
 *   newest first); removing a node evicts its pods, which are replaced by new (pending) pods;
 * - a restart replaces pods gradually (rolling update, maxSurge 25% rounded up, maxUnavailable 0);
 * - every pod and node that becomes Ready leaves a lead-time sample (created -> Ready).
 *
 * Left out: pod failures, disruption budgets, affinities, several containers per pod, node taints. HPAs and
 * ScaledObjects are only listed (setAutoscalers), never run.
 * Time only moves through the clock: every call first catches the cluster up to `clock.now()`, processing
 * node-ready and pod-ready events in time order, so results do not depend on how often it is called.
 */
import type { Clock } from '../core/clock.js';
import { InputError } from '../core/errors.js';
import type { NodePoolConfig, TargetConfig } from '../config/schema.js';
import type { AutoscalerInfo, AutoscalerListing, ClusterActuator, LeadTimeObserver, NodePoolState, WorkloadRef, WorkloadState } from './cluster.js';

export interface Resources {
  /** CPU cores. */
  cpu: number;
  memoryMiB: number;
}

export interface SimulatedWorkloadSpec {
  ref: WorkloadRef;
  /** Pod scheduled -> Ready, in ms. */
  podStartupMs: number;
  /** Node pool the pods run on; without one pods are scheduled at once (unbounded capacity). */
  nodePool?: string;
  /** Requests of one pod, for packing; required with a node pool. */
  podRequests?: Resources;
  /** Pods that exist and are Ready when the simulation starts. Default 0. */
  initialReplicas?: number;
}

export interface SimulatedNodePoolSpec {
  name: string;
  /** What one node offers to pods. */
  allocatable: Resources;
  /** Per-node daemon-set overhead, subtracted from allocatable. Default none. */
  daemonOverhead?: Resources;
  /** Node asked for -> Ready, in ms. */
  provisioningMs: number;
  minNodes?: number;
  maxNodes?: number;
  /** Nodes that exist and are Ready when the simulation starts. Default minNodes. */
  initialNodes?: number;
}

/** The simulator's view of a workload: the port's state plus where the missing pods are. */
export interface WorkloadSnapshot extends WorkloadState {
  /** Pods waiting for a node. */
  pendingReplicas: number;
  /** Pods scheduled on a node, not Ready yet. */
  startingReplicas: number;
}

export interface NodePoolSnapshot extends NodePoolState {
  /** Pods one empty node holds (the smallest over the pool's workloads; 0 without workloads). */
  podsPerNode: number;
  /** Pods of the pool's workloads, wherever they are (pending, starting, Ready). */
  totalPods: number;
  /** Nodes with at least one pod: removing one evicts pods. */
  nonEmptyNodes: number;
}

interface Pod {
  id: number;
  workload: string;
  revision: number;
  createdAt: number;
  node: Node | null;
  /** Set once scheduled: scheduledAt + startup. */
  readyAt: number | null;
  observed: boolean;
}

interface Node {
  id: number;
  pool: string;
  createdAt: number;
  readyAt: number;
  usedCpu: number;
  usedMemoryMiB: number;
  pods: number;
  observed: boolean;
}

interface Workload {
  spec: SimulatedWorkloadSpec;
  desired: number;
  revision: number;
  pods: Pod[];
  startupSamples: number[];
}

interface Pool {
  spec: SimulatedNodePoolSpec;
  nodes: Node[];
  provisioningSamples: number[];
}

/** Lead-time samples kept per workload or pool (the most recent). */
const MAX_SAMPLES = 500;
/** Rolling update surge, as the Deployment default (25%, rounded up). */
const ROLLING_SURGE_FRACTION = 0.25;

export function workloadKey(ref: WorkloadRef): string {
  return `${ref.namespace}/${ref.name}`;
}

export class SimulatedCluster implements ClusterActuator, LeadTimeObserver {
  private readonly workloads = new Map<string, Workload>();
  private readonly pools = new Map<string, Pool>();
  private nextId = 1;
  /** HPAs and ScaledObjects "in the cluster" (none run: they only make Prescale's direct mode step aside). */
  private autoscalers: AutoscalerInfo[] = [];
  private uncheckedAutoscalers: string[] = [];
  /** The cluster's own time: events up to here are processed. */
  private processedTo: number;

  constructor(
    private readonly clock: Clock,
    options: { workloads: SimulatedWorkloadSpec[]; nodePools?: SimulatedNodePoolSpec[] },
  ) {
    this.processedTo = clock.now();
    const t0 = this.processedTo;
    for (const spec of options.nodePools ?? []) {
      if (this.pools.has(spec.name)) throw new InputError(`node pool "${spec.name}" is defined twice`, 'simulated cluster');
      const pool: Pool = { spec, nodes: [], provisioningSamples: [] };
      this.pools.set(spec.name, pool);
      const initial = spec.initialNodes ?? spec.minNodes ?? 0;
      // Nodes that exist at the start are Ready already and leave no lead-time sample.
      for (let i = 0; i < initial; i++) pool.nodes.push(this.newNode(spec.name, LONG_AGO, true));
    }
    for (const spec of options.workloads) {
      const key = workloadKey(spec.ref);
      if (this.workloads.has(key)) throw new InputError(`workload ${key} is defined twice`, 'simulated cluster');
      if (spec.nodePool !== undefined) {
        if (!this.pools.has(spec.nodePool)) throw new InputError(`workload ${key} names unknown node pool "${spec.nodePool}"`, 'simulated cluster');
        if (!spec.podRequests) throw new InputError(`workload ${key} needs podRequests to be packed onto pool "${spec.nodePool}"`, 'simulated cluster');
      }
      const initial = spec.initialReplicas ?? 0;
      const workload: Workload = { spec, desired: initial, revision: 1, pods: [], startupSamples: [] };
      this.workloads.set(key, workload);
      for (let i = 0; i < initial; i++) {
        const pod = this.newPod(workload, t0 - spec.podStartupMs);
        pod.observed = true;
        if (!this.schedule(workload, pod, t0 - spec.podStartupMs)) {
          throw new InputError(`workload ${key}: ${initial} initial replicas do not fit on the initial nodes of pool "${spec.nodePool}"`, 'simulated cluster');
        }
        workload.pods.push(pod);
      }
    }
  }

  /** Builds a cluster from the service config: one workload per target, one pool per node pool. */
  static fromConfig(
    clock: Clock,
    config: { targets: TargetConfig[]; nodePools: NodePoolConfig[] },
    initial: { replicas?: Record<string, number>; nodes?: Record<string, number> } = {},
  ): SimulatedCluster {
    return new SimulatedCluster(clock, {
      nodePools: config.nodePools.map((p) => ({
        name: p.name,
        allocatable: p.allocatable,
        daemonOverhead: p.daemonOverhead,
        provisioningMs: p.provisioning,
        minNodes: p.minNodes,
        maxNodes: p.maxNodes,
        initialNodes: initial.nodes?.[p.name] ?? p.minNodes,
      })),
      workloads: config.targets.map((t) => ({
        ref: { namespace: t.namespace, name: t.name, kind: t.kind },
        podStartupMs: t.podStartup,
        nodePool: t.nodePool,
        podRequests: t.podRequests,
        initialReplicas: initial.replicas?.[`${t.namespace}/${t.name}`] ?? t.minReplicas,
      })),
    });
  }

  // ---- the port ----

  async getWorkload(ref: WorkloadRef): Promise<WorkloadState> {
    const { desiredReplicas, readyReplicas, rolloutInProgress } = this.inspectWorkload(ref);
    return { desiredReplicas, readyReplicas, rolloutInProgress };
  }

  async scaleWorkload(ref: WorkloadRef, replicas: number): Promise<void> {
    this.setReplicas(ref, replicas);
  }

  async restartWorkload(ref: WorkloadRef, _reason: string): Promise<void> {
    this.catchUp();
    const workload = this.workload(ref);
    workload.revision += 1;
    this.reconcile(this.processedTo);
  }

  async getNodePool(pool: string): Promise<NodePoolState> {
    const { desiredNodes, readyNodes, pendingPods } = this.inspectNodePool(pool);
    return { desiredNodes, readyNodes, pendingPods };
  }

  async scaleNodePool(pool: string, nodes: number): Promise<void> {
    this.setNodes(pool, nodes);
  }

  async listAutoscalers(namespace: string): Promise<AutoscalerListing> {
    return { autoscalers: structuredClone(this.autoscalers.filter((a) => a.namespace === namespace)), unchecked: [...this.uncheckedAutoscalers] };
  }

  async podStartupSamples(ref: WorkloadRef): Promise<number[]> {
    this.catchUp();
    return [...this.workload(ref).startupSamples];
  }

  async nodeProvisioningSamples(pool: string): Promise<number[]> {
    this.catchUp();
    return [...this.pool(pool).provisioningSamples];
  }

  // ---- synchronous views for the simulator (same semantics as the port, no promise per call) ----

  inspectWorkload(ref: WorkloadRef): WorkloadSnapshot {
    this.catchUp();
    const workload = this.workload(ref);
    const now = this.processedTo;
    let ready = 0;
    let pending = 0;
    let starting = 0;
    let old = 0;
    for (const pod of workload.pods) {
      if (pod.node === null) pending++;
      else if (pod.readyAt! <= now) ready++;
      else starting++;
      if (pod.revision !== workload.revision) old++;
    }
    return {
      desiredReplicas: workload.desired,
      readyReplicas: ready,
      rolloutInProgress: old > 0,
      pendingReplicas: pending,
      startingReplicas: starting,
    };
  }

  /**
   * When each scheduled, not yet Ready pod of the workload becomes Ready (epoch ms). The HPA model splits
   * these pods into Pending (containers not started) and Running-not-Ready by how long they have been on a node.
   */
  startingPodsReadyAt(ref: WorkloadRef): number[] {
    this.catchUp();
    const now = this.processedTo;
    const out: number[] = [];
    for (const pod of this.workload(ref).pods) if (pod.node !== null && pod.readyAt! > now) out.push(pod.readyAt!);
    return out;
  }

  inspectNodePool(name: string): NodePoolSnapshot {
    this.catchUp();
    const pool = this.pool(name);
    const now = this.processedTo;
    let pending = 0;
    let total = 0;
    let podsPerNode = Infinity;
    for (const workload of this.workloads.values()) {
      if (workload.spec.nodePool !== name) continue;
      total += workload.pods.length;
      for (const pod of workload.pods) if (pod.node === null) pending++;
      podsPerNode = Math.min(podsPerNode, this.podsPerEmptyNode(pool.spec, workload.spec.podRequests!));
    }
    let ready = 0;
    let nonEmpty = 0;
    for (const node of pool.nodes) {
      if (node.readyAt <= now) ready++;
      if (node.pods > 0) nonEmpty++;
    }
    return {
      desiredNodes: pool.nodes.length,
      readyNodes: ready,
      pendingPods: pending,
      podsPerNode: Number.isFinite(podsPerNode) ? podsPerNode : 0,
      totalPods: total,
      nonEmptyNodes: nonEmpty,
    };
  }

  /** Pods of `requests` one empty node of the pool holds (allocatable minus daemon overhead). */
  podsPerEmptyNode(spec: SimulatedNodePoolSpec, requests: Resources): number {
    const free = this.freeOnEmptyNode(spec);
    return Math.max(0, Math.floor(Math.min(free.cpu / requests.cpu, free.memoryMiB / requests.memoryMiB) + 1e-9));
  }

  /** Node pools the cluster knows, with the workloads that run on each. */
  nodePoolNames(): string[] {
    return [...this.pools.keys()];
  }

  nodePoolSpec(name: string): SimulatedNodePoolSpec {
    return this.pool(name).spec;
  }

  workloadSpec(ref: WorkloadRef): SimulatedWorkloadSpec {
    return this.workload(ref).spec;
  }

  /** Replaces the HPAs and ScaledObjects the cluster reports, and what it reports as not checkable (tests). */
  setAutoscalers(autoscalers: AutoscalerInfo[], unchecked: string[] = []): void {
    this.autoscalers = structuredClone(autoscalers);
    this.uncheckedAutoscalers = [...unchecked];
  }

  setReplicas(ref: WorkloadRef, replicas: number): void {
    if (!Number.isInteger(replicas) || replicas < 0) {
      throw new InputError(`replicas must be a whole number >= 0, got ${replicas}`, `${workloadKey(ref)}`);
    }
    this.catchUp();
    const workload = this.workload(ref);
    workload.desired = replicas;
    this.reconcile(this.processedTo);
  }

  setNodes(name: string, nodes: number): void {
    if (!Number.isInteger(nodes) || nodes < 0) throw new InputError(`nodes must be a whole number >= 0, got ${nodes}`, `node pool ${name}`);
    this.catchUp();
    const pool = this.pool(name);
    const now = this.processedTo;
    // Like a node group: the request is held within the pool's bounds.
    const target = Math.min(pool.spec.maxNodes ?? Infinity, Math.max(pool.spec.minNodes ?? 0, nodes));
    while (pool.nodes.length < target) pool.nodes.push(this.newNode(name, now, false));
    if (pool.nodes.length > target) this.removeNodes(pool, pool.nodes.length - target, now);
    this.reconcile(now);
  }

  // ---- internals ----

  private workload(ref: WorkloadRef): Workload {
    const workload = this.workloads.get(workloadKey(ref));
    if (!workload) throw new InputError(`unknown workload ${workloadKey(ref)}; known: ${[...this.workloads.keys()].join(', ') || 'none'}`, 'simulated cluster');
    return workload;
  }

  private pool(name: string): Pool {
    const pool = this.pools.get(name);
    if (!pool) throw new InputError(`unknown node pool "${name}"; known: ${[...this.pools.keys()].join(', ') || 'none'}`, 'simulated cluster');
    return pool;
  }

  private newNode(pool: string, createdAt: number, observed: boolean): Node {
    const spec = this.pools.get(pool)!.spec;
    return { id: this.nextId++, pool, createdAt, readyAt: createdAt + spec.provisioningMs, usedCpu: 0, usedMemoryMiB: 0, pods: 0, observed };
  }

  private newPod(workload: Workload, createdAt: number): Pod {
    return { id: this.nextId++, workload: workloadKey(workload.spec.ref), revision: workload.revision, createdAt, node: null, readyAt: null, observed: false };
  }

  private freeOnEmptyNode(spec: SimulatedNodePoolSpec): Resources {
    return {
      cpu: spec.allocatable.cpu - (spec.daemonOverhead?.cpu ?? 0),
      memoryMiB: spec.allocatable.memoryMiB - (spec.daemonOverhead?.memoryMiB ?? 0),
    };
  }

  /** Processes every event (node or pod becoming Ready) up to the clock's now, in time order. */
  private catchUp(): void {
    const now = this.clock.now();
    if (now < this.processedTo) throw new Error(`simulated cluster: the clock went back (${now} < ${this.processedTo})`);
    for (;;) {
      const next = this.nextEventAfter(this.processedTo);
      if (next === null || next > now) break;
      this.processedTo = next;
      this.observeReady(next);
      this.reconcile(next);
    }
    this.processedTo = now;
    this.observeReady(now);
  }

  private nextEventAfter(t: number): number | null {
    let next: number | null = null;
    for (const pool of this.pools.values()) {
      for (const node of pool.nodes) if (node.readyAt > t && (next === null || node.readyAt < next)) next = node.readyAt;
    }
    for (const workload of this.workloads.values()) {
      for (const pod of workload.pods) if (pod.readyAt !== null && pod.readyAt > t && (next === null || pod.readyAt < next)) next = pod.readyAt;
    }
    return next;
  }

  private observeReady(t: number): void {
    for (const pool of this.pools.values()) {
      for (const node of pool.nodes) {
        if (!node.observed && node.readyAt <= t) {
          node.observed = true;
          pushSample(pool.provisioningSamples, node.readyAt - node.createdAt);
        }
      }
    }
    for (const workload of this.workloads.values()) {
      for (const pod of workload.pods) {
        if (!pod.observed && pod.readyAt !== null && pod.readyAt <= t) {
          pod.observed = true;
          pushSample(workload.startupSamples, pod.readyAt - pod.createdAt);
        }
      }
    }
  }

  /** Brings every workload towards its desired state at time t and schedules pending pods. */
  private reconcile(t: number): void {
    for (const workload of this.workloads.values()) this.reconcileWorkload(workload, t);
    for (const workload of this.workloads.values()) {
      for (const pod of workload.pods) if (pod.node === null) this.schedule(workload, pod, t);
    }
  }

  private reconcileWorkload(workload: Workload, t: number): void {
    const isReady = (p: Pod) => p.readyAt !== null && p.readyAt <= t;
    const old = workload.pods.filter((p) => p.revision !== workload.revision);
    if (old.length === 0) {
      // Steady state: create or delete to match spec.replicas.
      while (workload.pods.length < workload.desired) workload.pods.push(this.newPod(workload, t));
      if (workload.pods.length > workload.desired) this.deletePods(workload, workload.pods, workload.pods.length - workload.desired, t);
      return;
    }
    // Rolling update, maxUnavailable 0: old pods go only while enough Ready pods remain.
    const surge = Math.max(1, Math.ceil(workload.desired * ROLLING_SURGE_FRACTION));
    const current = () => workload.pods.filter((p) => p.revision === workload.revision);
    // Old pods that serve nothing can go at once.
    this.deletePods(workload, old.filter((p) => !isReady(p)), old.filter((p) => !isReady(p)).length, t);
    let oldReady = workload.pods.filter((p) => p.revision !== workload.revision);
    let readyTotal = workload.pods.filter(isReady).length;
    while (oldReady.length > 0 && (readyTotal - 1 >= workload.desired || workload.pods.length > workload.desired + surge)) {
      this.deletePods(workload, oldReady, 1, t);
      oldReady = workload.pods.filter((p) => p.revision !== workload.revision);
      readyTotal = workload.pods.filter(isReady).length;
    }
    while (workload.pods.length < workload.desired + surge && current().length < workload.desired) {
      workload.pods.push(this.newPod(workload, t));
    }
    const fresh = current();
    if (oldReady.length === 0 && fresh.length > workload.desired) this.deletePods(workload, fresh, fresh.length - workload.desired, t);
  }

  /**
   * Deletes `count` pods among `candidates`, in the ReplicaSet controller's order: unscheduled first, then
   * not Ready, then Ready; newest first within each group.
   */
  private deletePods(workload: Workload, candidates: Pod[], count: number, t: number): void {
    if (count <= 0) return;
    const rank = (p: Pod) => (p.node === null ? 0 : p.readyAt! > t ? 1 : 2);
    const victims = [...candidates].sort((a, b) => rank(a) - rank(b) || b.createdAt - a.createdAt || b.id - a.id).slice(0, count);
    const gone = new Set(victims);
    for (const pod of victims) this.unbind(workload, pod);
    workload.pods = workload.pods.filter((p) => !gone.has(p));
  }

  private unbind(workload: Workload, pod: Pod): void {
    if (!pod.node || pod.node === UNBOUNDED_NODE) {
      pod.node = null;
      pod.readyAt = null;
      return;
    }
    const requests = workload.spec.podRequests;
    if (requests) {
      pod.node.usedCpu -= requests.cpu;
      pod.node.usedMemoryMiB -= requests.memoryMiB;
    }
    pod.node.pods -= 1;
    pod.node = null;
    pod.readyAt = null;
  }

  /** Places a pending pod on the first Ready node with room; true when placed. */
  private schedule(workload: Workload, pod: Pod, t: number): boolean {
    const poolName = workload.spec.nodePool;
    if (poolName === undefined) {
      pod.node = UNBOUNDED_NODE;
      pod.readyAt = t + workload.spec.podStartupMs;
      return true;
    }
    const pool = this.pools.get(poolName)!;
    const requests = workload.spec.podRequests!;
    const free = this.freeOnEmptyNode(pool.spec);
    for (const node of pool.nodes) {
      if (node.readyAt > t) continue;
      if (node.usedCpu + requests.cpu <= free.cpu + 1e-9 && node.usedMemoryMiB + requests.memoryMiB <= free.memoryMiB + 1e-9) {
        node.usedCpu += requests.cpu;
        node.usedMemoryMiB += requests.memoryMiB;
        node.pods += 1;
        pod.node = node;
        pod.readyAt = t + workload.spec.podStartupMs;
        return true;
      }
    }
    return false;
  }

  /** Removes nodes: not-yet-Ready ones first (newest first), then those with the fewest pods. */
  private removeNodes(pool: Pool, count: number, t: number): void {
    const rank = (n: Node) => (n.readyAt > t ? 0 : 1);
    const victims = [...pool.nodes].sort((a, b) => rank(a) - rank(b) || a.pods - b.pods || b.createdAt - a.createdAt || b.id - a.id).slice(0, count);
    const gone = new Set(victims);
    pool.nodes = pool.nodes.filter((n) => !gone.has(n));
    // Evicted pods are replaced by their controller: new pods, pending until a node has room.
    for (const workload of this.workloads.values()) {
      workload.pods = workload.pods.map((pod) => {
        if (!pod.node || !gone.has(pod.node)) return pod;
        return this.newPod(workload, t);
      });
    }
  }
}

/** Creation time of the nodes that exist at the start: Ready long before anything else happens. */
const LONG_AGO = -1e13;

/** Stand-in node for workloads without a pool: pods there are scheduled at once. */
const UNBOUNDED_NODE: Node = { id: 0, pool: '', createdAt: 0, readyAt: 0, usedCpu: 0, usedMemoryMiB: 0, pods: 0, observed: true };

function pushSample(samples: number[], value: number): void {
  samples.push(value);
  if (samples.length > MAX_SAMPLES) samples.splice(0, samples.length - MAX_SAMPLES);
}
