/**
 * Simulated cluster timing, checked against hand-computed times: pods get Ready a start-up time after they
 * are scheduled, nodes a provisioning time after they are asked for, pods wait Pending while no node has room.
 */
import { describe, expect, it } from 'vitest';
import { ReplayClock } from '../../src/core/clock.js';
import { InputError } from '../../src/core/errors.js';
import { SimulatedCluster, type SimulatedNodePoolSpec } from '../../src/cluster/simulated-cluster.js';
import { loadConfig } from '../../src/config/load-config.js';
import { REPO_ROOT } from '../../src/core/paths.js';

const t0 = Date.UTC(2026, 0, 5, 9);
const S = 1000;
const ref = { namespace: 'shop', name: 'checkout', kind: 'Deployment' };

/** 4 CPU nodes with 0.1 CPU of daemons: three 1-CPU pods a node. */
const pool = (initialNodes: number, extra: Partial<SimulatedNodePoolSpec> = {}): SimulatedNodePoolSpec => ({
  name: 'general',
  allocatable: { cpu: 4, memoryMiB: 16_384 },
  daemonOverhead: { cpu: 0.1, memoryMiB: 128 },
  provisioningMs: 210 * S,
  minNodes: 0,
  maxNodes: 50,
  initialNodes,
  ...extra,
});

function makeCluster(initialReplicas: number, initialNodes: number) {
  const clock = new ReplayClock(t0);
  const cluster = new SimulatedCluster(clock, {
    nodePools: [pool(initialNodes)],
    workloads: [{ ref, podStartupMs: 90 * S, nodePool: 'general', podRequests: { cpu: 1, memoryMiB: 1024 }, initialReplicas }],
  });
  return { clock, cluster };
}

describe('SimulatedCluster', () => {
  it('starts warm: initial replicas Ready on initial nodes', () => {
    const { cluster } = makeCluster(5, 2);
    expect(cluster.inspectWorkload(ref)).toMatchObject({ desiredReplicas: 5, readyReplicas: 5, pendingReplicas: 0, startingReplicas: 0 });
    expect(cluster.inspectNodePool('general')).toMatchObject({ desiredNodes: 2, readyNodes: 2, pendingPods: 0, podsPerNode: 3, totalPods: 5 });
  });

  it('makes a new pod Ready exactly its start-up time after it was scheduled, and records the sample', async () => {
    const { clock, cluster } = makeCluster(2, 2);
    await cluster.scaleWorkload(ref, 5);
    clock.advanceTo(t0 + 89_999);
    expect(cluster.inspectWorkload(ref)).toMatchObject({ readyReplicas: 2, startingReplicas: 3 });
    clock.advanceTo(t0 + 90 * S);
    expect(cluster.inspectWorkload(ref)).toMatchObject({ readyReplicas: 5, startingReplicas: 0 });
    expect(await cluster.podStartupSamples(ref)).toEqual([90_000, 90_000, 90_000]);
  });

  it('keeps pods Pending while no node has room, and starts them when a new node is Ready', async () => {
    const { clock, cluster } = makeCluster(3, 1); // the one node is full
    await cluster.scaleWorkload(ref, 5);
    expect(cluster.inspectWorkload(ref)).toMatchObject({ readyReplicas: 3, pendingReplicas: 2 });
    expect(await cluster.getNodePool('general')).toEqual({ desiredNodes: 1, readyNodes: 1, pendingPods: 2 });

    clock.advanceTo(t0 + 60 * S);
    await cluster.scaleNodePool('general', 2); // node Ready at 60 + 210 = 270 s
    clock.advanceTo(t0 + 269 * S);
    expect(await cluster.getNodePool('general')).toEqual({ desiredNodes: 2, readyNodes: 1, pendingPods: 2 });
    clock.advanceTo(t0 + 270 * S);
    expect(cluster.inspectWorkload(ref)).toMatchObject({ pendingReplicas: 0, startingReplicas: 2 });
    // Scheduled at 270 s, Ready at 360 s; created at 0 s, so the pod lead time is 360 s.
    clock.advanceTo(t0 + 359 * S);
    expect(cluster.inspectWorkload(ref).readyReplicas).toBe(3);
    clock.advanceTo(t0 + 360 * S);
    expect(cluster.inspectWorkload(ref).readyReplicas).toBe(5);
    expect(await cluster.podStartupSamples(ref)).toEqual([360_000, 360_000]);
    expect(await cluster.nodeProvisioningSamples('general')).toEqual([210_000]);
  });

  it('gives the same result whether it is asked every tick or once after a long jump', () => {
    const a = makeCluster(3, 1);
    const b = makeCluster(3, 1);
    for (const x of [a, b]) {
      x.cluster.setReplicas(ref, 8);
      x.cluster.setNodes('general', 3);
    }
    for (let t = t0; t <= t0 + 400 * S; t += 15 * S) {
      a.clock.advanceTo(t);
      a.cluster.inspectWorkload(ref);
    }
    b.clock.advanceTo(t0 + 400 * S);
    expect(b.cluster.inspectWorkload(ref)).toEqual(a.cluster.inspectWorkload(ref));
    expect(b.cluster.inspectWorkload(ref)).toMatchObject({ readyReplicas: 8, pendingReplicas: 0 });
  });

  it('packs by the binding resource: 6000 MiB pods fit twice on a 16 GiB node, 1 CPU pods three times', () => {
    const clock = new ReplayClock(t0);
    const cluster = new SimulatedCluster(clock, {
      nodePools: [pool(1)],
      workloads: [{ ref, podStartupMs: 0, nodePool: 'general', podRequests: { cpu: 1, memoryMiB: 6000 }, initialReplicas: 0 }],
    });
    expect(cluster.inspectNodePool('general').podsPerNode).toBe(2);
    cluster.setReplicas(ref, 3);
    expect(cluster.inspectWorkload(ref)).toMatchObject({ readyReplicas: 2, pendingReplicas: 1 });
  });

  it('removes pods at once on scale-in: pending first, then starting, then Ready (newest first)', async () => {
    const { clock, cluster } = makeCluster(3, 2); // 6 slots
    clock.advanceTo(t0 + 10 * S);
    cluster.setReplicas(ref, 8); // 3 starting, 2 pending
    expect(cluster.inspectWorkload(ref)).toMatchObject({ readyReplicas: 3, startingReplicas: 3, pendingReplicas: 2 });
    cluster.setReplicas(ref, 5);
    expect(cluster.inspectWorkload(ref)).toMatchObject({ readyReplicas: 3, startingReplicas: 2, pendingReplicas: 0 });
    cluster.setReplicas(ref, 2);
    expect(cluster.inspectWorkload(ref)).toMatchObject({ desiredReplicas: 2, readyReplicas: 2, startingReplicas: 0 });
  });

  it('evicts the pods of a removed node: they come back as new pods that must start again', () => {
    const { clock, cluster } = makeCluster(4, 2); // node 1: 3 pods, node 2: 1 pod
    clock.advanceTo(t0 + 5 * S);
    cluster.setNodes('general', 1);
    // The emptier node goes; its pod is re-created and finds no room.
    expect(cluster.inspectWorkload(ref)).toMatchObject({ desiredReplicas: 4, readyReplicas: 3, pendingReplicas: 1 });
  });

  it('holds node requests within the pool bounds', () => {
    const clock = new ReplayClock(t0);
    const cluster = new SimulatedCluster(clock, { nodePools: [pool(2, { minNodes: 1, maxNodes: 4 })], workloads: [] });
    cluster.setNodes('general', 9);
    expect(cluster.inspectNodePool('general').desiredNodes).toBe(4);
    cluster.setNodes('general', 0);
    expect(cluster.inspectNodePool('general').desiredNodes).toBe(1);
  });

  it('restarts gradually: one pod at a time (surge 25% of 4 = 1), never fewer Ready pods than asked for', async () => {
    const { clock, cluster } = makeCluster(4, 2);
    await cluster.restartWorkload(ref, 'test');
    expect((await cluster.getWorkload(ref)).rolloutInProgress).toBe(true);
    const readyOverTime: number[] = [];
    for (let s = 0; s < 360; s += 15) {
      clock.advanceTo(t0 + s * S);
      const w = cluster.inspectWorkload(ref);
      readyOverTime.push(w.readyReplicas);
      expect(w.rolloutInProgress).toBe(true);
    }
    expect(Math.min(...readyOverTime)).toBeGreaterThanOrEqual(4);
    // Four replacements of 90 s each: done at 360 s.
    clock.advanceTo(t0 + 360 * S);
    expect(await cluster.getWorkload(ref)).toEqual({ desiredReplicas: 4, readyReplicas: 4, rolloutInProgress: false });
    expect(await cluster.podStartupSamples(ref)).toEqual([90_000, 90_000, 90_000, 90_000]);
  });

  it('schedules pods of a workload without a node pool at once', () => {
    const clock = new ReplayClock(t0);
    const cluster = new SimulatedCluster(clock, { workloads: [{ ref, podStartupMs: 30 * S, initialReplicas: 1 }] });
    cluster.setReplicas(ref, 100);
    clock.advanceTo(t0 + 30 * S);
    expect(cluster.inspectWorkload(ref)).toMatchObject({ readyReplicas: 100, pendingReplicas: 0 });
  });

  it('rejects a workload that names an unknown pool, and initial replicas that do not fit', () => {
    const clock = new ReplayClock(t0);
    expect(() => new SimulatedCluster(clock, { workloads: [{ ref, podStartupMs: 0, nodePool: 'gpu', podRequests: { cpu: 1, memoryMiB: 1 } }] })).toThrow(InputError);
    expect(
      () => new SimulatedCluster(clock, { nodePools: [pool(1)], workloads: [{ ref, podStartupMs: 0, nodePool: 'general', podRequests: { cpu: 1, memoryMiB: 1 }, initialReplicas: 4 }] }),
    ).toThrow(/do not fit/);
  });

  it('is built from the service config (the demo): one workload per target, one pool per node pool', async () => {
    const config = loadConfig(`${REPO_ROOT}/prescale.yaml`, {});
    const clock = new ReplayClock(t0);
    const cluster = SimulatedCluster.fromConfig(clock, config, { replicas: { 'shop/web': 6 }, nodes: { general: 2 } });
    const web = { namespace: 'shop', name: 'web', kind: 'Deployment' };
    expect(await cluster.getWorkload(web)).toEqual({ desiredReplicas: 6, readyReplicas: 6, rolloutInProgress: false });
    // 4 CPU - 0.2 daemons = 3.8 CPU: seven 0.5 CPU pods; 16384 - 512 MiB: fifteen 1 GiB pods. CPU binds.
    expect(cluster.inspectNodePool('general')).toMatchObject({ desiredNodes: 2, readyNodes: 2, podsPerNode: 7 });
  });
});
