import { Redis } from 'ioredis';
import { ServiceError } from './errors.js';

/** Address without credentials, for error messages and logs. */
export function redisAddress(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname}:${parsed.port || '6379'}`;
  } catch {
    return url;
  }
}

/**
 * An ioredis client for BullMQ and the state stores. `maxRetriesPerRequest: null` is what BullMQ workers
 * require; commands wait for a reconnect instead of failing, so `connectRedis` checks reachability first.
 */
export function createRedis(url: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, enableReadyCheck: true, lazyConnect: true });
}

/** Connects and PINGs within `timeoutMs`; throws a ServiceError naming the address otherwise. */
export async function connectRedis(url: string, timeoutMs = 5_000): Promise<Redis> {
  const client = new Redis(url, { maxRetriesPerRequest: null, lazyConnect: true, retryStrategy: (attempt) => Math.min(attempt * 200, 2_000) });
  const failure = new Promise<never>((_, reject) => {
    const timer = setTimeout(() => reject(new ServiceError('redis', redisAddress(url), `no answer within ${timeoutMs} ms (is redis-server running? try "npm run services:start")`)), timeoutMs);
    timer.unref();
  });
  try {
    await Promise.race([client.connect().then(() => client.ping()), failure]);
    return client;
  } catch (error) {
    client.disconnect();
    if (error instanceof ServiceError) throw error;
    throw new ServiceError('redis', redisAddress(url), (error as Error).message, true, { cause: error });
  }
}
