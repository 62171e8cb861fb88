/**
 * In a cluster without requestHeaderCAFile, the request-header CA, allowed names and header names come from
 * ConfigMap kube-system/extension-apiserver-authentication (read through @kubernetes/client-node from the
 * strict fake API server) and are re-read, so a change applies without a restart.
 */
import { request } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { externalMetricsSchema } from '../../src/config/schema.js';
import { startExternalMetricsServer, type ExternalMetricsServer } from '../../src/external-metrics/server.js';
import { explicitKubeConfig } from '../../src/kube/kube-config.js';
import { DEFAULT_RESOURCE_TYPES, FakeKubeApi } from '../support/fake-kube-api.js';
import { createTestPki, type KeyPair, type TestPki } from '../support/test-pki.js';

describe('request-header settings from the extension-apiserver-authentication ConfigMap', () => {
  let pki: TestPki;
  let fake: FakeKubeApi;
  let server: ExternalMetricsServer;

  const whoami = (pair: KeyPair, headers: Record<string, string> = {}) =>
    new Promise<{ status: number; body: Record<string, unknown> }>((resolve, reject) => {
      // /apis/external.metrics.k8s.io needs authentication; its 200 or 401 tells whether the caller passed.
      const req = request(`${server.url}/apis/external.metrics.k8s.io`, { cert: pair.cert, key: pair.key, rejectUnauthorized: false, agent: false, headers }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown> }));
      });
      req.on('error', reject);
      req.end();
    });

  beforeAll(async () => {
    pki = await createTestPki();
    fake = await FakeKubeApi.start({ resourceTypes: [...DEFAULT_RESOURCE_TYPES, { group: '', version: 'v1', resource: 'configmaps', kind: 'ConfigMap', namespaced: true }] });
    fake.seed({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { namespace: 'kube-system', name: 'extension-apiserver-authentication' },
      data: {
        'client-ca-file': pki.serverCa.cert,
        'requestheader-client-ca-file': pki.frontProxyCa.cert,
        'requestheader-allowed-names': '["front-proxy-client"]',
        'requestheader-username-headers': '["X-Remote-User"]',
        'requestheader-group-headers': '["X-Remote-Group"]',
        'requestheader-extra-headers-prefix': '["X-Remote-Extra-"]',
      },
    });
    server = await startExternalMetricsServer({
      config: externalMetricsSchema.parse({ port: 0, refreshMs: 1000 }),
      targets: [],
      planPeriodMs: 15_000,
      published: { get: () => undefined, refreshedAt: () => Date.now() },
      kubeConfig: explicitKubeConfig({ server: fake.url, token: fake.token }),
    });
  });

  afterAll(async () => {
    await server?.close();
    await fake?.close();
  });

  it('trusts the ConfigMap CA for an allowed name and refuses other names', async () => {
    expect(fake.requestsTo('GET', '/api/v1/namespaces/kube-system/configmaps/extension-apiserver-authentication').length).toBeGreaterThanOrEqual(1);
    expect((await whoami(pki.frontProxyClient, { 'X-Remote-User': 'system:serviceaccount:kube-system:horizontal-pod-autoscaler' })).status).toBe(200);
    const other = await whoami(pki.otherNameClient);
    expect(other.status).toBe(401);
    expect(String(other.body['message'])).toContain('CN=someone-else is not in requestheader-allowed-names');
    expect((await whoami(pki.strangerClient)).status).toBe(401);
  });

  it('applies a changed allowed-names list on the next re-read', async () => {
    fake.update('v1', 'ConfigMap', 'kube-system', 'extension-apiserver-authentication', (cm) => {
      (cm['data'] as Record<string, string>)['requestheader-allowed-names'] = '["someone-else"]';
    });
    const t0 = Date.now();
    while ((await whoami(pki.otherNameClient)).status !== 200 && Date.now() - t0 < 5_000) await new Promise((r) => setTimeout(r, 100));
    expect((await whoami(pki.otherNameClient)).status).toBe(200);
    expect((await whoami(pki.frontProxyClient)).status).toBe(401);
  });
});
