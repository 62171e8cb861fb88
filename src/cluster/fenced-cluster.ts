/**
 * A ClusterActuator whose writes (scale a workload, restart it, drive a node pool) each ask a fence first and
 * refuse with NotLeaderError when it says this process no longer leads. Reads pass straight through.
 *
 * With several replicas only the Lease holder applies; the plan job checks `deps.isLeader()` when it decides,
 * but a tick can stall between deciding and patching (a paused process, a slow API server), and leadership
 * can move meanwhile. The fence (LeaderElector.fence: the local monotonic bound plus the Lease read back)
 * is asked immediately before each write, so the write leaves only from the current leader.
 *
 * Left out: what "the leader" means (the fence decides); the simulated cluster needs no fence (one process).
 */
import type { ClusterActuator } from './cluster.js';
import { PrescaleError } from '../core/errors.js';

/** The answer of a fence: held, or why not. */
export type Fence = () => Promise<{ held: true } | { held: false; reason: string }>;

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

export function fencedCluster(inner: ClusterActuator, fence: Fence): ClusterActuator {
  const guard = async (action: string): Promise<void> => {
    const verdict = await fence();
    if (!verdict.held) throw new NotLeaderError(verdict.reason, action);
  };
  return {
    getWorkload: (ref) => inner.getWorkload(ref),
    getNodePool: (pool) => inner.getNodePool(pool),
    listAutoscalers: (namespace) => inner.listAutoscalers(namespace),
    async scaleWorkload(ref, replicas) {
      await guard(`scale ${ref.kind} ${ref.namespace}/${ref.name} to ${replicas}`);
      return inner.scaleWorkload(ref, replicas);
    },
    async restartWorkload(ref, reason) {
      await guard(`restart ${ref.kind} ${ref.namespace}/${ref.name}`);
      return inner.restartWorkload(ref, reason);
    },
    async scaleNodePool(pool, nodes) {
      await guard(`scale node pool ${pool} to ${nodes}`);
      return inner.scaleNodePool(pool, nodes);
    },
  };
}
