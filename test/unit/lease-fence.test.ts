/**
 * The Lease fence as a pure function of what the replica knows (its last renewal by a monotonic clock, its
 * term) and the Lease it read back: src/kube/lease-fence.ts.
 */
import { fc, test as fcTest } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { leaseFence, localFence, type LocalLeadership } from '../../src/kube/lease-fence.js';

const leading: LocalLeadership = { identity: 'prescale-a', leading: true, lastRenewStartedAt: 10_000, term: 3, renewDeadlineMs: 4000 };
const ours = { holderIdentity: 'prescale-a', leaseTransitions: 3 };

describe('localFence', () => {
  it('holds within the renew deadline of the last renewal start, with the time left', () => {
    expect(localFence(leading, 10_000)).toEqual({ held: true, remainingMs: 4000 });
    expect(localFence(leading, 13_999)).toEqual({ held: true, remainingMs: 1 });
  });

  it('does not hold at or past the deadline: a process that was stopped sees its own renewal as too old', () => {
    expect(localFence(leading, 14_000)).toMatchObject({ held: false, reason: expect.stringContaining('past the renew deadline of 4000 ms') });
    // SIGSTOP for 30 s: the monotonic clock kept running.
    expect(localFence(leading, 40_000)).toMatchObject({ held: false, reason: 'last renewal started 30000 ms ago, past the renew deadline of 4000 ms' });
  });

  it('does not hold when not leading, or without a term, or before any renewal', () => {
    expect(localFence({ ...leading, leading: false }, 10_001)).toEqual({ held: false, reason: 'this replica does not hold the lease' });
    expect(localFence({ ...leading, term: null }, 10_001).held).toBe(false);
    expect(localFence({ ...leading, lastRenewStartedAt: -Infinity }, 0).held).toBe(false);
  });
});

describe('leaseFence', () => {
  it('holds when the Lease names this replica in the term it acquired', () => {
    expect(leaseFence(leading, ours, 11_000)).toEqual({ held: true, remainingMs: 3000 });
  });

  it('refuses when another replica holds the Lease, even while the local bound still holds', () => {
    expect(leaseFence(leading, { holderIdentity: 'prescale-b', leaseTransitions: 4 }, 11_000)).toEqual({ held: false, reason: 'the lease is held by prescale-b' });
  });

  it('refuses when the Lease changed hands and came back (another term)', () => {
    expect(leaseFence(leading, { holderIdentity: 'prescale-a', leaseTransitions: 5 }, 11_000)).toEqual({ held: false, reason: 'the lease changed hands since this replica acquired it (leaseTransitions 5, acquired at 3)' });
  });

  it('refuses a released or missing Lease', () => {
    expect(leaseFence(leading, { holderIdentity: '', leaseTransitions: 3 }, 11_000)).toEqual({ held: false, reason: 'the lease has no holder' });
    expect(leaseFence(leading, null, 11_000)).toEqual({ held: false, reason: 'the lease does not exist' });
  });

  it('checks the local bound at the time the read came back: a pause during the read counts', () => {
    expect(leaseFence(leading, ours, 14_500)).toMatchObject({ held: false, reason: expect.stringContaining('past the renew deadline') });
  });

  it('a missing leaseTransitions counts as 0 (a Lease created without it)', () => {
    expect(leaseFence({ ...leading, term: 0 }, { holderIdentity: 'prescale-a' }, 11_000).held).toBe(true);
  });

  fcTest.prop([fc.integer({ min: 0, max: 100_000 }), fc.integer({ min: 1, max: 60_000 }), fc.integer({ min: 0, max: 200_000 }), fc.constantFrom('prescale-a', 'prescale-b', ''), fc.integer({ min: 0, max: 5 })], { seed: 13, numRuns: 500 })(
    'holds exactly when leading, within the deadline, holder is us and the term matches',
    (renewedAt, deadline, elapsed, holder, transitions) => {
      const local = { ...leading, lastRenewStartedAt: renewedAt, renewDeadlineMs: deadline };
      const verdict = leaseFence(local, { holderIdentity: holder, leaseTransitions: transitions }, renewedAt + elapsed);
      const held = elapsed < deadline && holder === 'prescale-a' && transitions === 3;
      expect(verdict).toEqual(held ? { held: true, remainingMs: deadline - elapsed } : { held: false, reason: expect.any(String) });
    },
  );
});
