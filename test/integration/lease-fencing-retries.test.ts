/**
 * The fence is asked before every write request, not once per apply: the Kubernetes actuator's own retries
 * (429 Retry-After waits, backoff after a 5xx, a request that timed out, the re-read before re-applying) can
 * outlast the lease, so each attempt asks `mayWrite` (fencedCluster passes the Lease fence) right before its
 * PATCH. And the hpa/keda publish (the PublishedPlan an HPA or ScaledObject applies) is fenced the same way:
 * a deposed leader neither patches nor publishes. On the strict Kubernetes double and real Redis.
 *
 * Time: the elector's monotonic clock is a number the test moves; the actuator's clock sleeps by moving it
 * (a Retry-After of 5 s passes in no wall time), so "longer than the remaining lease" is exact.
 * Left out: the two-process story (test/e2e/two-replicas.test.ts) and the fence itself (lease-fencing.test.ts).
 */
import type { Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { fencedCluster, NotLeaderError } from '../../src/cluster/fenced-cluster.js';
import { parseConfig } from '../../src/config/load-config.js';
import { ReplayClock, type Clock } from '../../src/core/clock.js';
import { connectRedis } from '../../src/core/redis.js';
import { KubeActuator } from '../../src/kube/kube-actuator.js';
import { explicitKubeConfig } from '../../src/kube/kube-config.js';
import { LeaderElector } from '../../src/kube/leader-election.js';
import { createMemoryStore } from '../../src/metrics/memory-store.js';
import { createRedisPublishedPlanStore } from '../../src/publish/published-plan-store.js';
import { createRedisStateStore } from '../../src/state/state-store.js';
import { createRedisAppliedTicks } from '../../src/state/applied-ticks.js';
import { planProcessor } from '../../jobs/processors/plan.js';
import type { JobPayload } from '../../jobs/queues.js';
import { FakeKubeApi } from '../support/fake-kube-api.js';
import { testJobDeps } from '../support/job-deps.js';
import { deployment } from '../support/kube-objects.js';
import { stealLease } from '../support/lease-takeover.js';

const SCALE = '/apis/apps/v1/namespaces/shop/deployments/web/scale';
const DEPLOYMENT = '/apis/apps/v1/namespaces/shop/deployments/web';
const WEB = { namespace: 'shop', name: 'web', kind: 'Deployment' };
const T0 = Date.UTC(2026, 10, 23, 10);
const RENEW_DEADLINE_MS = 4000;

let fake: FakeKubeApi;
let redis: Redis;
let monotonic = 0;
const prefix = `lease-fencing-retries-${process.pid}-${Date.now()}`;

const target = (actuation: 'direct' | 'hpa') => ({ name: 'web', namespace: 'shop', load: { measurement: 'http', field: 'rps' }, capacityPerReplica: 100, minReplicas: 1, maxReplicas: 50, actuation });
const config = parseConfig({ targets: [target('direct')] }, {});

function elector(identity: string): LeaderElector {
  return new LeaderElector({ kubeConfig: explicitKubeConfig({ server: fake.url, token: fake.token }), namespace: 'prescale', name: 'prescale-leader', identity, leaseDurationSeconds: 6, renewDeadlineMs: RENEW_DEADLINE_MS, monotonic: () => monotonic });
}

/** The actuator's clock: a wait moves the monotonic clock by its length, then runs `during` (a takeover meanwhile). */
function waitingClock(during: () => void = () => {}): Clock & { waits: number[] } {
  const waits: number[] = [];
  return {
    waits,
    now: () => T0 + monotonic,
    sleep: async (ms) => {
      waits.push(ms);
      monotonic += ms;
      during();
    },
  };
}

function actuator(clock: Clock, requestTimeoutMs = 10_000): KubeActuator {
  return new KubeActuator({ kubeConfig: explicitKubeConfig({ server: fake.url, token: fake.token }), targets: config.targets, nodePools: [], clock, retry: { requestTimeoutMs, jitter: 0 } });
}

const patchedReplicas = () => fake.requestsTo('PATCH', SCALE).map((r) => ({ status: r.status, replicas: (r.body as { spec: { replicas: number } }).spec.replicas }));
const specReplicas = () => ((fake.get('apps/v1', 'Deployment', 'shop', 'web')!['spec'] as { replicas: number }).replicas);

beforeAll(async () => {
  redis = await connectRedis(inject('redisUrl'));
});
afterAll(async () => {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
});
beforeEach(async () => {
  monotonic = 1_000_000;
  fake = await FakeKubeApi.start();
  fake.seed(deployment({ namespace: 'shop', name: 'web', replicas: 2 }));
});
afterEach(async () => {
  await fake.close();
});

describe('the actuator asks the fence before every retry of a write', () => {
  it('429 with Retry-After longer than the remaining lease: no PATCH after the lease is lost', async () => {
    const a = elector('prescale-a');
    expect(await a.tryAcquireOrRenew()).toBe(true);
    const clock = waitingClock();
    const cluster = fencedCluster(actuator(clock), () => a.fence());
    fake.inject({ method: 'PATCH', path: SCALE, status: 429, retryAfterSeconds: 5 });
    const refused = await cluster.scaleWorkload(WEB, 7).catch((e: unknown) => e);
    expect(clock.waits).toEqual([5000]); // the server's Retry-After, 1 s past the 4 s the lease had left
    expect(refused).toBeInstanceOf(NotLeaderError);
    expect((refused as NotLeaderError).reason).toMatch(/past the renew deadline of 4000 ms/);
    // One PATCH, the one answered 429; the retry re-read /scale and then asked the fence, which said no.
    expect(patchedReplicas()).toEqual([{ status: 429, replicas: 7 }]);
    expect(specReplicas()).toBe(2);
  });

  it('a 429 within the lease is retried and applied, the fence asked again before the retry', async () => {
    const a = elector('prescale-a');
    await a.tryAcquireOrRenew();
    const asked: boolean[] = [];
    const cluster = fencedCluster(actuator(waitingClock()), async () => {
      const verdict = await a.fence();
      asked.push(verdict.held);
      return verdict;
    });
    fake.inject({ method: 'PATCH', path: SCALE, status: 429, retryAfterSeconds: 1 });
    const outcome = await cluster.scaleWorkload(WEB, 7);
    expect(outcome).toMatchObject({ attempts: 2, alreadyApplied: false });
    expect(patchedReplicas()).toEqual([{ status: 429, replicas: 7 }, { status: 200, replicas: 7 }]);
    // Before handing over, before the first PATCH and before the retry's PATCH.
    expect(asked).toEqual([true, true, true]);
  });

  it('another replica takes the Lease during the backoff after a 503: the retry is refused', async () => {
    const a = elector('prescale-a');
    await a.tryAcquireOrRenew();
    const clock = waitingClock(() => stealLease(fake, 'prescale-b'));
    const cluster = fencedCluster(actuator(clock), () => a.fence());
    fake.inject({ method: 'PATCH', path: SCALE, status: 503 });
    const refused = await cluster.scaleWorkload(WEB, 7).catch((e: unknown) => e);
    expect(clock.waits).toEqual([200]); // the first backoff, without jitter
    expect(refused).toMatchObject({ reason: 'the lease is held by prescale-b' });
    expect(patchedReplicas()).toEqual([{ status: 503, replicas: 7 }]);
    expect(specReplicas()).toBe(2);
  });

  it('a PATCH that timed out is not sent again once the lease is gone', { timeout: 15_000 }, async () => {
    const a = elector('prescale-a');
    await a.tryAcquireOrRenew();
    const clock = waitingClock(() => void (monotonic += RENEW_DEADLINE_MS));
    const cluster = fencedCluster(actuator(clock, 300), () => a.fence());
    // The API server holds the PATCH without an answer, then drops it: the client times out after 300 ms.
    fake.stall({ method: 'PATCH', path: SCALE, delayMs: 1000, apply: false });
    const refused = await cluster.scaleWorkload(WEB, 7).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(NotLeaderError);
    expect(fake.requestsTo('PATCH', SCALE)).toHaveLength(1);
    expect(specReplicas()).toBe(2);
  });

  it('a rolling restart asks the fence right before its PATCH, after the reads it makes first', async () => {
    const a = elector('prescale-a');
    await a.tryAcquireOrRenew();
    // The read of the Deployment fails once with 503; the Lease is taken during that backoff.
    const clock = waitingClock(() => stealLease(fake, 'prescale-b'));
    const cluster = fencedCluster(actuator(clock), () => a.fence());
    fake.inject({ method: 'GET', path: DEPLOYMENT, status: 503 });
    const refused = await cluster.restartWorkload(WEB, 'service check failed').catch((e: unknown) => e);
    expect(refused).toMatchObject({ reason: 'the lease is held by prescale-b' });
    expect(fake.requestsTo('PATCH', DEPLOYMENT)).toEqual([]);
  });
});

describe('the plan job: a tick whose retry outlasts the lease, and the hpa publish', () => {
  it('records the refused retry as not applied and leaves scaling state alone', async () => {
    const a = elector('prescale-a');
    await a.tryAcquireOrRenew();
    const clock = new ReplayClock(T0);
    const store = createMemoryStore();
    const state = createRedisStateStore(redis, `${prefix}-${Math.random().toString(36).slice(2)}`);
    const appliedTicks = createRedisAppliedTicks(redis, `${prefix}-ticks-${Math.random().toString(36).slice(2)}`, 'prescale-a');
    const deps = testJobDeps(config, clock, { store, state, appliedTicks, cluster: fencedCluster(actuator(waitingClock()), () => a.fence()), isLeader: () => a.isLeader() });
    await store.writePoints([{ measurement: 'http', tags: {}, fields: { rps: 900 }, time: T0 }]);
    fake.inject({ method: 'PATCH', path: SCALE, status: 429, retryAfterSeconds: 10 });
    const result = await planProcessor(deps)({ id: 'repeat:plan.shop/web:1', data: { at: T0, target: 'shop/web', loop: 'plan' } } as Job<JobPayload<'plan'>>);
    expect(result).toMatchObject({ applied: false, from: 2 });
    expect(patchedReplicas()).toEqual([{ status: 429, replicas: result.to }]);
    const [decision] = await store.readDecisions('shop/web', T0, T0 + 1);
    expect(decision!.notes).toMatch(/not the leader: not applied \(last renewal started 10\d{3} ms ago, past the renew deadline of 4000 ms\)/);
    expect(await state.getScalingState('shop/web')).toBeNull();
    expect(await appliedTicks.list()).toEqual([]);
  });

  function hpaSetup(fence: () => ReturnType<LeaderElector['fence']>, isLeader: () => boolean) {
    const hpaConfig = parseConfig({ targets: [target('hpa')] }, {});
    const clock = new ReplayClock(T0);
    const store = createMemoryStore();
    const unique = `${prefix}-${Math.random().toString(36).slice(2)}`;
    const state = createRedisStateStore(redis, unique);
    const published = createRedisPublishedPlanStore(redis, unique);
    const deps = testJobDeps(hpaConfig, clock, { store, state, published, fence, isLeader });
    const run = () => planProcessor(deps)({ id: 'repeat:plan.shop/web:1', data: { at: T0, target: 'shop/web', loop: 'plan' } } as Job<JobPayload<'plan'>>);
    return { run, store, state, published };
  }

  it('hpa actuation: a deposed leader (Lease taken, its local view not yet updated) does not publish', async () => {
    const a = elector('prescale-a');
    await a.tryAcquireOrRenew();
    stealLease(fake, 'prescale-b');
    const { run, store, state, published } = hpaSetup(() => a.fence(), () => a.isLeader());
    await store.writePoints([{ measurement: 'http', tags: {}, fields: { rps: 900 }, time: T0 }]);
    expect(a.isLeader()).toBe(true);
    const result = await run();
    expect(result).toMatchObject({ published: false, applied: false });
    expect(result.to).toBeGreaterThan(2);
    expect(await published.get('shop/web')).toBeUndefined();
    expect(await state.getScalingState('shop/web')).toBeNull();
    const [decision] = await store.readDecisions('shop/web', T0, T0 + 1);
    expect(decision).toMatchObject({ published: false, applied: false });
    expect(decision!.notes).toContain('not the leader: not published (the lease is held by prescale-b)');
  });

  it('hpa actuation: the leader publishes, with the fence asked once before it', async () => {
    const a = elector('prescale-a');
    await a.tryAcquireOrRenew();
    let asked = 0;
    const { run, store, published } = hpaSetup(async () => {
      asked += 1;
      return a.fence();
    }, () => a.isLeader());
    await store.writePoints([{ measurement: 'http', tags: {}, fields: { rps: 900 }, time: T0 }]);
    const result = await run();
    expect(result.published).toBe(true);
    expect(asked).toBe(1);
    expect(await published.get('shop/web')).toMatchObject({ target: 'shop/web', plannedReplicas: result.to, actuation: 'hpa' });
  });
});
