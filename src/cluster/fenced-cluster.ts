/**
 * A ClusterActuator whose writes (scale a workload, restart it, drive a node pool) each ask a fence first and
 * refuse with NotLeaderError when it says this process no longer leads. Reads pass straight through.
 *
 * With several replicas only the Lease holder applies; the plan job checks `deps.isLeader()` when it decides,
 * but a tick can stall between deciding and patching (a paused process, a slow API server), and leadership
 * can move meanwhile. The fence (LeaderElector.fence: the local monotonic bound plus the Lease read back)
 * is asked before handing a write over (so a refused write costs no reads), and handed to the actuator as
 * `mayWrite`, which asks it again right before every write request, retries included: a 429's Retry-After,
 * a backoff or a timed-out request can outlast the Lease (src/kube/kube-actuator.ts).
 *
 * Left out: what "the leader" means (the fence decides); the simulated cluster needs no fence (one process).
 */
import type { ClusterActuator } from './cluster.js';
import { PrescaleError } from '../core/errors.js';
import type { PlanSubject } from '../kube/plan-shards.js';

/** The answer of a fence: held, or why not. */
export type Fence = () => Promise<{ held: true } | { held: false; reason: string }>;

/** A fence per subject: with plan shards, the Lease of the subject's shard (src/kube/plan-shards.ts). */
export type SubjectFence = (subject: PlanSubject) => ReturnType<Fence>;

/** A write refused because this process is not the leader. Not retryable: a retry would be refused the same way. */
export class NotLeaderError extends PrescaleError {
  constructor(
    /** Why the fence said no, e.g. "the lease is held by prescale-b". */
    readonly reason: string,
    /** What was refused, e.g. "scale Deployment shop/web to 7". */
    readonly action: string,
  ) {
    super(`not the leader: ${action} refused (${reason})`, false);
  }
}

export function isNotLeader(error: unknown): error is NotLeaderError {
  return error instanceof NotLeaderError;
}

export function fencedCluster(inner: ClusterActuator, fence: SubjectFence): ClusterActuator {
  const guard = async (action: string, subject: PlanSubject): Promise<void> => {
    const verdict = await fence(subject);
    if (!verdict.held) throw new NotLeaderError(verdict.reason, action);
  };
  return {
    getWorkload: (ref) => inner.getWorkload(ref),
    getNodePool: (pool) => inner.getNodePool(pool),
    listAutoscalers: (namespace) => inner.listAutoscalers(namespace),
    async scaleWorkload(ref, replicas) {
      const action = `scale ${ref.kind} ${ref.namespace}/${ref.name} to ${replicas}`;
      const subject = { target: `${ref.namespace}/${ref.name}` };
      await guard(action, subject);
      return inner.scaleWorkload(ref, replicas, { mayWrite: () => guard(action, subject) });
    },
    async restartWorkload(ref, reason) {
      const action = `restart ${ref.kind} ${ref.namespace}/${ref.name}`;
      const subject = { target: `${ref.namespace}/${ref.name}` };
      await guard(action, subject);
      return inner.restartWorkload(ref, reason, { mayWrite: () => guard(action, subject) });
    },
    async scaleNodePool(pool, nodes) {
      const action = `scale node pool ${pool} to ${nodes}`;
      await guard(action, { pool });
      return inner.scaleNodePool(pool, nodes, { mayWrite: () => guard(action, { pool }) });
    },
  };
}
