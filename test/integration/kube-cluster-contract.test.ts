/** The ClusterActuator contract (test/contract/cluster.contract.ts) against the Kubernetes actuator and the strict fake API server, once per node-pool driver. */
import { clusterContract } from '../contract/cluster.contract.js';
import type { KubeActuatorOptions } from '../../src/kube/kube-actuator.js';
import { KubeActuator } from '../../src/kube/kube-actuator.js';
import { explicitKubeConfig } from '../../src/kube/kube-config.js';
import { KubeLeadTimeObserver } from '../../src/kube/lead-times.js';
import { FakeKubeApi } from '../support/fake-kube-api.js';
import { reconcileDeployments } from '../support/fake-kube-controllers.js';
import { deployment, hpa, node, scaledObject } from '../support/kube-objects.js';

type Pool = KubeActuatorOptions['nodePools'][number];
const T0 = Date.parse('2026-11-27T10:00:00Z');

const drivers: { label: string; driver: Pool['driver']; seed: (fake: FakeKubeApi) => void }[] = [
  {
    label: 'placeholder pause pods',
    driver: { type: 'placeholder', namespace: 'prescale', deployment: 'capacity-placeholder' },
    seed: (fake) => fake.seed(deployment({ namespace: 'prescale', name: 'capacity-placeholder', replicas: 0, labels: { app: 'capacity-placeholder' } })),
  },
  {
    label: 'capacity buffer',
    driver: { type: 'capacity-buffer', namespace: 'prescale', buffer: 'headroom' },
    seed: (fake) => fake.seed({ apiVersion: 'autoscaling.x-k8s.io/v1alpha1', kind: 'CapacityBuffer', metadata: { name: 'headroom', namespace: 'prescale' }, spec: { podTemplateRef: { name: 'node-sized' }, replicas: 1 } }),
  },
  {
    label: 'Cluster API MachineDeployment',
    driver: { type: 'cluster-api', namespace: 'capi', machineDeployment: 'md-0' },
    seed: (fake) => fake.seed({ apiVersion: 'cluster.x-k8s.io/v1beta1', kind: 'MachineDeployment', metadata: { name: 'md-0', namespace: 'capi' }, spec: { replicas: 3 }, status: { replicas: 3, selector: 'cluster.x-k8s.io/deployment-name=md-0' } }),
  },
  {
    label: 'Karpenter static NodePool',
    driver: { type: 'karpenter-static', nodePool: 'general' },
    seed: (fake) => fake.seed({ apiVersion: 'karpenter.sh/v1', kind: 'NodePool', metadata: { name: 'general' }, spec: { replicas: 3 } }),
  },
];

for (const { label, driver, seed } of drivers) {
  clusterContract(`Kubernetes actuator on the strict fake API (${label})`, async () => {
    let now = T0;
    const fake = await FakeKubeApi.start({ now: () => now });
    fake.seed(deployment({ namespace: 'shop', name: 'web', replicas: 3 }));
    reconcileDeployments(fake, now);
    const poolLabel: Record<string, string> = driver.type === 'karpenter-static' ? { 'karpenter.sh/nodepool': 'general' } : { 'prescale.io/node-pool': 'general' };
    for (const name of ['n1', 'n2', 'n3']) fake.seed(node({ name, labels: poolLabel, ready: true, createdAt: now - 200_000, readyAt: now - 20_000 }));
    seed(fake);
    const kubeConfig = explicitKubeConfig({ server: fake.url, token: fake.token });
    const clock = { now: () => now, sleep: async () => {} };
    const pool: Pool = { name: 'general', allocatable: { cpu: 4, memoryMiB: 16_384 }, daemonOverhead: { cpu: 0.1, memoryMiB: 128 }, provisioning: 210_000, minNodes: 0, maxNodes: 20, driver };
    return {
      actuator: new KubeActuator({ kubeConfig, clock, targets: [{ name: 'web', namespace: 'shop', kind: 'Deployment', nodePool: 'general' }], nodePools: [pool], retry: { maxAttempts: 3, baseDelayMs: 1 } }),
      observer: new KubeLeadTimeObserver({ kubeConfig, clock, nodePools: [pool] }),
      workload: { kind: 'Deployment', namespace: 'shop', name: 'web' },
      initialReplicas: 3,
      nodePool: 'general',
      settle: async () => {
        now += 60_000;
        reconcileDeployments(fake, now);
      },
      addAutoscaler: async ({ kind, namespace, name, scaleTargetRef: target }) => {
        fake.seed(kind === 'HorizontalPodAutoscaler' ? hpa({ namespace, name, target }) : scaledObject({ namespace, name, target }));
      },
      cleanup: () => fake.close(),
    };
  });
}
