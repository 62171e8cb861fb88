/**
 * Finished what-if results in Redis, one JSON string per run id (`<prefix>:what-if:<id>`), kept for
 * WHAT_IF_CACHE_TTL_S: every API replica answers a repeated request from here at once. The id holds the data's
 * end time, so a newer step of data is a new key and stale results simply expire. Left out: eviction by size
 * (a result is a few hundred KB at most: 2,000 points per line).
 */
import type { RedisClient } from '../core/redis.js';
import { clusterSafePrefix } from '../core/redis-hash-tag.js';
import type { WhatIfResult } from './what-if.js';

/** How long a result is kept, seconds. */
export const WHAT_IF_CACHE_TTL_S = 24 * 3600;

export interface WhatIfCache {
  get(id: string): Promise<WhatIfResult | null>;
  set(result: WhatIfResult): Promise<void>;
}

export function createRedisWhatIfCache(redis: RedisClient, prefix = 'prescale', ttlSeconds = WHAT_IF_CACHE_TTL_S): WhatIfCache {
  const key = (id: string) => `${clusterSafePrefix(redis, prefix)}:what-if:${id}`;
  return {
    async get(id) {
      const raw = await redis.get(key(id));
      return raw ? (JSON.parse(raw) as WhatIfResult) : null;
    },
    async set(result) {
      await redis.set(key(result.id), JSON.stringify(result), 'EX', ttlSeconds);
    },
  };
}
