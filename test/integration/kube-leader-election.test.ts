import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Clock } from '../../src/core/clock.js';
import { explicitKubeConfig } from '../../src/kube/kube-config.js';
import { LeaderElector } from '../../src/kube/leader-election.js';
import { FakeKubeApi, KUBE_MICRO_TIME_PATTERN } from '../support/fake-kube-api.js';

const T0 = Date.parse('2026-11-27T10:00:00Z');
const LEASES = '/apis/coordination.k8s.io/v1/namespaces/prescale/leases';

let fake: FakeKubeApi;
let now: number;
const clock: Clock = { now: () => now, sleep: async () => {} };

function elector(identity: string): LeaderElector {
  return new LeaderElector({ kubeConfig: explicitKubeConfig({ server: fake.url, token: fake.token }), namespace: 'prescale', name: 'prescale-leader', identity, leaseDurationSeconds: 15, clock });
}

function lease() {
  return fake.get('coordination.k8s.io/v1', 'Lease', 'prescale', 'prescale-leader') as { metadata: { resourceVersion: string }; spec: Record<string, unknown> };
}

beforeEach(async () => {
  now = T0;
  fake = await FakeKubeApi.start({ now: () => now });
});
afterEach(async () => {
  await fake.close();
});

describe('Lease leader election', () => {
  it('the first replica creates the Lease with MicroTime stamps; the second stays a follower', async () => {
    const a = elector('prescale-a');
    const b = elector('prescale-b');
    expect(await a.tryAcquireOrRenew()).toBe(true);
    expect(await b.tryAcquireOrRenew()).toBe(false);
    const [create] = fake.requestsTo('POST', LEASES);
    expect(create).toMatchObject({ contentType: 'application/json', status: 201 });
    const spec = lease().spec;
    expect(spec).toMatchObject({ holderIdentity: 'prescale-a', leaseDurationSeconds: 15, leaseTransitions: 0 });
    expect(spec['renewTime']).toMatch(KUBE_MICRO_TIME_PATTERN);
    expect(spec['renewTime']).toBe('2026-11-27T10:00:00.000000Z');
    expect(a.isLeader()).toBe(true);
    expect(b.isLeader()).toBe(false);
  });

  it('renews with the resourceVersion it read (PUT) and keeps acquireTime', async () => {
    const a = elector('prescale-a');
    await a.tryAcquireOrRenew();
    const before = lease();
    now += 2000;
    expect(await a.tryAcquireOrRenew()).toBe(true);
    const [put] = fake.requestsTo('PUT', `${LEASES}/prescale-leader`);
    expect(put).toMatchObject({ contentType: 'application/json', status: 200, body: { metadata: { resourceVersion: before.metadata.resourceVersion } } });
    expect(lease().spec).toMatchObject({ holderIdentity: 'prescale-a', acquireTime: before.spec['acquireTime'], renewTime: '2026-11-27T10:00:02.000000Z', leaseTransitions: 0 });
  });

  it('exactly one leader over many rounds while the leader renews', async () => {
    const replicas = ['a', 'b', 'c'].map((id) => elector(`prescale-${id}`));
    for (let round = 0; round < 10; round += 1) {
      for (const r of replicas) await r.tryAcquireOrRenew();
      expect(replicas.filter((r) => r.isLeader()).map((r) => r.identity)).toEqual(['prescale-a']);
      now += 2000;
    }
  });

  it('a follower takes over only after the leader stopped renewing for the lease duration, by its own clock', async () => {
    const a = elector('prescale-a');
    const b = elector('prescale-b');
    await a.tryAcquireOrRenew();
    await b.tryAcquireOrRenew(); // b observes a's record at T0
    now += 10_000; // a crashed: no more renewals
    expect(a.isLeader()).toBe(false); // past its renew deadline (10 s), a stops acting on its own
    expect(await b.tryAcquireOrRenew()).toBe(false);
    now += 5_000; // 15 s after b first saw the record
    expect(await b.tryAcquireOrRenew()).toBe(true);
    expect(lease().spec).toMatchObject({ holderIdentity: 'prescale-b', leaseTransitions: 1 });
    // a comes back: it sees b's fresh record and does not fight.
    expect(await a.tryAcquireOrRenew()).toBe(false);
  });

  it('when two replicas race for an expired lease, the resourceVersion lets exactly one win', async () => {
    const a = elector('prescale-a');
    const b = elector('prescale-b');
    const c = elector('prescale-c');
    await a.tryAcquireOrRenew();
    await Promise.all([b.tryAcquireOrRenew(), c.tryAcquireOrRenew()]);
    now += 16_000;
    const results = await Promise.all([b.tryAcquireOrRenew(), c.tryAcquireOrRenew()]);
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(fake.requestsTo('PUT', `${LEASES}/prescale-leader`).map((r) => r.status).sort()).toEqual([200, 409]);
  });

  it('release clears the holder so a successor takes over at once', async () => {
    const a = elector('prescale-a');
    const b = elector('prescale-b');
    await a.tryAcquireOrRenew();
    expect(await b.tryAcquireOrRenew()).toBe(false);
    await a.release();
    expect(a.isLeader()).toBe(false);
    expect(lease().spec['holderIdentity']).toBe('');
    expect(await b.tryAcquireOrRenew()).toBe(true);
  });

  it('a leader whose renewals fail keeps leading only until the renew deadline', async () => {
    const a = elector('prescale-a');
    await a.tryAcquireOrRenew();
    fake.inject({ path: '/leases/prescale-leader', status: 503, times: 100 });
    now += 4000;
    expect(await a.tryAcquireOrRenew()).toBe(true);
    now += 6000; // 10 s since the last successful renewal
    expect(await a.tryAcquireOrRenew()).toBe(false);
  });

  it('start/stop runs the loop, reports leadership changes and releases on stop', async () => {
    const events: string[] = [];
    let ticks = 0;
    const steppingClock: Clock = {
      now: () => now,
      sleep: async () => {
        ticks += 1;
        now += 2000;
        await new Promise((r) => setTimeout(r, 5));
      },
    };
    const a = new LeaderElector({ kubeConfig: explicitKubeConfig({ server: fake.url, token: fake.token }), namespace: 'prescale', name: 'prescale-leader', identity: 'prescale-a', clock: steppingClock });
    a.start({ onStartedLeading: () => events.push('started'), onStoppedLeading: () => events.push('stopped') });
    while (ticks < 3) await new Promise((r) => setTimeout(r, 5));
    await a.stop();
    expect(events).toEqual(['started', 'stopped']);
    expect(lease().spec['holderIdentity']).toBe('');
    expect(fake.requestsTo('PUT', `${LEASES}/prescale-leader`).length).toBeGreaterThanOrEqual(3);
  });
});

describe('a delayed start (a plan shard this identity does not prefer: src/kube/shard-leadership.ts)', () => {
  it('sends nothing for the Lease until the delay has passed, then competes as usual', async () => {
    // Virtual time: each sleep moves the clock on and yields.
    const stepping: Clock = { now: () => now, sleep: async (ms) => void (await new Promise((r) => setImmediate(r)), (now += ms)) };
    const b = new LeaderElector({ kubeConfig: explicitKubeConfig({ server: fake.url, token: fake.token }), namespace: 'prescale', name: 'prescale-leader', identity: 'prescale-b', leaseDurationSeconds: 15, retryPeriodMs: 2000, clock: stepping });
    let started = false;
    b.start({ onStartedLeading: () => (started = true) }, { delayMs: 15_000 });
    while (!started) await new Promise((r) => setTimeout(r, 5));
    await b.stop();
    const first = fake.requests.find((r) => r.path.startsWith(LEASES))!;
    expect(first.at).toBeGreaterThanOrEqual(T0 + 15_000);
    expect(lease().spec).toMatchObject({ holderIdentity: '' });
  });
});
