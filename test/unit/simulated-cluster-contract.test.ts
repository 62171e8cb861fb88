import { ReplayClock } from '../../src/core/clock.js';
import { SimulatedCluster } from '../../src/cluster/simulated-cluster.js';
import type { AutoscalerInfo } from '../../src/cluster/cluster.js';
import { clusterContract } from '../contract/cluster.contract.js';

clusterContract('simulated cluster', async () => {
  const clock = new ReplayClock(Date.UTC(2026, 0, 5));
  const workload = { namespace: 'shop', name: 'checkout', kind: 'Deployment' };
  const cluster = new SimulatedCluster(clock, {
    nodePools: [{ name: 'general', allocatable: { cpu: 4, memoryMiB: 16_384 }, daemonOverhead: { cpu: 0.1, memoryMiB: 128 }, provisioningMs: 210_000, minNodes: 1, maxNodes: 20, initialNodes: 2 }],
    workloads: [{ ref: workload, podStartupMs: 90_000, nodePool: 'general', podRequests: { cpu: 1, memoryMiB: 1024 }, initialReplicas: 4 }],
  });
  const autoscalers: AutoscalerInfo[] = [];
  return {
    actuator: cluster,
    observer: cluster,
    workload,
    initialReplicas: 4,
    nodePool: 'general',
    settle: async () => clock.advanceBy(30 * 60_000),
    addAutoscaler: async (autoscaler) => {
      autoscalers.push(autoscaler);
      cluster.setAutoscalers(autoscalers);
    },
  };
});
