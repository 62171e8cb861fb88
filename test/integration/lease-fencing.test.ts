/**
 * Fencing every apply with the Lease, on the strict Kubernetes double and real Redis: LeaderElector.fence (local
 * monotonic bound, then the Lease read back), fencedCluster refusing writes, and the plan job recording a refused
 * or repeated tick without patching (jobs/apply-once.ts, src/state/applied-ticks.ts).
 * The two-process version of the same story is test/e2e/two-replicas.test.ts.
 */
import type { Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { fencedCluster, NotLeaderError } from '../../src/cluster/fenced-cluster.js';
import { parseConfig } from '../../src/config/load-config.js';
import { ReplayClock } from '../../src/core/clock.js';
import { connectRedis } from '../../src/core/redis.js';
import { KubeActuator } from '../../src/kube/kube-actuator.js';
import { explicitKubeConfig } from '../../src/kube/kube-config.js';
import { LeaderElector } from '../../src/kube/leader-election.js';
import { createMemoryStore } from '../../src/metrics/memory-store.js';
import { createRedisAppliedTicks } from '../../src/state/applied-ticks.js';
import { createRedisStateStore } from '../../src/state/state-store.js';
import { planProcessor } from '../../jobs/processors/plan.js';
import type { JobPayload } from '../../jobs/queues.js';
import { FakeKubeApi } from '../support/fake-kube-api.js';
import { testJobDeps } from '../support/job-deps.js';
import { deployment } from '../support/kube-objects.js';
import { stealLease } from '../support/lease-takeover.js';

const LEASE = '/apis/coordination.k8s.io/v1/namespaces/prescale/leases/prescale-leader';
const SCALE = '/apis/apps/v1/namespaces/shop/deployments/web/scale';
const T0 = Date.UTC(2026, 10, 23, 10);

let fake: FakeKubeApi;
let redis: Redis;
let monotonic = 0;
const prefix = `lease-fencing-${process.pid}-${Date.now()}`;

const config = parseConfig({ targets: [{ name: 'web', namespace: 'shop', load: { measurement: 'http', field: 'rps' }, capacityPerReplica: 100, minReplicas: 1, maxReplicas: 50 }] }, {});

function elector(identity: string): LeaderElector {
  return new LeaderElector({ kubeConfig: explicitKubeConfig({ server: fake.url, token: fake.token }), namespace: 'prescale', name: 'prescale-leader', identity, leaseDurationSeconds: 6, renewDeadlineMs: 4000, monotonic: () => monotonic });
}

function actuator(): KubeActuator {
  return new KubeActuator({ kubeConfig: explicitKubeConfig({ server: fake.url, token: fake.token }), targets: config.targets, nodePools: [] });
}

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

describe('LeaderElector.fence', () => {
  it('holds for the leader: one Lease read, holder and term checked', async () => {
    const a = elector('prescale-a');
    expect(await a.tryAcquireOrRenew()).toBe(true);
    const reads = fake.requestsTo('GET', LEASE).length;
    expect(await a.fence()).toEqual({ held: true, remainingMs: 4000 });
    expect(fake.requestsTo('GET', LEASE)).toHaveLength(reads + 1);
  });

  it('refuses when the Lease changed hands behind its back, while the local view still says leader', async () => {
    const a = elector('prescale-a');
    await a.tryAcquireOrRenew();
    stealLease(fake, 'prescale-b');
    expect(a.isLeader()).toBe(true);
    expect(await a.fence()).toEqual({ held: false, reason: 'the lease is held by prescale-b' });
  });

  it('refuses after a pause past the renew deadline without asking the API server (monotonic clock)', async () => {
    const a = elector('prescale-a');
    await a.tryAcquireOrRenew();
    monotonic += 4000; // SIGSTOPped for 4 s: the monotonic clock ran on
    const reads = fake.requestsTo('GET', LEASE).length;
    expect(a.isLeader()).toBe(false);
    expect(await a.fence()).toMatchObject({ held: false, reason: expect.stringContaining('past the renew deadline of 4000 ms') });
    expect(fake.requestsTo('GET', LEASE)).toHaveLength(reads);
  });

  it('refuses when the Lease cannot be read (no retries: the fence says no)', async () => {
    const a = elector('prescale-a');
    await a.tryAcquireOrRenew();
    fake.inject({ method: 'GET', path: LEASE, status: 503 });
    expect(await a.fence()).toMatchObject({ held: false, reason: expect.stringContaining('the lease could not be read') });
  });

  it('counts a new term on every change of holder, also after a release', async () => {
    const a = elector('prescale-a');
    const b = elector('prescale-b');
    await a.tryAcquireOrRenew();
    await a.release();
    expect(await b.tryAcquireOrRenew()).toBe(true);
    const spec = fake.get('coordination.k8s.io/v1', 'Lease', 'prescale', 'prescale-leader')!['spec'] as { leaseTransitions: number; holderIdentity: string };
    expect(spec).toMatchObject({ holderIdentity: 'prescale-b', leaseTransitions: 1 });
    expect(await b.fence()).toMatchObject({ held: true });
  });
});

describe('fencedCluster', () => {
  it('sends no PATCH once the fence says no, and reads still pass', async () => {
    const a = elector('prescale-a');
    await a.tryAcquireOrRenew();
    const cluster = fencedCluster(actuator(), () => a.fence());
    await cluster.scaleWorkload({ namespace: 'shop', name: 'web', kind: 'Deployment' }, 3);
    stealLease(fake, 'prescale-b');
    const refused = await cluster.scaleWorkload({ namespace: 'shop', name: 'web', kind: 'Deployment' }, 4).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(NotLeaderError);
    expect(refused).toMatchObject({ retryable: false, message: 'not the leader: scale Deployment shop/web to 4 refused (the lease is held by prescale-b)' });
    expect(fake.requestsTo('PATCH', SCALE).map((r) => (r.body as { spec: { replicas: number } }).spec.replicas)).toEqual([3]);
    expect((await cluster.getWorkload({ namespace: 'shop', name: 'web', kind: 'Deployment' })).desiredReplicas).toBe(3);
  });
});

describe('the plan job with a fenced cluster and the applied-ticks record', () => {
  function setup(fence: () => Promise<{ held: true } | { held: false; reason: string }>) {
    const clock = new ReplayClock(T0);
    const store = createMemoryStore();
    const state = createRedisStateStore(redis, `${prefix}-${Math.random().toString(36).slice(2)}`);
    const appliedTicks = createRedisAppliedTicks(redis, `${prefix}-ticks-${Math.random().toString(36).slice(2)}`, 'prescale-a');
    const deps = testJobDeps(config, clock, { store, state, cluster: fencedCluster(actuator(), fence), appliedTicks });
    const tick = planProcessor(deps);
    const run = (id: string) => tick({ id, data: { at: clock.now(), target: 'shop/web', loop: 'plan' } } as Job<JobPayload<'plan'>>);
    return { run, store, state, appliedTicks, clock, deps };
  }

  it('a tick refused by the fence records "not the leader: not applied", patches nothing and leaves state and claims alone', async () => {
    const { run, store, state, appliedTicks, clock } = setup(async () => ({ held: false, reason: 'the lease is held by prescale-b' }));
    await store.writePoints([{ measurement: 'http', tags: {}, fields: { rps: 900 }, time: clock.now() }]);
    const result = await run('repeat:plan.shop/web:1');
    expect(result).toMatchObject({ applied: false, from: 2 });
    expect(result.to).toBeGreaterThan(2);
    const [decision] = await store.readDecisions('shop/web', T0, T0 + 1);
    expect(decision).toMatchObject({ applied: false, desiredReplicas: result.to });
    expect(decision!.notes).toContain('not the leader: not applied (the lease is held by prescale-b)');
    expect(fake.requestsTo('PATCH', SCALE)).toEqual([]);
    expect(await state.getScalingState('shop/web')).toBeNull();
    expect(await appliedTicks.list()).toEqual([]);
  });

  it('a tick run twice (a stalled BullMQ job run again) patches once; the second run says who applied it', async () => {
    const { run, store, appliedTicks, clock, deps } = setup(async () => ({ held: true }));
    await store.writePoints([{ measurement: 'http', tags: {}, fields: { rps: 900 }, time: clock.now() }]);
    const first = await run('repeat:plan.shop/web:2');
    // The second run as another process would run it, before any of the first run's state reached it.
    const rerun = planProcessor({ ...deps, state: createRedisStateStore(redis, `${prefix}-rerun-${Math.random().toString(36).slice(2)}`) });
    expect(first.applied).toBe(true);
    // The same job again, with the workload put back as if the first PATCH had not been seen yet.
    fake.update('apps/v1', 'Deployment', 'shop', 'web', (d) => void ((d['spec'] as { replicas: number }).replicas = 2));
    clock.advanceBy(1000); // the second run is later (a lock expired); at the same instant its decision would overwrite the first
    const second = await rerun({ id: 'repeat:plan.shop/web:2', data: { at: clock.now(), target: 'shop/web', loop: 'plan' } } as Job<JobPayload<'plan'>>);
    expect(second.applied).toBe(false);
    expect(fake.requestsTo('PATCH', SCALE)).toHaveLength(1);
    const decisions = await store.readDecisions('shop/web', T0, T0 + 1001);
    expect(decisions.map((d) => d.applied)).toEqual([true, false]);
    expect(decisions.find((d) => !d.applied)!.notes).toContain(`tick already applied by prescale-a (${first.to}): not applied again`);
    expect(await appliedTicks.list()).toEqual([{ tick: 'repeat:plan.shop/web:2', subject: 'shop/web', value: first.to, by: 'prescale-a', at: T0 }]);
  });

  it('a failed PATCH releases the claim, so a retry of the tick may apply', async () => {
    const { run, store, appliedTicks, clock } = setup(async () => ({ held: true }));
    await store.writePoints([{ measurement: 'http', tags: {}, fields: { rps: 900 }, time: clock.now() }]);
    fake.inject({ method: 'PATCH', path: SCALE, status: 403 });
    await expect(run('repeat:plan.shop/web:3')).rejects.toThrow();
    expect(await appliedTicks.list()).toEqual([]);
    expect((await run('repeat:plan.shop/web:3')).applied).toBe(true);
    expect(await appliedTicks.list()).toHaveLength(1);
  });
});
