/**
 * How a plan job applies a change: at most once per tick (src/state/applied-ticks.ts) and only through the
 * fenced actuator (src/cluster/fenced-cluster.ts), so neither a second run of the same job nor a process that
 * lost the Lease while the tick ran can patch. Refusals are answers, not failures: the processor records the
 * decision as not applied with the reason. Other errors release the claim and propagate (the job retries).
 *
 * Left out: deciding whether to apply (the processor does: change, actuation, leadership when it decided).
 */
import type { Job } from 'bullmq';
import { isNotLeader } from '../src/cluster/fenced-cluster.js';
import type { JobDeps } from './deps.js';

/** Applied (with what the actuator said), or refused with the reason for the decision's notes. */
export type ApplyOutcome<T> = { applied: true; result: T } | { applied: false; reason: string };

export async function applyOnce<T>(
  deps: Pick<JobDeps, 'appliedTicks' | 'clock'>,
  job: Pick<Job, 'id'>,
  what: { subject: string; value: number },
  apply: () => Promise<T>,
): Promise<ApplyOutcome<T>> {
  const claim = deps.appliedTicks && job.id !== undefined ? await deps.appliedTicks.claim(job.id, { ...what, at: deps.clock.now() }) : null;
  if (claim && !claim.claimed) return { applied: false, reason: `tick already applied by ${claim.by.by} (${claim.by.value}): not applied again` };
  try {
    return { applied: true, result: await apply() };
  } catch (error) {
    await claim?.release();
    if (isNotLeader(error)) return { applied: false, reason: `not the leader: not applied (${error.reason})` };
    throw error;
  }
}
