import { Redis } from 'ioredis';
import { ServiceError } from './errors.js';
import { stripUrlCredentials } from './secrets.js';

/** Address without credentials, for error messages and logs. */
export function redisAddress(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname}:${parsed.port || '6379'}`;
  } catch {
    // Not a URL (a socket path, or a typo): never echo what could be a password.
    return stripUrlCredentials(url).replace(/:[^:@/]*@/, '@');
  }
}

/**
 * An ioredis client for BullMQ and the state stores. `maxRetriesPerRequest: null` is what BullMQ workers
 * require; commands wait for a reconnect instead of failing, so `connectRedis` checks reachability first.
 */
export function createRedis(url: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, enableReadyCheck: true, lazyConnect: true });
}

/** Reconnect delays once running: quick at first, at most 2 s, for as long as it takes. */
const reconnect = (attempt: number) => Math.min(attempt * 200, 2_000);

/**
 * Connects and PINGs within `timeoutMs`; throws a retryable ServiceError naming the address otherwise. Once
 * connected, the client reconnects by itself after an outage (commands wait, as BullMQ requires).
 */
export async function connectRedis(url: string, timeoutMs = 5_000): Promise<Redis> {
  const address = redisAddress(url);
  // No reconnect attempts while starting: a clear error now beats a silent wait.
  const client = new Redis(url, { maxRetriesPerRequest: null, lazyConnect: true, connectTimeout: timeoutMs, retryStrategy: () => null });
  let lastError: Error | undefined;
  const remember = (error: Error) => void (lastError = error);
  client.on('error', remember);
  const hint = 'is redis-server running? "npm run services:start" starts one';
  try {
    await client.connect();
    await client.ping();
  } catch (error) {
    client.disconnect();
    const cause = lastError ?? (error as Error);
    throw new ServiceError('redis', address, `cannot connect (${cause.message}); ${hint}`, true, { cause });
  }
  client.off('error', remember);
  client.options.retryStrategy = reconnect;
  return client;
}
