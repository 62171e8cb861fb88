/**
 * One Lease read for a planning round instead of one per target tick. In hpa/keda actuation the plan job asks
 * the fence (the local bound plus a GET of the Lease, LeaderElector.fence) before publishing each target's plan;
 * at 1,000 targets that is 2,000 Lease reads per 15 s against the API server for one fact.
 *
 * A held answer is reused for `reuseMs` from when its Lease read *started*, and only while the local bound still
 * holds (`isLeader()`, the renew deadline on the monotonic clock, asked on every call). `reuseMs` must be shorter
 * than the renew deadline: a reused answer then says no more than "the Lease named us in our term less than
 * reuseMs ago", and the local bound, which is what keeps two leaders from acting at once, is checked fresh. What
 * reuse gives up: a Lease edited behind our back (an operator, a bug) is noticed up to `reuseMs` later.
 * A refusal is never reused; concurrent asks share one read. Patches keep asking the fence itself (fenced-cluster.ts).
 */
import type { Fence } from '../cluster/fenced-cluster.js';

/** Default reuse: a second, or a quarter of the renew deadline if that is shorter. */
export function defaultFenceReuseMs(renewDeadlineMs: number): number {
  return Math.min(1_000, Math.floor(renewDeadlineMs / 4));
}

export interface SharedFenceOptions {
  /** The local bound, no I/O (LeaderElector.isLeader). */
  isLeader: () => boolean;
  /** How long a held answer is reused, ms; below the renew deadline. */
  reuseMs: number;
  renewDeadlineMs: number;
  /** Monotonic ms (default performance.now). */
  now?: () => number;
}

export function sharedFence(fence: Fence, options: SharedFenceOptions): Fence {
  if (!(options.reuseMs >= 0 && options.reuseMs < options.renewDeadlineMs)) {
    throw new Error(`fence reuse (${options.reuseMs} ms) must be shorter than the renew deadline (${options.renewDeadlineMs} ms)`);
  }
  const now = options.now ?? (() => performance.now());
  let held: { readStartedAt: number } | null = null;
  let inFlight: ReturnType<Fence> | null = null;
  return async () => {
    if (held && now() - held.readStartedAt < options.reuseMs && options.isLeader()) return { held: true };
    held = null;
    if (!inFlight) {
      const readStartedAt = now();
      inFlight = fence().then((verdict) => {
        if (verdict.held) held = { readStartedAt };
        return verdict;
      });
      void inFlight.finally(() => (inFlight = null)).catch(() => undefined);
    }
    return inFlight;
  };
}
