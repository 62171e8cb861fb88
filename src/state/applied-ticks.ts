/**
 * The record of which process applied which plan tick, in Redis: at most one apply per tick, whoever runs it.
 *
 * A tick is one plan-queue job (its BullMQ id names the scheduler, i.e. the target and loop, and the
 * scheduled time). BullMQ runs a job again when its lock expires while the first run still lives (a process
 * paused past the lock, or killed after its PATCH); a claim taken with SET NX before the apply makes the second
 * run find the first and not apply. A claim whose apply failed is released, so a retry of the tick may apply.
 *
 * Keys `<prefix>:applied-tick:<tick>` (`{prefix}:...` on a Redis Cluster) hold JSON {tick, target, replicas, by, at} and expire after a day (ticks
 * are never re-run later than that). Left out: ticks that changed nothing (no claim: nothing to repeat).
 */
import { scanKeys, type RedisClient } from '../core/redis.js';
import { clusterSafePrefix } from '../core/redis-hash-tag.js';

export interface AppliedTick {
  /** The plan job's id. */
  tick: string;
  /** What was applied: a target id or nodepool/<name>. */
  subject: string;
  /** Replicas (or nodes) asked for. */
  value: number;
  /** Identity of the process that applied it (the Lease holder identity). */
  by: string;
  /** When the claim was taken, epoch ms. */
  at: number;
}

export interface AppliedTicks {
  /**
   * Claims `tick` for this process; when another run already claimed it, returns that claim instead.
   * `release` drops our claim (the apply failed), so a retry of the tick may apply it.
   */
  claim(tick: string, what: { subject: string; value: number; at: number }): Promise<{ claimed: true; release(): Promise<void> } | { claimed: false; by: AppliedTick }>;
  /** Every recorded claim (tests and audits; SCAN, not for hot paths). */
  list(): Promise<AppliedTick[]>;
}

export const APPLIED_TICK_TTL_MS = 24 * 3_600_000;

/** Deletes the key only while it still holds our claim (a later claim by someone else stays). */
const RELEASE_IF_OURS = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0`;

export function createRedisAppliedTicks(redis: RedisClient, prefix: string, identity: string): AppliedTicks {
  // On a Cluster under `{prefix}`: one slot, so the MGET below spans no slots.
  const tagged = clusterSafePrefix(redis, prefix);
  const key = (tick: string) => `${tagged}:applied-tick:${tick}`;
  return {
    async claim(tick, what) {
      const record: AppliedTick = { tick, subject: what.subject, value: what.value, by: identity, at: what.at };
      const text = JSON.stringify(record);
      const set = await redis.set(key(tick), text, 'PX', APPLIED_TICK_TTL_MS, 'NX');
      if (set === 'OK') return { claimed: true, release: async () => void (await redis.eval(RELEASE_IF_OURS, 1, key(tick), text)) };
      const existing = await redis.get(key(tick));
      return { claimed: false, by: existing ? (JSON.parse(existing) as AppliedTick) : { ...record, by: 'unknown' } };
    },
    async list() {
      const keys = await scanKeys(redis, `${tagged.replace(/[*?[\]\\]/g, '\\$&')}:applied-tick:*`);
      if (keys.length === 0) return [];
      const values = await redis.mget(...keys);
      return values.filter((v): v is string => v !== null).map((v) => JSON.parse(v) as AppliedTick);
    },
  };
}
