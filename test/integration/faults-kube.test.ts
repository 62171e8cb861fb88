/**
 * Faults of the Kubernetes API server, through the plan job on the real KubeActuator (@kubernetes/client-node)
 * against the strict fake API server (test/support/fake-kube-api.ts): 409, 429 with Retry-After, 500, and a
 * request that gets no answer (the client's request timeout), once applied by the server and once not.
 * What a user cares about: the replicas end where the plan wants them, a change is never patched twice after
 * an uncertain answer (the fake's request log is the witness: a GET of /scale before every re-apply), waits
 * honour Retry-After and are jittered otherwise, a hanging server costs seconds rather than a stuck plan
 * queue, and the decision log says what happened. Scaling state is in real Redis.
 */
import type { Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { ReplayClock } from '../../src/core/clock.js';
import { ServiceError } from '../../src/core/errors.js';
import { connectRedis } from '../../src/core/redis.js';
import { KubeActuator } from '../../src/kube/kube-actuator.js';
import { explicitKubeConfig } from '../../src/kube/kube-config.js';
import type { RetryPolicy } from '../../src/kube/kube-request.js';
import { createMemoryStore } from '../../src/metrics/memory-store.js';
import { createRedisStateStore } from '../../src/state/state-store.js';
import { planProcessor } from '../../jobs/processors/plan.js';
import type { JobPayload } from '../../jobs/queues.js';
import { FakeKubeApi } from '../support/fake-kube-api.js';
import { testJobDeps } from '../support/job-deps.js';
import { deployment } from '../support/kube-objects.js';

const T0 = Date.UTC(2026, 10, 23, 10);
const STEP = 300_000;
const SCALE = '/apis/apps/v1/namespaces/shop/deployments/web/scale';

let fake: FakeKubeApi | undefined;
let redis: Redis;
const prefix = `faults-kube-${process.pid}-${Date.now()}`;

beforeAll(async () => {
  redis = await connectRedis(inject('redisUrl'));
});
afterEach(async () => {
  vi.restoreAllMocks();
  await fake?.close();
  fake = undefined;
});
afterAll(async () => {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length) await redis.del(...keys);
  await redis.quit();
});

/** The plan job for shop/web (2 replicas, 1,000 rps live, no model yet: sized by live load) on the fake API. */
async function setup(retry: Partial<RetryPolicy>) {
  const clock = new ReplayClock(T0);
  fake = await FakeKubeApi.start({ now: () => clock.now() });
  fake.seed(deployment({ namespace: 'shop', name: 'web', replicas: 2 }));
  const sleeps: number[] = [];
  const cluster = new KubeActuator({
    kubeConfig: explicitKubeConfig({ server: fake.url, token: fake.token }),
    targets: [{ name: 'web', namespace: 'shop', kind: 'Deployment' }],
    nodePools: [],
    // Real waits: a stalled request keeps running on the fake while the client waits to retry.
    clock: { now: () => clock.now(), sleep: async (ms) => {
      sleeps.push(ms);
      await new Promise((r) => setTimeout(r, ms));
    } },
    retry: { maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 5_000, requestTimeoutMs: 2_000, ...retry },
  });
  const config = parseConfig({ targets: [{ name: 'web', namespace: 'shop', load: { measurement: 'http', field: 'rps' }, capacityPerReplica: 100, minReplicas: 2, maxReplicas: 50 }] }, {});
  const store = createMemoryStore();
  const state = createRedisStateStore(redis, `${prefix}-${Math.random().toString(36).slice(2)}`);
  const tick = planProcessor(testJobDeps(config, clock, { store, state, cluster }));
  await store.writePoints([{ measurement: 'http', tags: {}, fields: { rps: 1_000 }, time: T0 - STEP / 2 }]);
  const run = () => tick({ data: { at: clock.now(), target: 'shop/web', loop: 'plan' } } as Job<JobPayload<'plan'>>);
  const api = fake;
  const replicas = () => (api.get('apps/v1', 'Deployment', 'shop', 'web')!['spec'] as { replicas: number }).replicas;
  const decision = async () => (await store.readDecisions('shop/web', T0, T0 + 1)).at(-1)!;
  /** The fake's log for /scale as "METHOD status", in order. */
  const scaleLog = () => api.requests.filter((r) => r.path === SCALE).map((r) => `${r.method} ${r.status}`);
  return { api, run, replicas, decision, scaleLog, sleeps, state };
}

describe('the plan job when the Kubernetes API misbehaves', () => {
  it('409 Conflict: reads /scale again, patches once more, and the decision says so', { timeout: 15_000 }, async () => {
    const { api, run, replicas, decision, scaleLog, sleeps } = await setup({});
    api.inject({ method: 'PATCH', path: SCALE, status: 409 });
    const result = await run();
    expect(result.to).toBeGreaterThan(2); // 1,000 rps at 100 per replica: up (as far as the step limit allows)
    expect(result.applied).toBe(true);
    expect(replicas()).toBe(result.to);
    expect(scaleLog()).toEqual(['PATCH 409', 'GET 200', 'PATCH 200']);
    expect(sleeps).toEqual([0]);
    const d = await decision();
    expect(d).toMatchObject({ applied: true, desiredReplicas: result.to, previousReplicas: 2 });
    expect(d.notes).toContain(`scale Deployment shop/web to ${result.to}: attempt 1 failed (409 Conflict), retried after 0 ms`);
    expect(d.notes).toContain('re-read /scale before attempt 2: 2, patching');
  });

  it('429 with Retry-After: waits exactly what the server asked, then applies', { timeout: 15_000 }, async () => {
    const { api, run, replicas, decision, scaleLog, sleeps } = await setup({});
    api.inject({ method: 'PATCH', path: SCALE, status: 429, retryAfterSeconds: 1 });
    const result = await run();
    expect(replicas()).toBe(result.to);
    expect(sleeps).toEqual([1_000]);
    expect(scaleLog()).toEqual(['PATCH 429', 'GET 200', 'PATCH 200']);
    expect((await decision()).notes).toContain('attempt 1 failed (429 TooManyRequests), retried after 1 s (Retry-After)');
  });

  it('500: exponential backoff with jitter (each wait within [half, full] of the nominal one)', { timeout: 15_000 }, async () => {
    const { api, run, replicas, decision, scaleLog, sleeps } = await setup({ jitter: 0.5 });
    const draws = [0.9, 0.1];
    vi.spyOn(Math, 'random').mockImplementation(() => draws.shift() ?? 0.5);
    api.inject({ method: 'PATCH', path: SCALE, status: 500, times: 2 });
    const result = await run();
    expect(replicas()).toBe(result.to);
    // Nominal 100 then 200 ms; the draws take 45% and 5% off.
    expect(sleeps).toEqual([55, 190]);
    expect(scaleLog()).toEqual(['PATCH 500', 'GET 200', 'PATCH 500', 'GET 200', 'PATCH 200']);
    const notes = (await decision()).notes!;
    expect(notes).toContain('attempt 1 failed (500 InternalError), retried after 55 ms');
    expect(notes).toContain('attempt 2 failed (500 InternalError), retried after 190 ms');
  });

  it('no answer, but the server applied it: after the timeout a re-read finds the value and nothing is patched twice', { timeout: 15_000 }, async () => {
    // The client gives up after 300 ms; the server applies the patch at 600 ms; the retry comes after 1 s.
    const { api, run, replicas, decision, scaleLog } = await setup({ requestTimeoutMs: 300, baseDelayMs: 1_000, jitter: 0 });
    api.stall({ method: 'PATCH', path: SCALE, delayMs: 600, apply: true });
    const result = await run();
    expect(result.applied).toBe(true);
    expect(replicas()).toBe(result.to);
    // One PATCH reached the store (the stalled one, answered after the client left); the retry only read.
    expect(scaleLog()).toEqual(['PATCH 200', 'GET 200']);
    expect(api.requestsTo('PATCH', SCALE)).toHaveLength(1);
    const notes = (await decision()).notes!;
    expect(notes).toMatch(/attempt 1 failed \(.*outcome unknown\), retried after 1000 ms/);
    expect(notes).toContain(`re-read /scale before attempt 2: already ${result.to}, not patched again`);
  });

  it('no answer and not applied: the re-read sees the old value and the retry patches', { timeout: 15_000 }, async () => {
    const { api, run, replicas, decision, scaleLog } = await setup({ requestTimeoutMs: 300, baseDelayMs: 100, jitter: 0 });
    api.stall({ method: 'PATCH', path: SCALE, delayMs: 400, apply: false });
    const result = await run();
    expect(replicas()).toBe(result.to);
    expect(scaleLog()).toEqual(['PATCH 0', 'GET 200', 'PATCH 200']);
    expect((await decision()).notes).toContain('re-read /scale before attempt 2: 2, patching');
  });

  it('a server that never answers costs a few timeouts, not a stuck plan queue; the failure is in the decision log and nothing changed', { timeout: 20_000 }, async () => {
    const { api, run, replicas, decision, state } = await setup({ requestTimeoutMs: 250, baseDelayMs: 50, maxAttempts: 3, jitter: 0 });
    api.stall({ method: 'PATCH', path: SCALE, delayMs: 1_000, apply: false, times: 10 });
    const started = performance.now();
    const error = await run().catch((e: unknown) => e);
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(error).toBeInstanceOf(ServiceError);
    expect((error as ServiceError).retryable).toBe(true); // the worker retries the job with its backoff
    expect(replicas()).toBe(2);
    const d = await decision();
    expect(d).toMatchObject({ applied: false, previousReplicas: 2 });
    expect(d.notes).toMatch(/scale to \d+ failed: kubernetes at http:\/\/127\.0\.0\.1:\d+: scale Deployment shop\/web to \d+ failed after 3 attempts/);
    // Scaling state is saved only for ticks that went through: no change is counted towards step limits.
    expect(await state.getScalingState('shop/web')).toBeNull();
  });
});
