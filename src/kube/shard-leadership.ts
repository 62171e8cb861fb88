/**
 * Leadership per plan shard (src/kube/plan-shards.ts): one LeaderElector per shard's Lease, asked for the
 * subject's shard. `isLeader` and `fence` answer for the Lease of the subject's shard only, so a process that leads
 * shard 0 can neither patch nor publish a target of shard 1; `publishFence` is the shared fence of each shard
 * (one Lease read per round, src/kube/shared-fence.ts). With one shard this is the single elector, as before.
 */
import type { SubjectFence } from '../cluster/fenced-cluster.js';
import type { LeaderElector } from './leader-election.js';
import { preferredShard, shardOf, type PlanSubject } from './plan-shards.js';
import { defaultFenceReuseMs, sharedFence } from './shared-fence.js';

export interface ShardLeadership {
  readonly shards: number;
  isLeader(subject: PlanSubject): boolean;
  /** The fence of the subject's shard Lease, read back on every call (patches: src/cluster/fenced-cluster.ts). */
  fence: SubjectFence;
  /** The same, one Lease read per shard reused for a moment (the hpa/keda publish of every tick). */
  publishFence: SubjectFence;
  /** Starts every shard's elector; the preferred shard at once, the others a lease duration later. */
  start(callbacks: { onStartedLeading(shard: number): void; onStoppedLeading(shard: number): void }): void;
  /** Stops the electors and releases the Leases held. */
  stop(): Promise<void>;
}

export function shardLeadership(electors: LeaderElector[], options: { leaseDurationMs: number; renewDeadlineMs: number }): ShardLeadership {
  const shards = electors.length;
  const electorOf = (subject: PlanSubject) => electors[shardOf(subject, shards)]!;
  const publishFences = electors.map((e) => sharedFence(() => e.fence(), { isLeader: () => e.isLeader(), reuseMs: defaultFenceReuseMs(options.renewDeadlineMs), renewDeadlineMs: options.renewDeadlineMs }));
  return {
    shards,
    isLeader: (subject) => electorOf(subject).isLeader(),
    fence: (subject) => electorOf(subject).fence(),
    publishFence: (subject) => publishFences[shardOf(subject, shards)]!(),
    start(callbacks) {
      const preferred = preferredShard(electors[0]!.identity, shards);
      electors.forEach((elector, k) =>
        elector.start({ onStartedLeading: () => callbacks.onStartedLeading(k), onStoppedLeading: () => callbacks.onStoppedLeading(k) }, { delayMs: k === preferred ? 0 : options.leaseDurationMs }),
      );
    },
    async stop() {
      await Promise.all(electors.map((e) => e.stop()));
    },
  };
}
