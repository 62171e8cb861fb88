import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { explicitKubeConfig } from '../../src/kube/kube-config.js';
import { KubeLeadTimeObserver } from '../../src/kube/lead-times.js';
import { FakeKubeApi } from '../support/fake-kube-api.js';
import { deployment, node, pod } from '../support/kube-objects.js';

const T0 = Date.parse('2026-11-27T10:00:00Z');
let fake: FakeKubeApi;

function observer() {
  return new KubeLeadTimeObserver({
    kubeConfig: explicitKubeConfig({ server: fake.url, token: fake.token }),
    nodePools: [{ name: 'general', driver: { type: 'placeholder', namespace: 'prescale', deployment: 'capacity-placeholder' } }],
    retry: { maxAttempts: 1 },
  });
}

beforeEach(async () => {
  fake = await FakeKubeApi.start();
});
afterEach(async () => {
  await fake.close();
});

describe('lead times measured from the API', () => {
  it('pod created -> Ready, oldest first, skipping pods not Ready yet and other workloads', async () => {
    fake.seed(deployment({ namespace: 'shop', name: 'web', replicas: 4 }));
    fake.seed(pod({ namespace: 'shop', name: 'web-c', labels: { app: 'web' }, phase: 'Running', createdAt: T0 + 600_000, readyAt: T0 + 600_000 + 95_000 }));
    fake.seed(pod({ namespace: 'shop', name: 'web-a', labels: { app: 'web' }, phase: 'Running', createdAt: T0, readyAt: T0 + 72_000 }));
    fake.seed(pod({ namespace: 'shop', name: 'web-b', labels: { app: 'web' }, phase: 'Running', createdAt: T0 + 300_000, readyAt: T0 + 300_000 + 81_000 }));
    fake.seed(pod({ namespace: 'shop', name: 'web-d', labels: { app: 'web' }, phase: 'Running', createdAt: T0 + 900_000 })); // not Ready
    fake.seed(pod({ namespace: 'shop', name: 'web-e', labels: { app: 'web' }, phase: 'Pending', createdAt: T0 + 900_000 }));
    fake.seed(pod({ namespace: 'shop', name: 'api-a', labels: { app: 'api' }, phase: 'Running', createdAt: T0, readyAt: T0 + 5_000 }));
    expect(await observer().podStartupSamples({ kind: 'Deployment', namespace: 'shop', name: 'web' })).toEqual([72_000, 81_000, 95_000]);
  });

  it('node created -> Ready for the pool nodes only', async () => {
    fake.seed(node({ name: 'n1', labels: { 'prescale.io/node-pool': 'general' }, ready: true, createdAt: T0, readyAt: T0 + 185_000 }));
    fake.seed(node({ name: 'n2', labels: { 'prescale.io/node-pool': 'general' }, ready: true, createdAt: T0 + 3_600_000, readyAt: T0 + 3_600_000 + 212_000 }));
    fake.seed(node({ name: 'n3', labels: { 'prescale.io/node-pool': 'general' }, ready: false, createdAt: T0 + 7_200_000 }));
    fake.seed(node({ name: 'g1', labels: { 'prescale.io/node-pool': 'gpu' }, ready: true, createdAt: T0, readyAt: T0 + 400_000 }));
    expect(await observer().nodeProvisioningSamples('general')).toEqual([185_000, 212_000]);
  });
});
