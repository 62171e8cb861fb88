/**
 * Redis clients: one redis-server (`redis.url`) or a Redis Cluster (`redis.cluster`: seed nodes, credentials
 * and TLS from `redis.url`). Every store takes a RedisClient, so both work; on a Cluster each store hash-tags
 * its keys (core/redis-hash-tag.ts). Left out: Sentinel, and cluster replicas serving reads (all commands go
 * to the masters).
 */
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { ServiceError } from './errors.js';
import { stripUrlCredentials } from './secrets.js';

/** One redis-server or a Redis Cluster: every store accepts either. */
export type RedisClient = Redis | Cluster;

/** The `redis` config section as far as connecting goes. */
export interface RedisSettings {
  url: string;
  /** Seed nodes "host:port" of a Redis Cluster; absent: `url` is one redis-server. */
  cluster?: readonly string[] | undefined;
}

/** "host:port" (IPv6 in brackets: "[::1]:7000") -> host and port, or null when it is not one. */
export function parseClusterNode(text: string): { host: string; port: number } | null {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^\s:/@[\]]+)):(\d{1,5})$/.exec(text);
  if (!match) return null;
  const port = Number(match[3]);
  if (port < 1 || port > 65535) return null;
  return { host: match[1] ?? match[2]!, port };
}

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

/** Where a client connects, for error messages: "host:port", or "cluster host:port,host:port". */
export function clientAddress(client: RedisClient): string {
  // The nodes the Cluster knows now (the seeds are private to ioredis); none before the first slot map.
  if (client instanceof Cluster) return `cluster ${client.nodes('master').map((n) => `${n.options.host}:${n.options.port}`).join(',') || '(no nodes known)'}`;
  return `${client.options.host ?? '127.0.0.1'}:${client.options.port ?? 6379}`;
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

/**
 * Node options for a Cluster from `redis.url`: its user, password and scheme (rediss:// = TLS) apply to every
 * node; its host is not used. A database other than 0 is refused by the config schema (a Cluster has only 0).
 */
export function clusterNodeOptions(url: string): RedisOptions {
  const options: RedisOptions = {};
  if (url.startsWith('/')) return options;
  const parsed = new URL(url);
  if (parsed.username) options.username = decodeURIComponent(parsed.username);
  if (parsed.password) options.password = decodeURIComponent(parsed.password);
  if (parsed.protocol === 'rediss:') options.tls = {};
  return options;
}

/**
 * Connects a Cluster: reaches a seed node, reads the slot map and waits for cluster_state:ok, within
 * `timeoutMs`; throws a retryable ServiceError naming the seeds otherwise. Once connected it reconnects by
 * itself, and commands wait through an outage or a failover (maxRetriesPerRequest null, as BullMQ requires).
 */
export async function connectRedisCluster(settings: RedisSettings & { cluster: readonly string[] }, timeoutMs = 5_000): Promise<Cluster> {
  const nodes = settings.cluster.map((text) => {
    const node = parseClusterNode(text);
    if (!node) throw new TypeError(`redis.cluster: "${text}" is not host:port`);
    return node;
  });
  const address = `cluster ${settings.cluster.join(',')}`;
  const client = new Cluster(nodes, {
    lazyConnect: true,
    enableReadyCheck: true,
    // While starting: no retries, a clear error now beats a silent wait (set to `reconnect` below once up).
    clusterRetryStrategy: () => null,
    redisOptions: { ...clusterNodeOptions(settings.url), maxRetriesPerRequest: null, connectTimeout: timeoutMs },
  });
  let lastError: Error | undefined;
  const remember = (error: Error) => void (lastError = error);
  client.on('error', remember);
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no ready cluster within ${timeoutMs} ms`)), timeoutMs);
    });
    await Promise.race([client.connect().then(() => client.ping()), timeout]);
  } catch (error) {
    client.disconnect();
    const cause = lastError ?? (error as Error);
    throw new ServiceError('redis', address, `cannot connect (${cause.message}); are the cluster nodes up and is cluster_state ok?`, true, { cause });
  } finally {
    clearTimeout(timer);
  }
  client.off('error', remember);
  client.options.clusterRetryStrategy = reconnect;
  return client;
}

/** One redis-server or a Cluster, as `redis` in the config says (see connectRedis and connectRedisCluster). */
export async function connectRedisClient(settings: RedisSettings, timeoutMs = 5_000): Promise<RedisClient> {
  const { cluster } = settings;
  return cluster && cluster.length > 0 ? connectRedisCluster({ ...settings, cluster }, timeoutMs) : connectRedis(settings.url, timeoutMs);
}

/**
 * Every key matching `pattern` (SCAN, so never for hot paths). On a Cluster each master is scanned: a key
 * lives on exactly one of them.
 */
export async function scanKeys(client: RedisClient, pattern: string): Promise<string[]> {
  const nodes: Redis[] = client instanceof Cluster ? client.nodes('master') : [client];
  const keys: string[] = [];
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, batch] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
      keys.push(...batch);
      cursor = next;
    } while (cursor !== '0');
  }
  return keys;
}
