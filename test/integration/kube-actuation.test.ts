/**
 * Actuation on the Kubernetes side, with @kubernetes/client-node against the strict fake API server
 * (test/support/fake-kube-api.ts): how HPAs and ScaledObjects are listed (one GET per collection and
 * namespace), a missing KEDA CRD (404) meaning "no ScaledObjects", 403 meaning "unchecked", and the plan job
 * in direct mode sending no PATCH to /scale while an HPA scales the workload; the fake's request log is the
 * witness. Scaling state and published plans live in real Redis.
 */
import type { Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { ReplayClock, type Clock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import { connectRedis } from '../../src/core/redis.js';
import { KubeActuator } from '../../src/kube/kube-actuator.js';
import { explicitKubeConfig } from '../../src/kube/kube-config.js';
import { createMemoryStore } from '../../src/metrics/memory-store.js';
import { createRedisPublishedPlanStore } from '../../src/publish/published-plan-store.js';
import { PLANNED_REPLICAS_METRIC } from '../../src/scaling/actuation.js';
import { createRedisStateStore } from '../../src/state/state-store.js';
import { AUTOSCALER_CHECK_TTL_MS } from '../../jobs/autoscaler-lookup.js';
import type { JobDeps } from '../../jobs/deps.js';
import { planProcessor } from '../../jobs/processors/plan.js';
import type { JobPayload } from '../../jobs/queues.js';
import { DEFAULT_RESOURCE_TYPES, FakeKubeApi } from '../support/fake-kube-api.js';
import { deployment, hpa, scaledObject } from '../support/kube-objects.js';

const T0 = Date.UTC(2026, 10, 23, 10);
const STEP = 300_000;
const HPAS = '/apis/autoscaling/v2/namespaces/shop/horizontalpodautoscalers';
const SCALED_OBJECTS = '/apis/keda.sh/v1alpha1/namespaces/shop/scaledobjects';
const SCALE = '/apis/apps/v1/namespaces/shop/deployments/web/scale';

let fake: FakeKubeApi | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

function actuator(api: FakeKubeApi, clock: Clock = { now: () => T0, sleep: async () => {} }): KubeActuator {
  return new KubeActuator({
    kubeConfig: explicitKubeConfig({ server: api.url, token: api.token }),
    targets: [{ name: 'web', namespace: 'shop', kind: 'Deployment' }],
    nodePools: [],
    clock,
    retry: { maxAttempts: 3, baseDelayMs: 1 },
  });
}

describe('listing other autoscalers through the API server', () => {
  it('lists HPAs and ScaledObjects with one GET per collection in the namespace, with what each scales', async () => {
    fake = await FakeKubeApi.start({ now: () => T0 });
    fake.seed(hpa({ namespace: 'shop', name: 'web-hpa', target: { name: 'web' }, externalMetric: PLANNED_REPLICAS_METRIC }));
    fake.seed(scaledObject({ namespace: 'shop', name: 'cart', target: { name: 'cart' } })); // kind left out: KEDA's default
    fake.seed(hpa({ namespace: 'other', name: 'elsewhere', target: { name: 'web' } }));
    const listing = await actuator(fake).listAutoscalers('shop');
    expect(listing).toEqual({
      autoscalers: [
        { kind: 'HorizontalPodAutoscaler', namespace: 'shop', name: 'web-hpa', scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, externalMetrics: [PLANNED_REPLICAS_METRIC] },
        { kind: 'ScaledObject', namespace: 'shop', name: 'cart', scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'cart' } },
      ],
      unchecked: [],
    });
    expect(fake.requests.map((r) => `${r.method} ${r.path} ${r.status}`).sort()).toEqual([`GET ${HPAS} 200`, `GET ${SCALED_OBJECTS} 200`]);
    expect(fake.requests.every((r) => r.authorization === `Bearer ${fake!.token}`)).toBe(true);
  });

  it('KEDA not installed: the scaledobjects collection answers 404 and that means none, not a failure', async () => {
    fake = await FakeKubeApi.start({ now: () => T0, resourceTypes: DEFAULT_RESOURCE_TYPES.filter((t) => t.group !== 'keda.sh') });
    fake.seed(hpa({ namespace: 'shop', name: 'web-hpa', target: { name: 'web' } }));
    const listing = await actuator(fake).listAutoscalers('shop');
    expect(listing.unchecked).toEqual([]);
    expect(listing.autoscalers.map((a) => a.name)).toEqual(['web-hpa']);
    // Asked once (a 404 is not retried) and answered 404 by the strict server.
    expect(fake.requestsTo('GET', SCALED_OBJECTS).map((r) => r.status)).toEqual([404]);
  });

  it('403 on a collection: named as unchecked with the RBAC fix, not retried, not thrown', async () => {
    fake = await FakeKubeApi.start({ now: () => T0 });
    fake.seed(scaledObject({ namespace: 'shop', name: 'web', target: { name: 'web' } }));
    fake.inject({ method: 'GET', path: HPAS, status: 403 });
    const listing = await actuator(fake).listAutoscalers('shop');
    expect(listing.autoscalers.map((a) => `${a.kind} ${a.name}`)).toEqual(['ScaledObject web']);
    expect(listing.unchecked).toHaveLength(1);
    expect(listing.unchecked[0]).toMatch(/^HorizontalPodAutoscaler: 403 Forbidden: .*forbidden.* \(grant list on horizontalpodautoscalers\.autoscaling, see deploy\/base\/rbac\.yaml\)$/);
    expect(fake.requestsTo('GET', HPAS).map((r) => r.status)).toEqual([403]);
  });

  it('a 503 is retried; one that lasts is thrown (the job keeps its last good listing)', async () => {
    fake = await FakeKubeApi.start({ now: () => T0 });
    fake.seed(hpa({ namespace: 'shop', name: 'web-hpa', target: { name: 'web' } }));
    fake.inject({ method: 'GET', path: HPAS, status: 503 });
    expect((await actuator(fake).listAutoscalers('shop')).autoscalers).toHaveLength(1);
    expect(fake.requestsTo('GET', HPAS).map((r) => r.status)).toEqual([503, 200]);
    fake.inject({ method: 'GET', path: HPAS, status: 503, times: 3 });
    await expect(actuator(fake).listAutoscalers('shop')).rejects.toThrow(/list horizontalpodautoscalers shop failed after 3 attempts/);
  });

  it('the strict server refuses an HPA without maxReplicas and a ScaledObject without triggers (422), as the real one', async () => {
    fake = await FakeKubeApi.start({ now: () => T0 });
    const headers = { authorization: `Bearer ${fake.token}`, 'content-type': 'application/json' };
    const badHpa = hpa({ namespace: 'shop', name: 'bad', target: { name: 'web' } }) as { spec: Record<string, unknown> };
    delete badHpa.spec['maxReplicas'];
    const hpaAnswer = await fetch(`${fake.url}${HPAS}`, { method: 'POST', headers, body: JSON.stringify(badHpa) });
    expect(hpaAnswer.status).toBe(422);
    expect(((await hpaAnswer.json()) as { message: string }).message).toContain('spec.maxReplicas');
    const badSo = { ...scaledObject({ namespace: 'shop', name: 'bad', target: { name: 'web' } }), spec: { scaleTargetRef: { name: 'web' }, triggers: [] } };
    expect((await fetch(`${fake.url}${SCALED_OBJECTS}`, { method: 'POST', headers, body: JSON.stringify(badSo) })).status).toBe(422);
    expect(fake.listObjects('autoscaling/v2', 'HorizontalPodAutoscaler')).toEqual([]);
    expect(fake.listObjects('keda.sh/v1alpha1', 'ScaledObject')).toEqual([]);
  });
});

describe('the plan job on the Kubernetes actuator', () => {
  let redis: Redis;
  const prefix = `kube-actuation-${process.pid}-${Date.now()}`;

  beforeAll(async () => {
    redis = await connectRedis(inject('redisUrl'));
  });

  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
  });

  async function setup(actuation: 'direct' | 'hpa') {
    const clock = new ReplayClock(T0);
    fake = await FakeKubeApi.start({ now: () => clock.now() });
    fake.seed(deployment({ namespace: 'shop', name: 'web', replicas: 5 }));
    const config = parseConfig({ targets: [{ name: 'web', namespace: 'shop', load: { measurement: 'http', field: 'rps' }, capacityPerReplica: 100, minReplicas: 2, maxReplicas: 50, actuation }] }, {});
    const store = createMemoryStore();
    const unique = `${prefix}-${Math.random().toString(36).slice(2)}`;
    const deps: JobDeps = {
      config,
      clock,
      logger: silentLogger,
      store,
      state: createRedisStateStore(redis, unique),
      cluster: actuator(fake, { now: () => clock.now(), sleep: async () => {} }),
      models: { saveVersion: async () => ({ version: 1, promoted: true }), load: async () => null },
      train: async () => {
        throw new Error('not used');
      },
      calendarEntries: async () => [],
      collect: async () => [],
      isLeader: () => true,
      published: createRedisPublishedPlanStore(redis, unique),
    };
    const tick = planProcessor(deps);
    // No model yet (learning): replicas follow live load, 1,000 rps / 100 per replica wants 10.
    const run = async () => {
      await store.writePoints([{ measurement: 'http', tags: {}, fields: { rps: 1_000 }, time: Math.floor(clock.now() / STEP) * STEP }]);
      return tick({ data: { at: clock.now(), target: 'shop/web', loop: 'plan' } } as Job<JobPayload<'plan'>>);
    };
    return { api: fake, clock, run, store };
  }

  it('direct mode with an HPA: no PATCH on /scale, one list per TTL; once the HPA is deleted the next listing lets it patch', async () => {
    const { api, clock, run, store } = await setup('direct');
    api.seed(hpa({ namespace: 'shop', name: 'web-hpa', target: { name: 'web' } }));
    const first = await run();
    expect(first).toMatchObject({ mode: 'conflict', applied: false, from: 5 });
    expect(first.to).toBeGreaterThan(5);
    clock.advanceBy(15_000);
    expect((await run()).mode).toBe('conflict');
    expect(api.requests.filter((r) => r.method !== 'GET')).toEqual([]);
    expect(api.requestsTo('GET', HPAS)).toHaveLength(1);
    expect(api.requestsTo('GET', SCALED_OBJECTS)).toHaveLength(1);
    const [decision] = await store.readDecisions('shop/web', T0, T0 + 1);
    expect(decision).toMatchObject({ mode: 'conflict', actuation: 'direct', applied: false });
    expect(decision!.notes).toMatch(/^conflict: HorizontalPodAutoscaler shop\/web-hpa also scales Deployment shop\/web; set actuation: hpa/);

    api.delete('autoscaling/v2', 'HorizontalPodAutoscaler', 'shop', 'web-hpa');
    clock.advanceTo(T0 + AUTOSCALER_CHECK_TTL_MS);
    const after = await run();
    expect(after).toMatchObject({ mode: 'learning', applied: true });
    expect(api.requestsTo('GET', HPAS)).toHaveLength(2);
    expect(api.requestsTo('PATCH', SCALE)).toEqual([expect.objectContaining({ contentType: 'application/merge-patch+json', body: { spec: { replicas: after.to } }, status: 200 })]);
  });

  it('hpa mode: the plan is published and nothing is ever written to the cluster', async () => {
    const { api, clock, run } = await setup('hpa');
    api.seed(hpa({ namespace: 'shop', name: 'web-hpa', target: { name: 'web' }, externalMetric: PLANNED_REPLICAS_METRIC }));
    for (let i = 0; i < 3; i++) {
      expect(await run()).toMatchObject({ applied: false, published: true });
      clock.advanceBy(15_000);
    }
    expect(api.requests.filter((r) => r.method !== 'GET')).toEqual([]);
    expect(api.requestsTo('GET', HPAS)).toHaveLength(1);
  });
});
