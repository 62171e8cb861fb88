/**
 * Lease fencing: may this replica act as the leader *right now*? A pure decision over what the replica knows
 * locally and, when it has just read it, the Lease itself. The elector (leader-election.ts) feeds it; every
 * scale or node-pool apply asks it first (src/cluster/fenced-cluster.ts).
 *
 * Why a local clock bound: a follower takes over once it has seen no renewal for leaseDuration *by its own
 * clock*, counted from when it saw our last renewal, which is at or after the moment we sent it. So from the
 * start of our last successful renewal we hold the Lease for at least leaseDuration; we act only within
 * renewDeadline (< leaseDuration) of it, leaving the difference for the apply request itself to land. The
 * clock is monotonic (performance.now: it keeps running while the process is stopped, and wall-clock jumps
 * do not move it), so a process that was SIGSTOPped sees its own last renewal as too old the moment it resumes.
 *
 * Why also the Lease: the local bound assumes our clock runs at the followers' rate and that nobody wrote the
 * Lease behind our back (an operator, a bug). Reading it before an apply checks the term: the holder is us
 * and leaseTransitions is the value we wrote when we acquired it (any change of holder increments it).
 *
 * Left out: a true fencing token checked by the API server. Kubernetes cannot make a scale patch conditional
 * on a Lease, so a process paused *between* this check and its PATCH leaving the socket could still land one
 * late write; the window is that gap (microseconds of CPU), not a lease duration. CLOCK_MONOTONIC does not
 * count a suspended machine (laptop sleep); nodes do not suspend.
 */

/** What the replica knows without asking the API server. Times are monotonic ms. */
export interface LocalLeadership {
  /** The holderIdentity this replica writes. */
  identity: string;
  /** Whether its last acquire or renew succeeded. */
  leading: boolean;
  /** When the last successful acquire/renew started (before its request was sent); -Infinity when never. */
  lastRenewStartedAt: number;
  /** leaseTransitions as this replica wrote it when it acquired the Lease (its term); null when not leading. */
  term: number | null;
  /** Act only this long after lastRenewStartedAt, ms (shorter than the lease duration). */
  renewDeadlineMs: number;
}

/** The parts of a Lease's spec the fence compares. */
export interface LeaseRecord {
  holderIdentity?: string | null;
  leaseTransitions?: number | null;
}

export type FenceVerdict = { held: true; remainingMs: number } | { held: false; reason: string };

/** The local half: leading, and the last renewal recent enough by the monotonic clock `now`. */
export function localFence(local: LocalLeadership, now: number): FenceVerdict {
  if (!local.leading || local.term === null) return { held: false, reason: 'this replica does not hold the lease' };
  const age = now - local.lastRenewStartedAt;
  if (!(age < local.renewDeadlineMs)) return { held: false, reason: `last renewal started ${Math.round(age)} ms ago, past the renew deadline of ${local.renewDeadlineMs} ms` };
  return { held: true, remainingMs: local.renewDeadlineMs - age };
}

/**
 * Both halves: the local bound at `now` (taken after the Lease was read: a pause during the read counts),
 * then the Lease names this replica in the same term. `lease` null = the Lease does not exist.
 */
export function leaseFence(local: LocalLeadership, lease: LeaseRecord | null, now: number): FenceVerdict {
  const verdict = localFence(local, now);
  if (!verdict.held) return verdict;
  if (lease === null) return { held: false, reason: 'the lease does not exist' };
  const holder = lease.holderIdentity ?? '';
  if (holder !== local.identity) return { held: false, reason: holder ? `the lease is held by ${holder}` : 'the lease has no holder' };
  const transitions = lease.leaseTransitions ?? 0;
  if (transitions !== local.term) return { held: false, reason: `the lease changed hands since this replica acquired it (leaseTransitions ${transitions}, acquired at ${local.term})` };
  return verdict;
}
