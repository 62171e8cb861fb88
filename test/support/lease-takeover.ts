/**
 * Another replica's takeover of the Lease, written straight into the Kubernetes double: holder changed and
 * leaseTransitions incremented, as a real acquire does, without the replica under test seeing it happen.
 * Left out: the Lease timing fields (the fence compares holder and term only).
 */
import type { FakeKubeApi } from './fake-kube-api.js';

export function stealLease(fake: FakeKubeApi, holder: string, namespace = 'prescale', name = 'prescale-leader'): void {
  fake.update('coordination.k8s.io/v1', 'Lease', namespace, name, (lease) => {
    const spec = lease['spec'] as { holderIdentity: string; leaseTransitions: number };
    spec.holderIdentity = holder;
    spec.leaseTransitions += 1;
  });
}
