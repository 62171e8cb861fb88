import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Clock } from '../../src/core/clock.js';
import { ServiceError } from '../../src/core/errors.js';
import { explicitKubeConfig } from '../../src/kube/kube-config.js';
import { KubeMetricsCollector } from '../../src/kube/metrics-collector.js';
import type { NodePoolConfig } from '../../src/config/schema.js';
import { FakeKubeApi, kubeTime } from '../support/fake-kube-api.js';
import { deployment, node } from '../support/kube-objects.js';

const T0 = Date.parse('2026-11-27T10:00:00Z');
const clock: Clock = { now: () => T0 + 60_000, sleep: async () => {} };
let fake: FakeKubeApi;

const pools: (Pick<NodePoolConfig, 'name' | 'driver'> & { nodeSelector?: Record<string, string> })[] = [
  { name: 'general', driver: { type: 'placeholder', namespace: 'prescale', deployment: 'capacity-placeholder' } },
  { name: 'gpu', driver: { type: 'karpenter-static', nodePool: 'gpu' } },
  { name: 'infra', driver: { type: 'none' }, nodeSelector: { 'node-role.example.com/infra': 'true' } },
];

function collector(targets = [{ name: 'web', namespace: 'shop', kind: 'Deployment' }]) {
  return new KubeMetricsCollector({ kubeConfig: explicitKubeConfig({ server: fake.url, token: fake.token }), targets, nodePools: pools, clock, retry: { maxAttempts: 2, baseDelayMs: 1 } });
}

function podMetrics(name: string, labels: Record<string, string>, containers: [string, string][]) {
  return {
    apiVersion: 'metrics.k8s.io/v1beta1', kind: 'PodMetrics', metadata: { name, namespace: 'shop', labels }, timestamp: kubeTime(T0), window: '15.011s',
    containers: containers.map(([cpu, memory], i) => ({ name: `c${i}`, usage: { cpu, memory } })),
  };
}

beforeEach(async () => {
  fake = await FakeKubeApi.start();
  fake.seed(deployment({ namespace: 'shop', name: 'web', replicas: 2 }));
  fake.seed(podMetrics('web-1', { app: 'web' }, [['250m', '512Mi'], ['123456789n', '131072Ki']]));
  fake.seed(podMetrics('web-2', { app: 'web' }, [['1', '1Gi']]));
  fake.seed(podMetrics('batch-1', { app: 'batch' }, [['3', '2Gi']]));
  fake.seed(node({ name: 'n1', labels: { 'prescale.io/node-pool': 'general' }, ready: true, cpu: '4', memory: '16Gi' }));
  fake.seed(node({ name: 'g1', labels: { 'karpenter.sh/nodepool': 'gpu' }, ready: true, cpu: '8000m', memory: '32Gi' }));
  fake.seed(node({ name: 'i1', labels: { 'node-role.example.com/infra': 'true' }, ready: true, cpu: '2', memory: '8Gi' }));
  fake.seed(node({ name: 'x1', labels: {}, ready: true, cpu: '2', memory: '4Gi' }));
  for (const [name, cpu, memory] of [['n1', '2', '8Gi'], ['g1', '1500m', '4096Mi'], ['i1', '500000000n', '2097152Ki'], ['x1', '1', '1Gi']] as const) {
    fake.seed({ apiVersion: 'metrics.k8s.io/v1beta1', kind: 'NodeMetrics', metadata: { name }, timestamp: kubeTime(T0), window: '20s', usage: { cpu, memory } });
  }
});
afterEach(async () => {
  await fake.close();
});

describe('metrics.k8s.io collector', () => {
  it('sums container usage of the target pods into k8s_pod points with parsed quantities', async () => {
    const points = await collector().collectPods();
    expect(points).toEqual([
      { measurement: 'k8s_pod', tags: { namespace: 'shop', workload: 'web', pod: 'web-1' }, fields: { cpu_cores: expect.closeTo(0.373456789, 9), memory_mib: 640 }, time: T0 },
      { measurement: 'k8s_pod', tags: { namespace: 'shop', workload: 'web', pod: 'web-2' }, fields: { cpu_cores: 1, memory_mib: 1024 }, time: T0 },
    ]);
  });

  it('lists pod metrics once per namespace and reuses workload selectors between collections', async () => {
    fake.seed(deployment({ namespace: 'shop', name: 'batch', replicas: 1 }));
    const c = collector([{ name: 'web', namespace: 'shop', kind: 'Deployment' }, { name: 'batch', namespace: 'shop', kind: 'Deployment' }]);
    const points = await c.collectPods();
    expect(points.map((p) => `${p.tags['workload']}/${p.tags['pod']}`)).toEqual(['web/web-1', 'web/web-2', 'batch/batch-1']);
    await c.collectPods();
    expect(fake.requestsTo('GET', '/apis/metrics.k8s.io/v1beta1/namespaces/shop/pods')).toHaveLength(2);
    expect(fake.requestsTo('GET', /\/scale$/)).toHaveLength(2); // one read per workload, then cached
  });

  it('turns node usage into k8s_node points with utilisation of allocatable and the pool', async () => {
    const points = await collector().collectNodes();
    const byNode = Object.fromEntries(points.map((p) => [p.tags['node'], p]));
    expect(byNode['n1']).toEqual({ measurement: 'k8s_node', tags: { node: 'n1', pool: 'general' }, fields: { cpu_cores: 2, memory_mib: 8192, cpu_utilization: 0.5, memory_utilization: 0.5 }, time: T0 });
    expect(byNode['g1']?.tags['pool']).toBe('gpu');
    expect(byNode['g1']?.fields).toEqual({ cpu_cores: 1.5, memory_mib: 4096, cpu_utilization: 0.1875, memory_utilization: 0.125 });
    expect(byNode['i1']).toMatchObject({ tags: { pool: 'infra' }, fields: { cpu_cores: 0.5, memory_mib: 2048, cpu_utilization: 0.25, memory_utilization: 0.25 } });
    expect(byNode['x1']?.tags['pool']).toBe('unpooled');
  });

  it('skips a target that does not exist, keeps the others', async () => {
    const points = await collector([{ name: 'ghost', namespace: 'shop', kind: 'Deployment' }, { name: 'web', namespace: 'shop', kind: 'Deployment' }]).collectPods();
    expect(points.map((p) => p.tags['pod'])).toEqual(['web-1', 'web-2']);
  });

  it('a metrics API that keeps failing is a retryable ServiceError', async () => {
    fake.inject({ path: '/apis/metrics.k8s.io/v1beta1/nodes', status: 503, times: 5 });
    const error = await collector().collectNodes().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServiceError);
    expect((error as ServiceError).retryable).toBe(true);
  });
});
