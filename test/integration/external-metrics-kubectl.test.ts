/**
 * The external metrics API as kube-apiserver and kubectl see it: the real kubectl (/usr/bin/kubectl) over
 * TLS with a front-proxy client certificate, values published into real Redis through the published-plan
 * store and served from the API replica's in-memory cache. Also: refusals (no certificate, another CA's
 * certificate, X-Remote-User without a verified certificate), Status bodies, and the cache outliving Redis.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { externalMetricsSchema } from '../../src/config/schema.js';
import { connectRedis } from '../../src/core/redis.js';
import { startExternalMetricsServer, type ExternalMetricsServer } from '../../src/external-metrics/server.js';
import { startPublishedCache, type PublishedCache } from '../../src/publish/published-cache.js';
import type { PublishedPlan } from '../../src/publish/published-plan.js';
import { createRedisPublishedPlanStore, type PublishedPlanStore } from '../../src/publish/published-plan-store.js';
import { createTestPki, type KeyPair, type TestPki } from '../support/test-pki.js';

const run = promisify(execFile);
const KUBECTL = '/usr/bin/kubectl';
const READ_TOKEN = 'external-metrics-read-token-01';
const METRIC_PATH = '/apis/external.metrics.k8s.io/v1beta1/namespaces/default/prescale-planned-replicas';

describe('external metrics API over TLS (real kubectl, real Redis)', () => {
  let pki: TestPki;
  let dir: string;
  let writer: Redis;
  let cacheRedis: Redis;
  let store: PublishedPlanStore;
  let cache: PublishedCache;
  let server: ExternalMetricsServer;
  const prefix = `extmetrics-it-${process.pid}-${Date.now()}`;
  const env = () => ({ ...process.env, HOME: dir, KUBECACHEDIR: join(dir, 'cache'), KUBECONFIG: join(dir, 'kubeconfig') });

  const plan = (plannedReplicas: number, at = Date.now()): PublishedPlan => ({
    target: 'default/web', at, loop: 'plan', actuation: 'hpa', mode: 'predictive', plannedReplicas, desiredReplicas: plannedReplicas, readyReplicas: plannedReplicas,
    quantile: 98, podLeadMs: 90_000, predictedNow: { at, median: 812.25, quantile: 930 }, predictedAhead: { at: at + 90_000, median: 990, quantile: 1104.5 }, forecastIssuedAt: at - 30_000, rule: 'forecast',
  });

  async function kubectl(args: string[], kubeconfig = join(dir, 'kubeconfig')): Promise<{ stdout: string; stderr: string; code: number }> {
    try {
      const { stdout, stderr } = await run(KUBECTL, ['--kubeconfig', kubeconfig, ...args], { env: env(), timeout: 30_000 });
      return { stdout, stderr, code: 0 };
    } catch (error) {
      const e = error as { stdout?: string; stderr?: string; code?: number };
      return { stdout: e.stdout ?? '', stderr: e.stderr ?? '', code: typeof e.code === 'number' ? e.code : -1 };
    }
  }

  async function writeKubeconfig(file: string, user: { pair?: KeyPair; token?: string }): Promise<void> {
    const files = (name: string, pair: KeyPair) => {
      writeFileSync(join(dir, `${name}.crt`), pair.cert);
      writeFileSync(join(dir, `${name}.key`), pair.key);
      return [join(dir, `${name}.crt`), join(dir, `${name}.key`)] as const;
    };
    const config = (...args: string[]) => run(KUBECTL, ['config', `--kubeconfig=${file}`, ...args], { env: env() });
    await config('set-cluster', 'prescale', `--server=${server.url}`, `--certificate-authority=${join(dir, 'serving-ca.crt')}`, '--embed-certs=true');
    if (user.pair) {
      const [crt, key] = files(`user-${file.split('/').pop()}`, user.pair);
      await config('set-credentials', 'user', `--client-certificate=${crt}`, `--client-key=${key}`, '--embed-certs=true');
    } else {
      await config('set-credentials', 'user', `--token=${user.token}`);
    }
    await config('set-context', 'prescale', '--cluster=prescale', '--user=user');
    await config('use-context', 'prescale');
  }

  /** A raw HTTPS GET with an optional client certificate and headers: status, JSON body. */
  function get(path: string, options: { pair?: KeyPair; headers?: Record<string, string>; method?: string } = {}): Promise<{ status: number; body: Record<string, unknown>; headers: Record<string, unknown> }> {
    return new Promise((resolve, reject) => {
      const req = request(`${server.url}${path}`, { method: options.method ?? 'GET', ca: pki.serverCa.cert, ...(options.pair ? { cert: options.pair.cert, key: options.pair.key } : {}), headers: options.headers ?? {}, agent: false }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text.startsWith('{') ? (JSON.parse(text) as Record<string, unknown>) : { text }, headers: res.headers }));
      });
      req.on('error', reject);
      req.end();
    });
  }

  const servedValue = async () => ((await get(`${METRIC_PATH}?labelSelector=target%3Dweb`, { pair: pki.frontProxyClient })).body['items'] as { value: string }[] | undefined)?.[0]?.value;

  beforeAll(async () => {
    pki = await createTestPki();
    dir = mkdtempSync(join(tmpdir(), 'prescale-extmetrics-'));
    writeFileSync(join(dir, 'serving-ca.crt'), pki.serverCa.cert);
    writeFileSync(join(dir, 'server.crt'), pki.server.cert);
    writeFileSync(join(dir, 'server.key'), pki.server.key);
    writeFileSync(join(dir, 'front-proxy-ca.crt'), pki.frontProxyCa.cert);
    writer = await connectRedis(inject('redisUrl'));
    cacheRedis = await connectRedis(inject('redisUrl'));
    store = createRedisPublishedPlanStore(writer, prefix);
    await store.put(plan(7));
    cache = startPublishedCache(createRedisPublishedPlanStore(cacheRedis, prefix), { refreshMs: 300 });
    await cache.refresh();
    server = await startExternalMetricsServer({
      config: externalMetricsSchema.parse({
        port: 0,
        certFile: join(dir, 'server.crt'),
        keyFile: join(dir, 'server.key'),
        requestHeaderCAFile: join(dir, 'front-proxy-ca.crt'),
        tokens: [{ name: 'local', scopes: ['read'], token: READ_TOKEN }],
      }),
      targets: [
        { namespace: 'default', name: 'web', kind: 'Deployment', quantile: 98 },
        { namespace: 'default', name: 'api', kind: 'Deployment', quantile: 98 },
      ],
      planPeriodMs: 15_000,
      published: cache,
    });
    await writeKubeconfig(join(dir, 'kubeconfig'), { pair: pki.frontProxyClient });
  });

  afterAll(async () => {
    await server?.close();
    cache?.stop();
    await writer?.del(`${prefix}:published`);
    writer?.disconnect();
    cacheRedis?.disconnect();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('kubectl reads the planned replicas published into Redis, over TLS with a client certificate', async () => {
    const result = await kubectl(['get', '--raw', `${METRIC_PATH}?labelSelector=target%3Dweb`]);
    expect(result.stderr).toBe('');
    const list = JSON.parse(result.stdout) as { kind: string; items: { metricName: string; metricLabels: Record<string, string>; timestamp: string; value: string }[] };
    const stored = (await store.all()).get('default/web')!;
    expect(list.kind).toBe('ExternalMetricValueList');
    expect(list.items).toHaveLength(1);
    expect(Number(list.items[0]!.value)).toBe(stored.plannedReplicas);
    expect(list.items[0]!.metricLabels).toEqual({ target: 'web', namespace: 'default', deployment: 'web' });
    expect(Date.parse(list.items[0]!.timestamp)).toBe(Math.floor(stored.at / 1000) * 1000);
  });

  it('kubectl reads the predicted load with quantile and horizon labels', async () => {
    const result = await kubectl(['get', '--raw', '/apis/external.metrics.k8s.io/v1beta1/namespaces/default/prescale-predicted-load?labelSelector=deployment%3Dweb%2Cquantile%3D50%2Chorizon%3Dnow']);
    const list = JSON.parse(result.stdout) as { items: { value: string; metricLabels: Record<string, string> }[] };
    expect(list.items.map((i) => [i.metricLabels['quantile'], i.metricLabels['horizon'], i.value])).toEqual([['50', 'now', '812250m']]);
  });

  it('serves discovery as kubectl and the aggregator read it', async () => {
    const groups = JSON.parse((await kubectl(['get', '--raw', '/apis'])).stdout) as { kind: string; groups: { name: string }[] };
    expect(groups.kind).toBe('APIGroupList');
    expect(groups.groups.map((g) => g.name)).toEqual(['external.metrics.k8s.io']);
    const resources = JSON.parse((await kubectl(['get', '--raw', '/apis/external.metrics.k8s.io/v1beta1'])).stdout) as { kind: string; resources: { name: string }[] };
    expect(resources).toMatchObject({ kind: 'APIResourceList', groupVersion: 'external.metrics.k8s.io/v1beta1', resources: [{ name: 'externalmetrics', kind: 'ExternalMetricValueList', namespaced: true, verbs: ['get'] }] });
    // kubectl api-resources uses aggregated discovery on /apis (and tolerates the 404 on /api).
    const apiResources = await kubectl(['api-resources', '--api-group=external.metrics.k8s.io', '--no-headers']);
    expect(apiResources.stdout).toMatch(/^externalmetrics\s+external\.metrics\.k8s\.io\/v1beta1\s+true\s+ExternalMetricValueList/m);
    const aggregated = await get('/apis', { pair: pki.frontProxyClient, headers: { accept: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList' } });
    expect(aggregated.headers['content-type']).toBe('application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList');
    expect(aggregated.body['kind']).toBe('APIGroupDiscoveryList');
    const again = await get('/apis', { pair: pki.frontProxyClient, headers: { accept: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList', 'if-none-match': String(aggregated.headers['etag']) } });
    expect(again.status).toBe(304);
    for (const path of ['/openapi/v2', '/openapi/v3', '/openapi/v3/apis/external.metrics.k8s.io/v1beta1', '/apis/external.metrics.k8s.io']) {
      expect((await get(path, { pair: pki.frontProxyClient })).status, path).toBe(200);
    }
  });

  it('accepts a read bearer token without a certificate (kubectl --token)', async () => {
    await writeKubeconfig(join(dir, 'token-kubeconfig'), { token: READ_TOKEN });
    const result = await kubectl(['get', '--raw', `${METRIC_PATH}?labelSelector=target%3Dweb`], join(dir, 'token-kubeconfig'));
    expect(JSON.parse(result.stdout).items[0].value).toBe('7');
  });

  it('refuses a certificate from another CA, and no certificate at all', async () => {
    await writeKubeconfig(join(dir, 'stranger-kubeconfig'), { pair: pki.strangerClient });
    const stranger = await kubectl(['get', '--raw', METRIC_PATH], join(dir, 'stranger-kubeconfig'));
    expect(stranger.code).not.toBe(0);
    expect(stranger.stdout).toBe('');
    expect(stranger.stderr).toMatch(/Unauthorized/);
    const none = await get(`${METRIC_PATH}?labelSelector=target%3Dweb`);
    expect(none.status).toBe(401);
    expect(none.body).toMatchObject({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Unauthorized', code: 401 });
  });

  it('ignores X-Remote-User without a verified certificate', async () => {
    const headers = { 'X-Remote-User': 'system:kube-controller-manager', 'X-Remote-Group': 'system:masters' };
    expect((await get(`${METRIC_PATH}?labelSelector=target%3Dweb`, { headers })).status).toBe(401);
    const stranger = await get(`${METRIC_PATH}?labelSelector=target%3Dweb`, { pair: pki.strangerClient, headers });
    expect(stranger.status).toBe(401);
    expect(String(stranger.body['message'])).toContain('not signed by the request-header CA');
  });

  it('answers bad input with Kubernetes Status bodies, never a 500', async () => {
    const cases: [string, string, number, string][] = [
      ['GET', '/apis/external.metrics.k8s.io/v1beta1/namespaces/default/no-such-metric', 404, 'NotFound'],
      ['GET', `${METRIC_PATH}?labelSelector=target%20in%20(web`, 400, 'BadRequest'],
      ['GET', `${METRIC_PATH}?labelSelector=target%3Dnope`, 404, 'NotFound'],
      ['GET', '/apis/external.metrics.k8s.io/v1beta1/namespaces/Not_A_Namespace/prescale-planned-replicas', 400, 'BadRequest'],
      ['GET', '/apis/external.metrics.k8s.io/v1beta1/namespaces/default/%E0%A4%A', 400, 'BadRequest'],
      ['GET', '/api/v1/pods', 404, 'NotFound'],
      ['GET', '/apis/external.metrics.k8s.io/v1beta1/prescale-planned-replicas', 404, 'NotFound'],
      ['POST', `${METRIC_PATH}?labelSelector=target%3Dweb`, 405, 'MethodNotAllowed'],
      ['DELETE', '/apis', 405, 'MethodNotAllowed'],
    ];
    for (const [method, path, code, reason] of cases) {
      const res = await get(path, { pair: pki.frontProxyClient, method });
      expect(res.status, `${method} ${path}`).toBe(code);
      expect(res.body, `${method} ${path}`).toMatchObject({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason, code });
    }
    // kubectl decodes the Status and shows its message
    const unknown = await kubectl(['get', '--raw', '/apis/external.metrics.k8s.io/v1beta1/namespaces/default/no-such-metric']);
    expect(unknown.stderr).toMatch(/NotFound.*external metric "no-such-metric" is not served by Prescale/);
    // a configured target without a plan yet: 503, which makes the HPA hold
    const noPlan = await get(`${METRIC_PATH}?labelSelector=target%3Dapi`, { pair: pki.frontProxyClient });
    expect(noPlan.status).toBe(503);
    expect(String(noPlan.body['message'])).toContain('no plan published yet for default/api');
  });

  it('health, readiness and version are open', async () => {
    for (const path of ['/healthz', '/livez', '/readyz', '/version']) expect((await get(path)).status, path).toBe(200);
  });

  it('picks up a new plan within the refresh period and keeps serving from memory when Redis goes away', async () => {
    await store.put(plan(9));
    const t0 = Date.now();
    while ((await servedValue()) !== '9' && Date.now() - t0 < 3_000) await new Promise((r) => setTimeout(r, 50));
    expect(await servedValue()).toBe('9');
    expect(Date.now() - t0).toBeLessThan(1_500);
    cacheRedis.disconnect(); // the cache's source is gone; refreshes fail from now on
    await store.put(plan(12));
    await new Promise((r) => setTimeout(r, 900));
    expect(await servedValue()).toBe('9');
    const list = JSON.parse((await kubectl(['get', '--raw', `${METRIC_PATH}?labelSelector=target%3Dweb`])).stdout) as { items: { value: string }[] };
    expect(list.items[0]!.value).toBe('9');
  });
});
