/**
 * Calendar entries in Redis, shared by every Prescale process and kept across restarts. Layout (unchanged
 * for entries since before revisions existed, so older processes still read them during a rolling update):
 *   `<prefix>:calendar`       hash: entry id -> entry JSON
 *   `<prefix>:calendar:meta`  hash: entry id -> meta JSON {revision, createdAt, createdBy, updatedAt, updatedBy}
 * An entry without meta (written before revisions) reads as revision 1 by "unknown".
 *
 * Every write is one Lua script: the revision check and the change happen atomically on the server, so of two
 * replaces expecting the same revision exactly one succeeds, whichever replica sends them. On a Redis Cluster
 * the prefix is hash-tagged ("prescale" -> "{prescale}:calendar", "{prescale}:calendar:meta"), so both hashes
 * share a slot, as the scripts and MULTIs need (a prefix with a tag of its own is kept).
 *
 * The caller owns the client (connects and quits it). Redis failures become ServiceErrors naming the address
 * (retryable); invalid entries InputErrors (not retryable). Left out: history of earlier revisions.
 */
import type { Redis } from 'ioredis';
import { clientAddress, type RedisClient } from '../core/redis.js';
import { clusterSafePrefix } from '../core/redis-hash-tag.js';
import { ServiceError } from '../core/errors.js';
import { appliesTo, parseCalendarEntry, type CalendarEntry } from './calendar.js';
import { decodeMeta, LEGACY_META, newMeta, sortEntries, type CalendarDeleteResult, type CalendarStore, type CalendarWriteResult, type StoredCalendarEntry } from './calendar-store.js';

export interface RedisCalendarStoreOptions {
  /** Key prefix; see the layout above. Default "prescale". */
  prefix?: string;
  /** Called for a stored value that no longer parses (skipped, so one bad entry never stops scaling). */
  onInvalid?: (id: string, error: unknown) => void;
}

/** Lua: the stored meta of ARGV[1], or the legacy meta (same rules as decodeMeta in calendar-store.ts). */
const META_OF = `
local function meta_of(raw, legacy_at, legacy_by)
  if raw then
    local ok, meta = pcall(cjson.decode, raw)
    if ok and type(meta) == 'table' and type(meta.revision) == 'number' and meta.revision >= 1 and math.floor(meta.revision) == meta.revision
      and type(meta.createdAt) == 'string' and type(meta.createdBy) == 'string' and type(meta.updatedAt) == 'string' and type(meta.updatedBy) == 'string' then
      return meta
    end
  end
  return { revision = 1, createdAt = legacy_at, createdBy = legacy_by, updatedAt = legacy_at, updatedBy = legacy_by }
end
`;

/** KEYS: entries, meta. ARGV: id, entry JSON, meta JSON. Returns 1 when created, 0 when the id exists. */
const CREATE = `
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
return 1
`;

/**
 * KEYS: entries, meta. ARGV: id, entry JSON, expected revision, updatedAt, updatedBy, legacy time, legacy author.
 * Returns {'ok', meta JSON} | {'missing'} | {'stale', current revision}.
 */
const REPLACE = `${META_OF}
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return {'missing'} end
local meta = meta_of(redis.call('HGET', KEYS[2], ARGV[1]), ARGV[6], ARGV[7])
if meta.revision ~= tonumber(ARGV[3]) then return {'stale', tostring(meta.revision)} end
meta.revision = meta.revision + 1
meta.updatedAt = ARGV[4]
meta.updatedBy = ARGV[5]
local encoded = cjson.encode(meta)
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('HSET', KEYS[2], ARGV[1], encoded)
return {'ok', encoded}
`;

/** KEYS: entries, meta. ARGV: id, expected revision or '' for any, legacy time, legacy author. */
const DELETE = `${META_OF}
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return {'missing'} end
if ARGV[2] ~= '' then
  local meta = meta_of(redis.call('HGET', KEYS[2], ARGV[1]), ARGV[3], ARGV[4])
  if meta.revision ~= tonumber(ARGV[2]) then return {'stale', tostring(meta.revision)} end
end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
return {'ok'}
`;

export function createRedisCalendarStore(redis: RedisClient, options: RedisCalendarStoreOptions = {}): CalendarStore {
  const key = `${clusterSafePrefix(redis, options.prefix ?? 'prescale')}:calendar`;
  const metaKey = `${key}:meta`;
  // Asked when needed: a Cluster knows its nodes only once connected.
  const address = () => clientAddress(redis);
  const call = async <T>(what: string, command: () => Promise<T>): Promise<T> => {
    try {
      return await command();
    } catch (error) {
      throw new ServiceError('redis', address(), `calendar store ${what} failed: ${(error as Error).message}`, true, { cause: error });
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
  /** The replies of a MULTI (one transaction: entries and meta from the same moment), each error a ServiceError. */
  const transaction = async <T>(what: string, build: (multi: ReturnType<Redis['multi']>) => ReturnType<Redis['multi']>): Promise<T[]> => {
    const replies = await call(what, () => build(redis.multi()).exec());
    return (replies ?? []).map(([error, value]) => {
      if (error) throw new ServiceError('redis', address(), `calendar store ${what} failed: ${error.message}`, true, { cause: error });
      return value as T;
    });
  };
  const all = async (targetId: string | undefined): Promise<StoredCalendarEntry[]> => {
    const [entriesReply, metaReply] = await transaction<Record<string, string>>('list', (m) => m.hgetall(key).hgetall(metaKey));
    const metas = metaReply ?? {};
    const stored: StoredCalendarEntry[] = [];
    for (const [id, raw] of Object.entries(entriesReply ?? {})) {
      const entry = decode(id, raw);
      if (entry && (targetId === undefined || appliesTo(entry, targetId))) stored.push({ entry, meta: decodeMeta(metas[id]) });
    }
    return sortEntries(stored);
  };
  const legacy = [LEGACY_META.createdAt, LEGACY_META.createdBy];
  return {
    async list(targetId) {
      return (await all(targetId)).map((s) => s.entry);
    },
    listWithMeta: all,
    async get(id) {
      // One MULTI: an entry and a revision from different moments would give a stale body a fresh ETag.
      const [raw, meta] = await transaction<string | null>('get', (m) => m.hget(key, id).hget(metaKey, id));
      if (raw === null || raw === undefined) return null;
      const entry = decode(id, raw);
      return entry ? { entry, meta: decodeMeta(meta) } : null;
    },
    async create(input, write): Promise<CalendarWriteResult> {
      const entry = parseCalendarEntry(input);
      const meta = newMeta(write);
      const created = await call('create', () => redis.eval(CREATE, 2, key, metaKey, entry.id, JSON.stringify(entry), JSON.stringify(meta)));
      return created === 1 ? { ok: true, stored: { entry, meta } } : { ok: false, reason: 'exists' };
    },
    async replace(id, input, expectedRevision, write): Promise<CalendarWriteResult> {
      const entry = parseCalendarEntry(input);
      if (entry.id !== id) throw new TypeError(`calendar store: replace of "${id}" with an entry whose id is "${entry.id}"`);
      const args = [id, JSON.stringify(entry), String(expectedRevision), new Date(write.at).toISOString(), write.author, ...legacy];
      const reply = (await call('replace', () => redis.eval(REPLACE, 2, key, metaKey, ...args))) as string[];
      if (reply[0] === 'missing') return { ok: false, reason: 'missing' };
      if (reply[0] === 'stale') return { ok: false, reason: 'stale', revision: Number(reply[1]) };
      return { ok: true, stored: { entry, meta: decodeMeta(reply[1]) } };
    },
    async delete(id, expectedRevision): Promise<CalendarDeleteResult> {
      const args = [id, expectedRevision === undefined ? '' : String(expectedRevision), ...legacy];
      const reply = (await call('delete', () => redis.eval(DELETE, 2, key, metaKey, ...args))) as string[];
      if (reply[0] === 'missing') return { ok: false, reason: 'missing' };
      if (reply[0] === 'stale') return { ok: false, reason: 'stale', revision: Number(reply[1]) };
      return { ok: true };
    },
  };
}
