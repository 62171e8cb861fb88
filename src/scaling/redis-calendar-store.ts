import type { Redis } from 'ioredis';
import { ServiceError } from '../core/errors.js';
import { appliesTo, parseCalendarEntry, type CalendarEntry } from './calendar.js';
import { sortEntries, type CalendarStore } from './calendar-store.js';

export interface RedisCalendarStoreOptions {
  /** Key prefix; entries live in the hash `<prefix>:calendar`, one JSON value per entry id. Default "prescale". */
  prefix?: string;
  /** Called for a stored value that no longer parses (skipped, so one bad entry never stops scaling). */
  onInvalid?: (id: string, error: unknown) => void;
}

/**
 * Calendar entries in one Redis hash. The caller owns the client (connects and quits it). Redis failures
 * become ServiceErrors naming the address (retryable); invalid entries InputErrors (not retryable).
 */
export function createRedisCalendarStore(redis: Redis, options: RedisCalendarStoreOptions = {}): CalendarStore {
  const key = `${options.prefix ?? 'prescale'}:calendar`;
  const address = `${redis.options.host ?? '127.0.0.1'}:${redis.options.port ?? 6379}`;
  const call = async <T>(what: string, command: () => Promise<T>): Promise<T> => {
    try {
      return await command();
    } catch (error) {
      throw new ServiceError('redis', address, `calendar store ${what} failed: ${(error as Error).message}`, true, { cause: error });
    }
  };
  const decode = (id: string, raw: string): CalendarEntry | null => {
    try {
      return parseCalendarEntry(JSON.parse(raw));
    } catch (error) {
      options.onInvalid?.(id, error);
      return null;
    }
  };
  return {
    async list(targetId) {
      const all = await call('list', () => redis.hgetall(key));
      const entries = Object.entries(all)
        .map(([id, raw]) => decode(id, raw))
        .filter((e): e is CalendarEntry => e !== null && (targetId === undefined || appliesTo(e, targetId)));
      return sortEntries(entries);
    },
    async get(id) {
      const raw = await call('get', () => redis.hget(key, id));
      return raw === null ? null : decode(id, raw);
    },
    async put(entry) {
      const parsed = parseCalendarEntry(entry);
      await call('put', () => redis.hset(key, parsed.id, JSON.stringify(parsed)));
      return parsed;
    },
    async delete(id) {
      return (await call('delete', () => redis.hdel(key, id))) > 0;
    },
  };
}
