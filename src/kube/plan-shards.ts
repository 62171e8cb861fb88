/**
 * Plan work split across processes by target: with `kubernetes.shards` S > 1, target t belongs to shard
 * stableHash(t) mod S, node-pool ticks to shard 0. Shard k has its own plan queue (jobs/queues.ts planQueueName) and its own Lease
 * (`<leaseName>-<k>`); only the holder of shard k's Lease consumes its queue, and every apply and publish for a
 * target is fenced by that target's shard Lease, so each target still has exactly one actor. S = 1 is the single
 * Lease (`leaseName`) and the single plan queue, as before sharding.
 */
import { stableHash } from '../core/stable-hash.js';

/** What a plan-queue job acts on: a target (namespace/name) or a node pool. */
export type PlanSubject = { target: string } | { pool: string };

export function shardOf(subject: PlanSubject, shards: number): number {
  if (shards <= 1 || !('target' in subject)) return 0;
  return stableHash(subject.target) % shards;
}

export function shardLeaseName(leaseName: string, shard: number, shards: number): string {
  return shards <= 1 ? leaseName : `${leaseName}-${shard}`;
}

/**
 * The shards this identity tries first: at start, an elector waits one lease duration before competing for any
 * other shard, so processes that start together spread over the shards instead of the fastest taking all.
 */
export function preferredShard(identity: string, shards: number): number {
  return shards <= 1 ? 0 : stableHash(identity) % shards;
}
