/**
 * The ClusterActuator contract: every implementation (the simulated cluster, the Kubernetes actuators against
 * the strict API test double) runs this same suite. `make` returns a fresh fixture per test.
 *
 * What the contract asks of an implementation:
 * - reads its own writes: after scaleWorkload(n), getWorkload().desiredReplicas is n; after scaleNodePool(n)
 *   (within the pool's bounds), getNodePool().desiredNodes is n;
 * - rejects a replica or node count that is not a whole number >= 0 with an InputError, before changing
 *   anything;
 * - rejects unknown workloads and pools with an error that names them;
 * - restartWorkload never changes the scale;
 * - counts are whole numbers >= 0, and Ready replicas never exceed the pods that exist (no more than
 *   desired once no rollout is in progress);
 * - lead-time samples (when the implementation observes them) are finite durations >= 0 in ms;
 * - listAutoscalers names the HPAs and ScaledObjects of one namespace (no other) with what each scales.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AutoscalerInfo, ClusterActuator, LeadTimeObserver, WorkloadRef } from '../../src/cluster/cluster.js';
import { InputError } from '../../src/core/errors.js';

export interface ClusterFixture {
  actuator: ClusterActuator;
  /** A workload that exists with `initialReplicas` replicas asked for. */
  workload: WorkloadRef;
  initialReplicas: number;
  /** A node pool that exists and accepts `desiredNodes` of its current value + 2. */
  nodePool: string;
  /** Present when the implementation observes lead times. */
  observer?: LeadTimeObserver;
  /** Lets the cluster's time pass (e.g. advances a replay clock), so that started pods and nodes can get Ready. */
  settle?: () => Promise<void>;
  /** Puts an HPA or ScaledObject into the cluster (it need not act). */
  addAutoscaler: (autoscaler: AutoscalerInfo) => Promise<void>;
  cleanup?: () => Promise<void>;
}

const isCount = (n: number) => Number.isInteger(n) && n >= 0;

export function clusterContract(name: string, make: () => Promise<ClusterFixture>): void {
  describe(`ClusterActuator contract: ${name}`, () => {
    let fx: ClusterFixture;
    beforeEach(async () => {
      fx = await make();
    });
    afterEach(async () => {
      await fx.cleanup?.();
    });

    it('reports the workload as asked for, with whole counts', async () => {
      const state = await fx.actuator.getWorkload(fx.workload);
      expect(state.desiredReplicas).toBe(fx.initialReplicas);
      expect(isCount(state.readyReplicas)).toBe(true);
      expect(typeof state.rolloutInProgress).toBe('boolean');
    });

    it('reads its own writes when scaling a workload up, down and to zero', async () => {
      for (const replicas of [fx.initialReplicas + 3, Math.max(0, fx.initialReplicas - 1), 0]) {
        await fx.actuator.scaleWorkload(fx.workload, replicas);
        expect((await fx.actuator.getWorkload(fx.workload)).desiredReplicas).toBe(replicas);
      }
    });

    it('never reports more Ready replicas than asked for once settled', async () => {
      await fx.actuator.scaleWorkload(fx.workload, fx.initialReplicas + 2);
      await fx.settle?.();
      const state = await fx.actuator.getWorkload(fx.workload);
      expect(state.rolloutInProgress).toBe(false);
      expect(state.readyReplicas).toBeLessThanOrEqual(state.desiredReplicas);
      expect(isCount(state.readyReplicas)).toBe(true);
    });

    it('rejects replica counts that are not whole numbers >= 0 with an InputError, changing nothing', async () => {
      for (const bad of [-1, 2.5, Number.NaN]) {
        await expect(fx.actuator.scaleWorkload(fx.workload, bad)).rejects.toBeInstanceOf(InputError);
      }
      expect((await fx.actuator.getWorkload(fx.workload)).desiredReplicas).toBe(fx.initialReplicas);
    });

    it('names an unknown workload in its error', async () => {
      const missing = { ...fx.workload, name: 'no-such-workload' };
      await expect(fx.actuator.getWorkload(missing)).rejects.toThrow(/no-such-workload/);
      await expect(fx.actuator.scaleWorkload(missing, 1)).rejects.toThrow(/no-such-workload/);
    });

    it('restarts without changing the scale', async () => {
      await fx.actuator.restartWorkload(fx.workload, 'contract test: redeploy');
      expect((await fx.actuator.getWorkload(fx.workload)).desiredReplicas).toBe(fx.initialReplicas);
    });

    it('reports the node pool with whole counts and reads its own writes', async () => {
      const before = await fx.actuator.getNodePool(fx.nodePool);
      expect(isCount(before.desiredNodes)).toBe(true);
      expect(isCount(before.readyNodes)).toBe(true);
      expect(isCount(before.pendingPods)).toBe(true);
      await fx.actuator.scaleNodePool(fx.nodePool, before.desiredNodes + 2);
      expect((await fx.actuator.getNodePool(fx.nodePool)).desiredNodes).toBe(before.desiredNodes + 2);
    });

    it('rejects node counts that are not whole numbers >= 0 and names an unknown pool', async () => {
      await expect(fx.actuator.scaleNodePool(fx.nodePool, -2)).rejects.toBeInstanceOf(InputError);
      await expect(fx.actuator.scaleNodePool(fx.nodePool, 1.5)).rejects.toBeInstanceOf(InputError);
      await expect(fx.actuator.getNodePool('no-such-pool')).rejects.toThrow(/no-such-pool/);
    });

    it('lists the HPAs and ScaledObjects of one namespace with what each scales', async () => {
      const { namespace, name } = fx.workload;
      expect(await fx.actuator.listAutoscalers(namespace)).toEqual({ autoscalers: [], unchecked: [] });
      const ref = { apiVersion: 'apps/v1', kind: 'Deployment', name };
      await fx.addAutoscaler({ kind: 'HorizontalPodAutoscaler', namespace, name: `${name}-hpa`, scaleTargetRef: ref });
      await fx.addAutoscaler({ kind: 'ScaledObject', namespace, name: `${name}-so`, scaleTargetRef: ref });
      await fx.addAutoscaler({ kind: 'HorizontalPodAutoscaler', namespace: 'elsewhere', name: 'other-hpa', scaleTargetRef: ref });
      const listing = await fx.actuator.listAutoscalers(namespace);
      expect(listing.unchecked).toEqual([]);
      expect(listing.autoscalers.map((a) => [a.kind, a.namespace, a.name, a.scaleTargetRef.kind, a.scaleTargetRef.name]).sort()).toEqual([
        ['HorizontalPodAutoscaler', namespace, `${name}-hpa`, 'Deployment', name],
        ['ScaledObject', namespace, `${name}-so`, 'Deployment', name],
      ]);
      expect((await fx.actuator.listAutoscalers('elsewhere')).autoscalers.map((a) => a.name)).toEqual(['other-hpa']);
    });

    it('gives lead-time samples as finite durations >= 0', async () => {
      const observer = fx.observer!;
      expect(observer).toBeDefined();
      await fx.actuator.scaleWorkload(fx.workload, fx.initialReplicas + 1);
      await fx.settle?.();
      const pods = await observer.podStartupSamples(fx.workload);
      const nodes = await observer.nodeProvisioningSamples(fx.nodePool);
      // The new pod was measured: an empty list would pass the checks below without checking anything.
      expect(pods.length).toBeGreaterThan(0);
      for (const sample of [...pods, ...nodes]) {
        expect(Number.isFinite(sample)).toBe(true);
        expect(sample).toBeGreaterThanOrEqual(0);
      }
    });
  });
}
