import { describe, expect, it } from 'vitest';
import { nodeRoom, packPods, planNodePool, type NodePlanInput } from '../../src/scaling/node-pool.js';
import { makePool, syntheticForecast } from '../support/scaling-fixtures.js';

const pool = makePool({ allocatable: { cpu: 4, memoryMiB: 16_384 }, daemonOverhead: { cpu: 0.1, memoryMiB: 128 }, minNodes: 1, maxNodes: 20 });
const web = { workload: 'default/web', replicas: 10, requests: { cpu: 1, memoryMiB: 1024 } };

describe('packing pods onto nodes', () => {
  it('subtracts daemon overhead from the node room', () => {
    expect(nodeRoom(pool)).toEqual({ cpu: 3.9, memoryMiB: 16_256 });
    // 3.9 cores: three 1-core pods a node -> 10 pods need 4 nodes.
    expect(packPods(pool, [web])).toEqual({ nodes: 4, unplaceable: [] });
  });

  it('memory can be the binding dimension', () => {
    expect(packPods(pool, [{ workload: 'default/cache', replicas: 10, requests: { cpu: 0.25, memoryMiB: 6000 } }]).nodes).toBe(5);
  });

  it('fills the gaps left by large pods with small ones (first-fit decreasing)', () => {
    const big = { workload: 'default/big', replicas: 3, requests: { cpu: 2.5, memoryMiB: 2048 } };
    const small = { workload: 'default/small', replicas: 3, requests: { cpu: 1, memoryMiB: 1024 } };
    // Each node holds one big pod (2.5) and one small one (1): 3 nodes, not 3 + 1.
    expect(packPods(pool, [small, big]).nodes).toBe(3);
  });

  it('reports pods that fit on no node', () => {
    const huge = { workload: 'default/huge', replicas: 2, requests: { cpu: 8, memoryMiB: 1024 } };
    const p = packPods(pool, [huge, web]);
    expect(p.nodes).toBe(4);
    expect(p.unplaceable).toEqual(['default/huge: a pod requests 8 cores / 1024 MiB, a node has room for 3.9 / 16256']);
  });
});

const now = Date.UTC(2026, 0, 5, 12);
const base: NodePlanInput = {
  now,
  pool,
  cluster: { desiredNodes: 4, readyNodes: 4, pendingPods: 0 },
  demands: [web],
  nodeLeadMs: 210_000,
  intervalMs: 60_000,
  state: null,
};

describe('node-pool plan', () => {
  it('packs the replicas planned within the node lead window', () => {
    const plan = planNodePool({ ...base, demands: [{ ...web, replicas: 20 }] });
    expect(plan.desiredNodes).toBe(7);
    expect(plan.rule).toBe('pack 20 pods: 7 nodes');
    expect(plan.inputs).toMatchObject({ plannedPods: 20, packingNodes: 7, nodeLeadS: 210 });
  });

  it('follows forecast node utilisation when it needs more than packing', () => {
    const cpu = syntheticForecast(now, 60_000, 10, (i) => (i >= 3 ? 0.9 : 0.5), 0.05);
    const plan = planNodePool({ ...base, cpuForecast: cpu });
    // P90 of 0.9 is 0.95 -> ceil(4 x 0.95 / 0.8) = 5.
    expect(plan.desiredNodes).toBe(5);
    expect(plan.rule).toBe('node cpu forecast P90 95% of 4 nodes at target 80%: 5 nodes');
    // Live utilisation when there is no forecast.
    expect(planNodePool({ ...base, liveMemory: 1.0 }).desiredNodes).toBe(5);
  });

  it('pending pods get nodes at once, on top of the Ready ones', () => {
    const plan = planNodePool({ ...base, cluster: { desiredNodes: 4, readyNodes: 4, pendingPods: 4 } });
    expect(plan.desiredNodes).toBe(6);
    expect(plan.rule).toBe('pending pods 4: 6 nodes');
    // Nodes already coming up count.
    expect(planNodePool({ ...base, cluster: { desiredNodes: 6, readyNodes: 4, pendingPods: 4 } }).desiredNodes).toBe(6);
  });

  it('scale-in waits for the stabilisation window, a node at a time', () => {
    const shrink = { ...base, cluster: { desiredNodes: 8, readyNodes: 8, pendingPods: 0 } };
    const first = planNodePool({ ...shrink, state: { recommendations: [{ time: now - 300_000, nodes: 8 }] } });
    expect(first.desiredNodes).toBe(8);
    expect(first.rule).toBe('node scale-down stabilisation 600s holds 8');
    const later = planNodePool({ ...shrink, now: now + 400_000, state: first.state });
    expect(later.desiredNodes).toBe(7);
    expect(later.rule).toBe('node step limit -1');
    expect(JSON.parse(JSON.stringify(later.state))).toEqual(later.state);
  });

  it('min and max nodes always win, with an alert above max', () => {
    const plan = planNodePool({ ...base, demands: [{ ...web, replicas: 200 }] });
    expect(plan.desiredNodes).toBe(20);
    expect(plan.rule).toBe('max nodes 20');
    expect(plan.inputs.alertNodesAboveMax).toBe(1);
    const empty = planNodePool({ ...base, demands: [], cluster: { desiredNodes: 1, readyNodes: 1, pendingPods: 0 } });
    expect(empty.desiredNodes).toBe(1);
    expect(empty.rule).toBe('min nodes 1');
  });
});
