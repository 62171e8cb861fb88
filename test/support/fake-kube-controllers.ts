/**
 * A stand-in for the Deployment controller and the kubelet, for tests that need time to pass on the fake API
 * server: brings every Deployment's pods and status in line with its spec, new pods Ready after a start-up
 * time. Crude on purpose (no ReplicaSets, no surge): enough for "scaled pods become Ready".
 */
import type { FakeKubeApi } from './fake-kube-api.js';
import { pod } from './kube-objects.js';

type Json = Record<string, unknown>;

export function reconcileDeployments(fake: FakeKubeApi, now: number, startupMs = 30_000): void {
  for (const deployment of fake.listObjects('apps/v1', 'Deployment')) {
    const metadata = deployment['metadata'] as { name: string; namespace: string; generation?: number };
    const spec = deployment['spec'] as { replicas?: number; selector: { matchLabels: Record<string, string> } };
    const desired = spec.replicas ?? 1;
    const labels = spec.selector.matchLabels;
    const pods = fake.listObjects('v1', 'Pod', metadata.namespace).filter((p) => Object.entries(labels).every(([k, v]) => ((p['metadata'] as Json)['labels'] as Record<string, string>)?.[k] === v));
    for (let i = pods.length; i < desired; i += 1) {
      fake.seed(pod({ namespace: metadata.namespace, name: `${metadata.name}-${now}-${i}`, labels, phase: 'Running', createdAt: now - startupMs, readyAt: now }));
    }
    for (const extra of pods.slice(desired)) fake.delete('v1', 'Pod', metadata.namespace, (extra['metadata'] as { name: string }).name);
    fake.update('apps/v1', 'Deployment', metadata.namespace, metadata.name, (d) => {
      d['status'] = { observedGeneration: metadata.generation ?? 1, replicas: desired, updatedReplicas: desired, readyReplicas: desired, availableReplicas: desired };
    });
  }
}
