import { describe, expect, it } from 'vitest';
import { defaultFenceReuseMs, sharedFence } from '../../src/kube/shared-fence.js';

/** A fence that counts its Lease reads and answers what the test says, on a clock the test moves. */
function setup(reuseMs = 1_000) {
  let t = 0;
  let reads = 0;
  let leader = true;
  let lease: { held: true } | { held: false; reason: string } = { held: true };
  const fence = sharedFence(
    async () => {
      reads++;
      await new Promise((r) => setTimeout(r, 1));
      return lease;
    },
    { isLeader: () => leader, reuseMs, renewDeadlineMs: 4_000, now: () => t },
  );
  return {
    fence,
    reads: () => reads,
    advance: (ms: number) => (t += ms),
    lose: () => (leader = false),
    steal: () => (lease = { held: false, reason: 'the lease is held by prescale-b' }),
  };
}

describe('shared fence: one Lease read per planning round', () => {
  it('serves a round of ticks with one read, and reads again once the answer is older than the reuse bound', async () => {
    const s = setup();
    const round = await Promise.all(Array.from({ length: 50 }, () => s.fence()));
    expect(round.every((v) => v.held)).toBe(true);
    expect(s.reads()).toBe(1);
    s.advance(999);
    expect((await s.fence()).held).toBe(true);
    expect(s.reads()).toBe(1);
    s.advance(1);
    await s.fence();
    expect(s.reads()).toBe(2);
  });

  it('never reuses past the local bound: a replica that lost it is refused at once', async () => {
    const s = setup();
    await s.fence();
    s.lose();
    s.steal();
    expect(await s.fence()).toEqual({ held: false, reason: 'the lease is held by prescale-b' });
    expect(s.reads()).toBe(2);
  });

  it('never reuses a refusal', async () => {
    const s = setup();
    s.steal();
    await s.fence();
    await s.fence();
    expect(s.reads()).toBe(2);
  });

  it('refuses a reuse bound that is not below the renew deadline', () => {
    expect(() => sharedFence(async () => ({ held: true }), { isLeader: () => true, reuseMs: 4_000, renewDeadlineMs: 4_000 })).toThrow('shorter than the renew deadline');
    expect(defaultFenceReuseMs(4_000)).toBe(1_000);
    expect(defaultFenceReuseMs(2_000)).toBe(500);
  });
});
