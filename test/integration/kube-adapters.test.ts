/** The adapters main.ts wires, built from a parsed config, against the fake API server over verified TLS. */
import { generate } from 'selfsigned';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { ServiceError } from '../../src/core/errors.js';
import { createKubeAdapters, leaseIdentity } from '../../src/kube/kube-adapters.js';
import { FakeKubeApi, kubeTime } from '../support/fake-kube-api.js';
import { deployment, node, pod } from '../support/kube-objects.js';

let fake: FakeKubeApi;
let caPem: string;

const config = parseConfig({
  kubernetes: { mode: 'in-cluster', leaseName: 'prescale-leader', leaseNamespace: 'prescale' },
  targets: [{ name: 'web', namespace: 'shop', load: { measurement: 'http_requests', field: 'requests' }, capacityPerReplica: 100, maxReplicas: 20, nodePool: 'general', podRequests: { cpu: 0.5, memoryMiB: 512 } }],
  nodePools: [{ name: 'general', allocatable: { cpu: 4, memoryMiB: 16384 }, maxNodes: 10, nodeSelector: { pool: 'general' }, driver: { type: 'placeholder', namespace: 'prescale', deployment: 'capacity-placeholder' } }],
}, {});

beforeAll(async () => {
  const pems = await generate([{ name: 'commonName', value: '127.0.0.1' }], {
    keySize: 2048,
    algorithm: 'sha256',
    extensions: [{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] }],
  });
  caPem = pems.cert;
  fake = await FakeKubeApi.start({ tls: { key: pems.private, cert: pems.cert } });
  fake.seed(deployment({ namespace: 'shop', name: 'web', replicas: 2 }));
  fake.seed(deployment({ namespace: 'prescale', name: 'capacity-placeholder', replicas: 0 }));
  fake.seed(node({ name: 'n1', labels: { pool: 'general' }, ready: true, cpu: '4', memory: '16Gi' }));
  fake.seed(pod({ namespace: 'shop', name: 'web-1', labels: { app: 'web' }, phase: 'Running', readyAt: Date.parse('2026-11-27T10:00:00Z'), nodeName: 'n1' }));
  fake.seed({ apiVersion: 'metrics.k8s.io/v1beta1', kind: 'NodeMetrics', metadata: { name: 'n1' }, timestamp: kubeTime(Date.parse('2026-11-27T10:00:00Z')), usage: { cpu: '1', memory: '4Gi' } });
});
afterAll(async () => {
  await fake.close();
});

describe('createKubeAdapters', () => {
  it('elects, scales, reads pools and collects over TLS verified with the CA', async () => {
    const adapters = createKubeAdapters(config, { identity: 'prescale-api-0', explicit: { server: fake.url, token: fake.token, caPem } });
    expect(await adapters.elector.tryAcquireOrRenew()).toBe(true);
    await adapters.actuator.scaleWorkload({ kind: 'Deployment', namespace: 'shop', name: 'web' }, 6);
    expect(fake.get('apps/v1', 'Deployment', 'shop', 'web')?.['spec']).toMatchObject({ replicas: 6 });
    await adapters.actuator.scaleNodePool('general', 3); // workloads use n1: 2 placeholder pods
    expect(fake.get('apps/v1', 'Deployment', 'prescale', 'capacity-placeholder')?.['spec']).toMatchObject({ replicas: 2 });
    const points = await adapters.collector.collectNodes();
    expect(points).toEqual([expect.objectContaining({ tags: { node: 'n1', pool: 'general' }, fields: expect.objectContaining({ cpu_utilization: 0.25 }) })]);
    expect(fake.requests.every((r) => r.authorization === `Bearer ${fake.token}`)).toBe(true);
  });

  it('refuses a server whose certificate the CA did not sign', async () => {
    const other = await generate([{ name: 'commonName', value: 'other' }], { keySize: 2048, algorithm: 'sha256' });
    const adapters = createKubeAdapters(config, { explicit: { server: fake.url, token: fake.token, caPem: other.cert } });
    const before = fake.requests.length;
    const error = await adapters.actuator.getWorkload({ kind: 'Deployment', namespace: 'shop', name: 'web' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServiceError);
    expect((error as ServiceError).message).toMatch(/kubernetes at https:\/\/127\.0\.0\.1/);
    expect((error as ServiceError).retryable).toBe(false); // a bad certificate does not heal by retrying
    expect(fake.requests.length).toBe(before);
  });

  it('identity comes from POD_NAME, else hostname and pid', () => {
    expect(leaseIdentity({ POD_NAME: 'prescale-api-7d9f-abcde' })).toBe('prescale-api-7d9f-abcde');
    expect(leaseIdentity({})).toMatch(new RegExp(`-${process.pid}$`));
  });
});
