/**
 * Readiness: whether this process can do its work with its dependencies as they are now. Redis (BullMQ,
 * state, calendar) must answer a PING; InfluxDB must answer the metrics store's readiness call; and the
 * metrics write buffer (src/metrics/write-behind-store.ts) must be empty. One reason per dependency in words.
 *
 * Two levels, because readiness decides whether the pod stays behind its Service: without InfluxDB the api
 * still serves the calendar, status, the KEDA endpoint and the external metrics API from Redis and memory, so
 * it is `degraded` but ready (200: taking every api pod out of the Service at once would take the HPA's
 * metric with it); without Redis it cannot serve the calendar or fresh plans, so it is `unavailable` (503). Checks are bounded by `timeoutMs` and the result is cached for `cacheMs`,
 * so a probe every second costs at most one round trip per dependency.
 *
 * Degraded is not dead: the plan job keeps scaling from what Redis kept (jobs/plan-inputs.ts) and the
 * buffer drains by itself once InfluxDB is back; /healthz stays 200 throughout (liveness must not restart a
 * process that is only waiting for a dependency).
 *
 * Left out: the Kubernetes API (every call retries on its own; a failing apply is in the decision log).
 */
import type { RedisClient } from '../core/redis.js';
import type { MetricsStore } from '../metrics/metrics-store.js';
import type { WriteBufferStatus } from '../metrics/write-behind-store.js';

export interface ReadinessReport {
  /** ready: all well; degraded: InfluxDB trouble, still serving (200); unavailable: Redis down (503). */
  status: 'ready' | 'degraded' | 'unavailable';
  /** One entry per dependency that is not as it should be, naming it ("InfluxDB: ...", "Redis: ..."). */
  reasons: string[];
  /** The metrics write buffer, when this process has one. */
  writeBuffer?: WriteBufferStatus;
}

export interface ReadinessOptions {
  redis: Pick<RedisClient, 'ping' | 'status'>;
  store: Pick<MetricsStore, 'ensureReady'>;
  writeBuffer?: () => WriteBufferStatus;
  /** Longest wait for one dependency, ms. Default 2 s. */
  timeoutMs?: number;
  /** How long a result is served again, ms. Default 2 s. */
  cacheMs?: number;
  /** Wall time, ms (default Date.now). */
  now?: () => number;
}

function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

export function createReadinessCheck(options: ReadinessOptions): () => Promise<ReadinessReport> {
  const timeoutMs = options.timeoutMs ?? 2_000;
  const cacheMs = options.cacheMs ?? 2_000;
  const now = options.now ?? Date.now;
  let cached: { at: number; report: ReadinessReport } | null = null;
  let inFlight: Promise<ReadinessReport> | null = null;

  const check = async (): Promise<ReadinessReport> => {
    const reasons: string[] = [];
    const [redis, influx] = await Promise.allSettled([
      // ioredis queues commands while reconnecting: a client that is not ready is not ready, whatever PING would say later.
      options.redis.status === 'ready' ? within(options.redis.ping(), timeoutMs) : Promise.reject(new Error(`connection ${options.redis.status}`)),
      within(options.store.ensureReady(), timeoutMs),
    ]);
    if (redis.status === 'rejected') reasons.push(`Redis: ${message(redis.reason)}`);
    if (influx.status === 'rejected') reasons.push(`InfluxDB: ${message(influx.reason)}`);
    const buffer = options.writeBuffer?.();
    if (buffer && buffer.pendingPoints > 0) reasons.push(`InfluxDB: ${buffer.pendingPoints} points waiting to be written${buffer.lastError ? ` (${buffer.lastError})` : ''}`);
    if (buffer && buffer.droppedPoints > 0 && reasons.length > 0) reasons.push(`InfluxDB: ${buffer.droppedPoints} points dropped (write buffer full at ${buffer.maxPoints})`);
    const status = redis.status === 'rejected' ? 'unavailable' : reasons.length > 0 ? 'degraded' : 'ready';
    return { status, reasons, ...(buffer ? { writeBuffer: buffer } : {}) };
  };

  return async () => {
    if (cached && now() - cached.at < cacheMs) return cached.report;
    inFlight ??= check()
      .then((report) => {
        cached = { at: now(), report };
        return report;
      })
      .finally(() => {
        inFlight = null;
      });
    return inFlight;
  };
}
