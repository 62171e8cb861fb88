/**
 * Where published plans live: one Redis hash `<prefix>:published` (`{prefix}:published` on a Redis Cluster),
 * a JSON value per target, so every API replica serves the same values. Readers load the whole hash at once (one HGETALL per refresh, never a
 * query per request; see published-cache.ts).
 */
import type { RedisClient } from '../core/redis.js';
import { clusterSafePrefix } from '../core/redis-hash-tag.js';
import type { PublishedPlan } from './published-plan.js';

export interface PublishedPlanStore {
  put(plan: PublishedPlan): Promise<void>;
  /** One target's latest published plan (the reactive tick's floor in hpa/keda modes), or undefined. */
  get(target: string): Promise<PublishedPlan | undefined>;
  /** Every target's latest published plan, keyed by target id. */
  all(): Promise<Map<string, PublishedPlan>>;
}

export function createRedisPublishedPlanStore(redis: RedisClient, prefix = 'prescale'): PublishedPlanStore {
  const key = `${clusterSafePrefix(redis, prefix)}:published`;
  return {
    async put(plan) {
      await redis.hset(key, plan.target, JSON.stringify(plan));
    },
    async get(target) {
      const json = await redis.hget(key, target);
      if (json === null) return undefined;
      try {
        return JSON.parse(json) as PublishedPlan;
      } catch {
        return undefined;
      }
    },
    async all() {
      const raw = await redis.hgetall(key);
      const plans = new Map<string, PublishedPlan>();
      for (const [target, json] of Object.entries(raw)) {
        try {
          plans.set(target, JSON.parse(json) as PublishedPlan);
        } catch {
          // A value that does not parse is skipped: one bad record never hides the others.
        }
      }
      return plans;
    },
  };
}

export function createMemoryPublishedPlanStore(): PublishedPlanStore {
  const plans = new Map<string, string>();
  return {
    async put(plan) {
      plans.set(plan.target, JSON.stringify(plan));
    },
    async get(target) {
      const json = plans.get(target);
      return json === undefined ? undefined : (JSON.parse(json) as PublishedPlan);
    },
    async all() {
      return new Map([...plans].map(([target, json]) => [target, JSON.parse(json) as PublishedPlan]));
    },
  };
}
