import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Clock } from '../../src/core/clock.js';
import { InputError, ServiceError } from '../../src/core/errors.js';
import { KubeActuator, RESTARTED_AT_ANNOTATION, type KubeActuatorOptions } from '../../src/kube/kube-actuator.js';
import { explicitKubeConfig } from '../../src/kube/kube-config.js';
import { FakeKubeApi } from '../support/fake-kube-api.js';
import { deployment, node, pod } from '../support/kube-objects.js';

const T0 = Date.parse('2026-11-27T10:00:00Z');
const MERGE = 'application/merge-patch+json';

let fake: FakeKubeApi;
let sleeps: number[];
const clock: Clock = { now: () => T0, sleep: async (ms) => void sleeps.push(ms) };

function pool(name: string, driver: KubeActuatorOptions['nodePools'][number]['driver']): KubeActuatorOptions['nodePools'][number] {
  return { name, allocatable: { cpu: 3.9, memoryMiB: 14_000 }, daemonOverhead: { cpu: 0.1, memoryMiB: 128 }, provisioning: 210_000, minNodes: 0, maxNodes: 20, driver };
}

function actuator(options: Partial<KubeActuatorOptions> = {}): KubeActuator {
  return new KubeActuator({
    kubeConfig: explicitKubeConfig({ server: fake.url, token: fake.token }),
    targets: [{ name: 'web', namespace: 'shop', kind: 'Deployment', nodePool: 'general' }],
    nodePools: [
      pool('general', { type: 'placeholder', namespace: 'prescale', deployment: 'capacity-placeholder' }),
      pool('buffered', { type: 'capacity-buffer', namespace: 'prescale', buffer: 'headroom' }),
      pool('capi', { type: 'cluster-api', namespace: 'capi', machineDeployment: 'md-0' }),
      pool('gpu', { type: 'karpenter-static', nodePool: 'gpu' }),
      pool('plan-only', { type: 'none' }),
    ],
    clock,
    retry: { maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 10_000, jitter: 0 }, // exact backoff; jitter is tested in faults-kube
    ...options,
  });
}

const web = { kind: 'Deployment', namespace: 'shop', name: 'web' };

beforeEach(async () => {
  sleeps = [];
  fake = await FakeKubeApi.start({ now: () => T0 });
});
afterEach(async () => {
  await fake.close();
});

describe('workloads through the scale subresource', () => {
  it('reads desired, Ready and rollout state of a Deployment', async () => {
    fake.seed(deployment({ namespace: 'shop', name: 'web', replicas: 4, readyReplicas: 3 }));
    expect(await actuator().getWorkload(web)).toEqual({ desiredReplicas: 4, readyReplicas: 3, rolloutInProgress: false });
    fake.update('apps/v1', 'Deployment', 'shop', 'web', (d) => {
      (d['metadata'] as { generation: number }).generation = 2; // a new template the controller has not seen
    });
    expect((await actuator().getWorkload(web)).rolloutInProgress).toBe(true);
  });

  it('a scale-up waiting for readiness is not a rollout; old pods still running are', async () => {
    fake.seed(deployment({ namespace: 'shop', name: 'web', replicas: 6, readyReplicas: 4 }));
    expect(await actuator().getWorkload(web)).toEqual({ desiredReplicas: 6, readyReplicas: 4, rolloutInProgress: false });
    fake.seed(deployment({ namespace: 'shop', name: 'api', replicas: 3, updatedReplicas: 3, statusReplicas: 4 }));
    expect((await actuator().getWorkload({ ...web, name: 'api' })).rolloutInProgress).toBe(true);
  });

  it('scales a Deployment with one merge patch of spec.replicas on /scale, with the bearer token', async () => {
    fake.seed(deployment({ namespace: 'shop', name: 'web', replicas: 2 }));
    await actuator().scaleWorkload(web, 5);
    const patches = fake.requestsTo('PATCH', '/apis/apps/v1/namespaces/shop/deployments/web/scale');
    expect(patches).toHaveLength(1);
    expect(patches[0]).toMatchObject({ contentType: MERGE, body: { spec: { replicas: 5 } }, authorization: `Bearer ${fake.token}`, status: 200 });
    expect(fake.get('apps/v1', 'Deployment', 'shop', 'web')?.['spec']).toMatchObject({ replicas: 5 });
    // Nothing but the scale subresource was written.
    expect(fake.requests.filter((r) => r.method !== 'GET' && !r.path.endsWith('/scale'))).toEqual([]);
  });

  it('scales a StatefulSet and any /scale resource (group/version/resource)', async () => {
    fake.seed(deployment({ namespace: 'db', name: 'pg', replicas: 1 }, 'StatefulSet'));
    fake.seed({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', metadata: { name: 'checkout', namespace: 'shop' }, spec: { replicas: 2 }, status: { replicas: 2, selector: 'app=checkout' } });
    fake.seed(pod({ namespace: 'shop', name: 'checkout-a', labels: { app: 'checkout' }, phase: 'Running', readyAt: T0 }));
    fake.seed(pod({ namespace: 'shop', name: 'checkout-b', labels: { app: 'checkout' }, phase: 'Running' }));
    const a = actuator();
    await a.scaleWorkload({ kind: 'StatefulSet', namespace: 'db', name: 'pg' }, 3);
    const rollout = { kind: 'argoproj.io/v1alpha1/rollouts', namespace: 'shop', name: 'checkout' };
    await a.scaleWorkload(rollout, 7);
    expect(fake.requestsTo('PATCH', '/apis/apps/v1/namespaces/db/statefulsets/pg/scale')[0]).toMatchObject({ contentType: MERGE, body: { spec: { replicas: 3 } } });
    expect(fake.requestsTo('PATCH', '/apis/argoproj.io/v1alpha1/namespaces/shop/rollouts/checkout/scale')[0]).toMatchObject({ contentType: MERGE, body: { spec: { replicas: 7 } } });
    // Ready replicas of a custom resource come from its pods (the scale selector).
    expect(await a.getWorkload(rollout)).toEqual({ desiredReplicas: 7, readyReplicas: 1, rolloutInProgress: false });
  });

  it('never writes to a forecast-only target', async () => {
    fake.seed(deployment({ namespace: 'shop', name: 'web', replicas: 2 }));
    const a = actuator({ targets: [{ name: 'web', namespace: 'shop', kind: 'Deployment', forecastOnly: true }] });
    await expect(a.scaleWorkload(web, 5)).rejects.toThrow(/forecast-only/);
    await expect(a.restartWorkload(web, 'probe failing')).rejects.toThrow(/forecast-only/);
    expect(await a.getWorkload(web)).toMatchObject({ desiredReplicas: 2 }); // reading is fine
    expect(fake.requests.filter((r) => r.method !== 'GET')).toEqual([]);
  });

  it('rejects a negative or fractional replica count before calling the API', async () => {
    await expect(actuator().scaleWorkload(web, -1)).rejects.toBeInstanceOf(InputError);
    await expect(actuator().scaleWorkload(web, 2.5)).rejects.toBeInstanceOf(InputError);
    expect(fake.requests).toHaveLength(0);
  });

  it('a missing workload is a non-retryable ServiceError naming it', async () => {
    const error = await actuator().scaleWorkload({ ...web, name: 'ghost' }, 3).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServiceError);
    expect((error as ServiceError).retryable).toBe(false);
    expect((error as ServiceError).message).toMatch(/shop\/ghost.*404 NotFound: deployments.apps "ghost" not found/);
    expect(fake.requests).toHaveLength(1);
  });
});

describe('retries', () => {
  beforeEach(() => {
    fake.seed(deployment({ namespace: 'shop', name: 'web', replicas: 2 }));
  });

  it('retries a 409 conflict at once and succeeds', async () => {
    fake.inject({ method: 'PATCH', path: '/scale', status: 409 });
    await actuator().scaleWorkload(web, 4);
    expect(fake.requestsTo('PATCH', /\/scale$/).map((r) => r.status)).toEqual([409, 200]);
    expect(sleeps).toEqual([0]);
  });

  it('waits the Retry-After of a 429 before retrying', async () => {
    fake.inject({ method: 'PATCH', status: 429, retryAfterSeconds: 3 });
    await actuator().scaleWorkload(web, 4);
    expect(sleeps).toEqual([3000]);
    expect(fake.get('apps/v1', 'Deployment', 'shop', 'web')?.['spec']).toMatchObject({ replicas: 4 });
  });

  it('backs off exponentially on 5xx', async () => {
    fake.inject({ method: 'PATCH', status: 503, times: 2 });
    await actuator().scaleWorkload(web, 4);
    expect(sleeps).toEqual([100, 200]);
    expect(fake.requestsTo('PATCH', /\/scale$/).map((r) => r.status)).toEqual([503, 503, 200]);
  });

  it('gives up after maxAttempts with a retryable ServiceError', async () => {
    fake.inject({ method: 'PATCH', status: 500, times: 10 });
    const error = await actuator().scaleWorkload(web, 4).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServiceError);
    expect((error as ServiceError).retryable).toBe(true);
    expect((error as ServiceError).message).toContain('after 4 attempts');
    expect(fake.requestsTo('PATCH', /\/scale$/)).toHaveLength(4);
  });

  it('retries when the API server cannot be reached, then reports its address', async () => {
    const url = fake.url;
    await fake.close();
    const a = new KubeActuator({ kubeConfig: explicitKubeConfig({ server: url, token: 't' }), targets: [], nodePools: [], clock, retry: { maxAttempts: 2, baseDelayMs: 1 } });
    const error = await a.getWorkload(web).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServiceError);
    expect((error as ServiceError).retryable).toBe(true);
    expect((error as ServiceError).message).toContain(url);
    fake = await FakeKubeApi.start();
  });
});

describe('rolling restart', () => {
  it('patches the pod template restartedAt annotation with a merge patch', async () => {
    fake.seed(deployment({ namespace: 'shop', name: 'web', replicas: 3 }));
    await actuator().restartWorkload(web, 'ready ratio 0.2 for 3 checks');
    const [patch] = fake.requestsTo('PATCH', '/apis/apps/v1/namespaces/shop/deployments/web');
    expect(patch?.contentType).toBe(MERGE);
    const stored = fake.get('apps/v1', 'Deployment', 'shop', 'web') as { metadata: { generation: number }; spec: { template: { metadata: { annotations: Record<string, string> } } } };
    expect(stored.spec.template.metadata.annotations[RESTARTED_AT_ANNOTATION]).toBe(new Date(T0).toISOString());
    expect(stored.spec.template.metadata.annotations['prescale.io/restart-reason']).toBe('ready ratio 0.2 for 3 checks');
    expect(stored.metadata.generation).toBe(2); // a new template: the controller will roll
  });

  it('refuses to restart during a rollout', async () => {
    fake.seed(deployment({ namespace: 'shop', name: 'web', replicas: 3, generation: 5, observedGeneration: 4 }));
    const error = await actuator().restartWorkload(web, 'probe failing').catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/rollout is in progress/);
    expect(fake.requests.filter((r) => r.method === 'PATCH')).toHaveLength(0);
  });
});

describe('node pools', () => {
  const generalNode = (name: string, ready: boolean) => node({ name, labels: { 'prescale.io/node-pool': 'general' }, ready });

  it('counts Ready nodes of the pool and unschedulable pods of its workloads', async () => {
    fake.seed(generalNode('n1', true));
    fake.seed(generalNode('n2', true));
    fake.seed(generalNode('n3', false));
    fake.seed(node({ name: 'other', labels: { 'prescale.io/node-pool': 'gpu' }, ready: true }));
    fake.seed(deployment({ namespace: 'shop', name: 'web', replicas: 5, readyReplicas: 2 }));
    fake.seed(deployment({ namespace: 'prescale', name: 'capacity-placeholder', replicas: 0, labels: { app: 'capacity-placeholder' } }));
    fake.seed(pod({ namespace: 'shop', name: 'web-1', labels: { app: 'web' }, phase: 'Running', readyAt: T0, nodeName: 'n1' }));
    fake.seed(pod({ namespace: 'shop', name: 'web-2', labels: { app: 'web' }, phase: 'Pending', unschedulable: true }));
    fake.seed(pod({ namespace: 'shop', name: 'web-3', labels: { app: 'web' }, phase: 'Pending', unschedulable: true }));
    fake.seed(pod({ namespace: 'shop', name: 'web-4', labels: { app: 'web' }, phase: 'Pending' })); // scheduled, pulling its image
    fake.seed(pod({ namespace: 'shop', name: 'batch-1', labels: { app: 'batch' }, phase: 'Pending', unschedulable: true })); // not a pool workload
    // Workloads use n1 only (n2 is empty) and no placeholders are asked for: 1 node asked.
    expect(await actuator().getNodePool('general')).toEqual({ desiredNodes: 1, readyNodes: 2, pendingPods: 2 });
    const nodeList = fake.requestsTo('GET', '/api/v1/nodes')[0];
    expect(nodeList?.query['labelSelector']).toBe('prescale.io/node-pool=general');
    expect(fake.requestsTo('GET', '/api/v1/namespaces/shop/pods')[0]?.query).toMatchObject({ labelSelector: 'app=web', fieldSelector: 'status.phase=Pending' });
  });

  it('placeholder: asks for the headroom between the planned nodes and what workloads use', async () => {
    for (const n of ['n1', 'n2', 'n3', 'n4', 'n5']) fake.seed(generalNode(n, true));
    fake.seed(deployment({ namespace: 'shop', name: 'web', replicas: 3 }));
    fake.seed(deployment({ namespace: 'prescale', name: 'capacity-placeholder', replicas: 1, labels: { app: 'capacity-placeholder' } }));
    for (const n of ['n1', 'n2', 'n3']) fake.seed(pod({ namespace: 'shop', name: `web-${n}`, labels: { app: 'web' }, phase: 'Running', readyAt: T0, nodeName: n }));
    for (const n of ['n1', 'n2', 'n3', 'n4', 'n5']) fake.seed(pod({ namespace: 'kube-system', name: `proxy-${n}`, labels: { app: 'proxy' }, phase: 'Running', readyAt: T0, nodeName: n, ownerKind: 'DaemonSet' }));
    fake.seed(pod({ namespace: 'prescale', name: 'pause-1', labels: { app: 'capacity-placeholder' }, phase: 'Running', readyAt: T0, nodeName: 'n4' }));
    fake.seed(pod({ namespace: 'shop', name: 'job-done', labels: { app: 'job' }, phase: 'Succeeded', nodeName: 'n5' }));
    const a = actuator();
    // 5 Ready nodes; workload pods on n1-n3 (n4 runs only a pause pod and a DaemonSet pod, n5 only a
    // DaemonSet pod and a finished pod): workloads use 3; 6 planned -> 3 placeholder pods.
    await a.scaleNodePool('general', 6);
    expect(fake.requestsTo('PATCH', '/apis/apps/v1/namespaces/prescale/deployments/capacity-placeholder/scale')[0]).toMatchObject({ contentType: MERGE, body: { spec: { replicas: 3 } } });
    expect((await a.getNodePool('general')).desiredNodes).toBe(6);
    // Fewer nodes than workloads use: no headroom, never negative.
    await a.scaleNodePool('general', 2);
    expect(fake.get('apps/v1', 'Deployment', 'prescale', 'capacity-placeholder')?.['spec']).toMatchObject({ replicas: 0 });
  });

  it('capacity-buffer: merge-patches spec.replicas with a resourceVersion precondition and re-reads after a 409', async () => {
    for (const n of ['b1', 'b2', 'b3']) fake.seed(node({ name: n, labels: { 'prescale.io/node-pool': 'buffered' }, ready: true }));
    // Workloads use b1 and b2; b3 is empty (headroom the buffer holds).
    for (const n of ['b1', 'b2']) fake.seed(pod({ namespace: 'shop', name: `api-${n}`, labels: { app: 'api' }, phase: 'Running', readyAt: T0, nodeName: n }));
    fake.seed({ apiVersion: 'autoscaling.x-k8s.io/v1alpha1', kind: 'CapacityBuffer', metadata: { name: 'headroom', namespace: 'prescale' }, spec: { podTemplateRef: { name: 'node-sized' }, replicas: 0 } });
    // Someone else changes the buffer between our read and our patch.
    fake.inject({ method: 'PATCH', path: '/capacitybuffers/headroom', status: 409 });
    await actuator().scaleNodePool('buffered', 5);
    const patches = fake.requestsTo('PATCH', '/apis/autoscaling.x-k8s.io/v1alpha1/namespaces/prescale/capacitybuffers/headroom');
    expect(patches.map((p) => p.status)).toEqual([409, 200]);
    expect(patches[1]?.body).toMatchObject({ metadata: { resourceVersion: expect.any(String) }, spec: { replicas: 3 } });
    expect(fake.requestsTo('GET', '/apis/autoscaling.x-k8s.io/v1alpha1/namespaces/prescale/capacitybuffers/headroom')).toHaveLength(2);
    expect(fake.get('autoscaling.x-k8s.io/v1alpha1', 'CapacityBuffer', 'prescale', 'headroom')?.['spec']).toMatchObject({ replicas: 3 });
  });

  it('a stale resourceVersion in a merge patch is a conflict, as on the real API server', async () => {
    fake.seed({ apiVersion: 'karpenter.sh/v1', kind: 'NodePool', metadata: { name: 'gpu' }, spec: { replicas: 2 } });
    const response = await fetch(`${fake.url}/apis/karpenter.sh/v1/nodepools/gpu`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${fake.token}`, 'content-type': MERGE },
      body: JSON.stringify({ metadata: { resourceVersion: '1' }, spec: { replicas: 9 } }),
    });
    expect(response.status).toBe(409);
    expect(await response.json()).toMatchObject({ kind: 'Status', reason: 'Conflict', code: 409 });
  });

  it('cluster-api: scales the MachineDeployment through /scale, never one the cluster autoscaler owns', async () => {
    const md = { apiVersion: 'cluster.x-k8s.io/v1beta1', kind: 'MachineDeployment', metadata: { name: 'md-0', namespace: 'capi' }, spec: { replicas: 2 }, status: { replicas: 2, selector: 'cluster.x-k8s.io/deployment-name=md-0' } };
    fake.seed(md);
    const a = actuator();
    await a.scaleNodePool('capi', 4);
    expect(fake.requestsTo('PATCH', '/apis/cluster.x-k8s.io/v1beta1/namespaces/capi/machinedeployments/md-0/scale')[0]).toMatchObject({ contentType: MERGE, body: { spec: { replicas: 4 } }, status: 200 });
    expect((await a.getNodePool('capi')).desiredNodes).toBe(4);

    fake.update('cluster.x-k8s.io/v1beta1', 'MachineDeployment', 'capi', 'md-0', (o) => {
      (o['metadata'] as Record<string, unknown>)['annotations'] = { 'cluster.x-k8s.io/cluster-api-autoscaler-node-group-min-size': '1', 'cluster.x-k8s.io/cluster-api-autoscaler-node-group-max-size': '10' };
    });
    const error = await a.scaleNodePool('capi', 6).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServiceError);
    expect((error as ServiceError).retryable).toBe(false);
    expect((error as Error).message).toMatch(/owned by the cluster autoscaler/);
    expect(fake.requestsTo('PATCH', /machinedeployments/)).toHaveLength(1);
  });

  it('karpenter-static: patches spec.replicas of a static NodePool and refuses a dynamic one', async () => {
    fake.seed({ apiVersion: 'karpenter.sh/v1', kind: 'NodePool', metadata: { name: 'gpu' }, spec: { replicas: 3, template: { spec: { nodeClassRef: { name: 'default' } } } } });
    fake.seed(node({ name: 'g1', labels: { 'karpenter.sh/nodepool': 'gpu' }, ready: true }));
    fake.seed(node({ name: 'g2', labels: { 'karpenter.sh/nodepool': 'gpu' }, ready: true, unschedulable: true }));
    const a = actuator();
    expect(await a.getNodePool('gpu')).toEqual({ desiredNodes: 3, readyNodes: 1, pendingPods: 0 });
    await a.scaleNodePool('gpu', 5);
    expect(fake.requestsTo('PATCH', '/apis/karpenter.sh/v1/nodepools/gpu')[0]).toMatchObject({ contentType: MERGE, body: { spec: { replicas: 5 } }, status: 200 });

    fake.seed({ apiVersion: 'karpenter.sh/v1', kind: 'NodePool', metadata: { name: 'gpu' }, spec: { template: { spec: { nodeClassRef: { name: 'default' } } } } });
    await expect(a.scaleNodePool('gpu', 6)).rejects.toThrow(/dynamic pool that Karpenter owns/);
    expect(fake.requestsTo('PATCH', '/apis/karpenter.sh/v1/nodepools/gpu')).toHaveLength(1);
  });

  it('none: records only, writes nothing; an unknown pool is an InputError', async () => {
    const a = actuator();
    await a.scaleNodePool('plan-only', 9);
    expect(fake.requests).toHaveLength(0);
    await expect(a.scaleNodePool('nope', 1)).rejects.toBeInstanceOf(InputError);
  });
});
