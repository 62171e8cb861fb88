/** The fake API server must reject what the real one rejects, or the actuator tests prove nothing. */
import { AppsV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { explicitKubeConfig } from '../../src/kube/kube-config.js';
import { FakeKubeApi } from '../support/fake-kube-api.js';
import { deployment } from '../support/kube-objects.js';

let fake: FakeKubeApi;
beforeAll(async () => {
  fake = await FakeKubeApi.start();
  fake.seed(deployment({ namespace: 'shop', name: 'web', replicas: 2 }));
  fake.seed({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'l', namespace: 'default' }, spec: { holderIdentity: 'a' } });
});
afterAll(async () => {
  await fake.close();
});

async function send(method: string, path: string, body?: unknown, contentType = 'application/merge-patch+json', token: string | null = fake.token) {
  const response = await fetch(`${fake.url}${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': contentType } : {}) },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as { kind: string; reason?: string; message?: string; code?: number } };
}

const scalePath = '/apis/apps/v1/namespaces/shop/deployments/web/scale';

describe('fake Kubernetes API strictness', () => {
  it('client-node without the merge-patch header sends JSON Patch, and the fake refuses it (415)', async () => {
    const apps = explicitKubeConfig({ server: fake.url, token: fake.token }).makeApiClient(AppsV1Api);
    const error = (await apps.patchNamespacedDeploymentScale({ namespace: 'shop', name: 'web', body: { spec: { replicas: 3 } } }).catch((e: unknown) => e)) as { code: number };
    expect(error.code).toBe(415);
    expect(fake.requests.at(-1)?.contentType).toBe('application/json-patch+json');
  });

  it('answers 401 without the bearer token and 404 for unknown paths and names', async () => {
    expect((await send('GET', scalePath, undefined, '', null)).status).toBe(401);
    expect((await send('GET', scalePath, undefined, '', 'wrong')).status).toBe(401);
    expect((await send('GET', '/apis/apps/v1/namespaces/shop/deployment/web/scale')).body).toMatchObject({ kind: 'Status', code: 404, reason: 'NotFound' });
    expect((await send('GET', '/apis/apps/v1/namespaces/shop/deployments/web/scales')).status).toBe(404);
    expect((await send('GET', '/apis/apps/v1/namespaces/shop/deployments/nope')).body).toMatchObject({ code: 404, message: 'deployments.apps "nope" not found' });
    expect((await send('GET', '/apis/apps/v1/deployments/web')).status).toBe(404); // namespaced resource without namespace
  });

  it('checks the scale patch body: integer >= 0, no unknown fields, valid JSON', async () => {
    expect((await send('PATCH', scalePath, { spec: { replicas: -1 } })).body).toMatchObject({ code: 422, reason: 'Invalid' });
    expect((await send('PATCH', scalePath, { spec: { replicas: 1.5 } })).status).toBe(422);
    expect((await send('PATCH', scalePath, { spec: { replicas: '3' } })).status).toBe(400);
    expect((await send('PATCH', scalePath, { spec: { replicas: 3, paused: true } })).body.message).toMatch(/unknown field "spec.paused"/);
    expect((await send('PATCH', scalePath, { status: { replicas: 3 } })).status).toBe(400);
    expect((await send('PATCH', scalePath, '{"spec":')).status).toBe(400);
    expect((await send('PATCH', scalePath, [{ op: 'replace', path: '/spec/replicas', value: 3 }], 'application/json-patch+json')).status).toBe(415);
    expect((await send('PATCH', scalePath, { spec: { replicas: 3 } }, 'application/strategic-merge-patch+json')).status).toBe(415);
    expect(fake.get('apps/v1', 'Deployment', 'shop', 'web')?.['spec']).toMatchObject({ replicas: 2 });
    expect((await send('PATCH', scalePath, { spec: { replicas: 0 } })).status).toBe(200);
  });

  it('create and replace need application/json, names that match the URL and a current resourceVersion', async () => {
    const leases = '/apis/coordination.k8s.io/v1/namespaces/default/leases';
    const lease = (name: string, extra: Record<string, unknown> = {}) => ({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name, ...extra }, spec: { holderIdentity: 'x' } });
    expect((await send('POST', leases, lease('n'), 'application/merge-patch+json')).status).toBe(415);
    expect((await send('POST', leases, lease('l'), 'application/json')).body).toMatchObject({ code: 409, reason: 'AlreadyExists' });
    expect((await send('POST', leases, { ...lease('n'), spec: { renewTime: '2026-11-27T10:00:00.123Z' } }, 'application/json')).status).toBe(400);
    expect((await send('POST', leases, { ...lease('n'), spec: { bogus: 1 } }, 'application/json')).status).toBe(400);
    expect((await send('POST', leases, { ...lease('n'), spec: { renewTime: '2026-11-27T10:00:00.123456Z' } }, 'application/json')).status).toBe(201);
    expect((await send('PUT', `${leases}/l`, lease('l'), 'application/json')).body).toMatchObject({ code: 422 }); // no resourceVersion
    expect((await send('PUT', `${leases}/l`, lease('other', { resourceVersion: '1' }), 'application/json')).status).toBe(400);
    expect((await send('PUT', `${leases}/l`, lease('l', { resourceVersion: '1' }), 'application/json')).body).toMatchObject({ code: 409, reason: 'Conflict' });
    const current = fake.get('coordination.k8s.io/v1', 'Lease', 'default', 'l') as { metadata: { resourceVersion: string } };
    const replaced = await send('PUT', `${leases}/l`, lease('l', { resourceVersion: current.metadata.resourceVersion }), 'application/json');
    expect(replaced.status).toBe(200);
    expect((await send('DELETE', `${leases}/l`)).status).toBe(405);
    expect((await send('PATCH', '/apis/metrics.k8s.io/v1beta1/nodes/n1', { a: 1 })).status).toBe(405);
  });

  it('rejects list field selectors the real server does not support', async () => {
    expect((await send('GET', '/api/v1/namespaces/shop/pods?fieldSelector=status.phase%3DPending')).status).toBe(200);
    expect((await send('GET', '/api/v1/namespaces/shop/pods?fieldSelector=status.reason%3DUnschedulable')).body).toMatchObject({ code: 400, message: 'field label not supported: status.reason' });
  });
});
