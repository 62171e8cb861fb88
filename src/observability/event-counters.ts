/**
 * Counters of scaling events per target, shared through Redis so every API replica's /metrics shows the
 * same totals: the plan job (on the Lease holder) increments them, API replicas read them per scrape with
 * one HGETALL. Counters only grow (Prometheus `rate()` copes with the reset when the hash is deleted).
 *
 * Left out: event details (the decision log has those) and per-rule labels (cardinality).
 */
import type { RedisClient } from '../core/redis.js';
import { clusterSafePrefix } from '../core/redis-hash-tag.js';

export const SCALING_EVENTS = {
  /** A tick saw a threshold breach (live load, CPU, SLO, the forecast's bound) and raised the replicas. */
  reactiveTrigger: 'reactive_trigger',
  /** The plan wanted more replicas than targets[].maxReplicas (decision input alertAboveMax). */
  forecastAboveMax: 'forecast_above_max',
} as const;

export type ScalingEvent = (typeof SCALING_EVENTS)[keyof typeof SCALING_EVENTS];

export interface EventCounters {
  increment(target: string, events: readonly ScalingEvent[]): Promise<void>;
  /** Totals by target id, then event (events never counted are absent). */
  all(): Promise<Map<string, Partial<Record<ScalingEvent, number>>>>;
}

const EVENTS = new Set<string>(Object.values(SCALING_EVENTS));

function group(fields: Record<string, string>): Map<string, Partial<Record<ScalingEvent, number>>> {
  const out = new Map<string, Partial<Record<ScalingEvent, number>>>();
  for (const [field, value] of Object.entries(fields)) {
    // Field "<event>|<namespace/name>": the event first, because target ids never contain "|".
    const bar = field.indexOf('|');
    const event = field.slice(0, bar);
    if (bar < 0 || !EVENTS.has(event)) continue;
    const target = field.slice(bar + 1);
    const counts = out.get(target) ?? {};
    counts[event as ScalingEvent] = Number.parseInt(value, 10) || 0;
    out.set(target, counts);
  }
  return out;
}

/** One hash `<prefix>:events` (`{prefix}:events` on a Cluster), a field per (event, target). */
export function createRedisEventCounters(redis: RedisClient, prefix = 'prescale'): EventCounters {
  const key = `${clusterSafePrefix(redis, prefix)}:events`;
  return {
    async increment(target, events) {
      if (events.length === 0) return;
      const multi = redis.multi();
      for (const event of events) multi.hincrby(key, `${event}|${target}`, 1);
      await multi.exec();
    },
    all: async () => group(await redis.hgetall(key)),
  };
}
