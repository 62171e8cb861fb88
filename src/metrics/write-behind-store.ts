/**
 * A write-behind buffer around a MetricsStore: when InfluxDB does not take a write (down, restarting, a
 * timeout), the write is kept in memory and retried in order, with backoff, until it goes through, so the
 * plan job keeps deciding and recording while InfluxDB is away and the record is complete once it returns.
 *
 * Bounded by points (a forecast counts its steps, a decision counts one): beyond `maxPoints` the oldest
 * buffered writes are dropped and counted (`droppedPoints`, shown in /api/status, /readyz and /metrics), never
 * silently. Writes keep their order: while anything is buffered, new writes queue behind it. Bad input
 * (an InputError: a point InfluxDB would never take) is thrown at once, never buffered.
 *
 * Left out: durability (the buffer lives in this process; a crash loses it, which is why it is bounded and
 * counted) and reads (they go straight to the store: a read that fails, fails; callers fall back, see
 * jobs/processors/plan.ts and src/state/last-known.ts).
 */
import { isRetryable, PrescaleError } from '../core/errors.js';
import { silentLogger, type Logger } from '../core/logger.js';
import type { LatestPerSeriesQuery, MetricPoint, MetricsStore, ScalingDecision, StoredForecast } from './metrics-store.js';

/** Points kept at most while InfluxDB is away (about 80 MB of small points at the worst). */
export const DEFAULT_WRITE_BUFFER_POINTS = 200_000;

export interface WriteBehindOptions {
  /** Points buffered at most; beyond it the oldest writes are dropped and counted. */
  maxPoints?: number;
  /** First wait before retrying the buffer, ms; doubles per failure up to `maxRetryDelayMs`. */
  retryDelayMs?: number;
  maxRetryDelayMs?: number;
  logger?: Logger;
  /** Epoch ms, for the status (default Date.now: the buffer runs on wall time, like the I/O it waits for). */
  now?: () => number;
}

export interface WriteBufferStatus {
  /** Points waiting to be written. */
  pendingPoints: number;
  /** Writes (calls) waiting. */
  pendingWrites: number;
  /** Points dropped (oldest first) because the buffer was full, since the process started. */
  droppedPoints: number;
  maxPoints: number;
  /** The latest write error while something is buffered, else null. */
  lastError: string | null;
  /** When that error happened, epoch ms. */
  lastErrorAt: number | null;
}

export interface WriteBehindStore extends MetricsStore {
  bufferStatus(): WriteBufferStatus;
  /** Tries the buffered writes now; resolves true when the buffer is empty. */
  flush(): Promise<boolean>;
}

type Pending =
  | { kind: 'points'; value: MetricPoint[]; size: number }
  | { kind: 'forecast'; value: StoredForecast; size: number }
  | { kind: 'decisions'; value: ScalingDecision[]; size: number };

/** A write worth keeping for later: anything but bad input. */
function worthRetrying(error: unknown): boolean {
  return !(error instanceof PrescaleError) || isRetryable(error);
}

export function createWriteBehindStore(inner: MetricsStore, options: WriteBehindOptions = {}): WriteBehindStore {
  const maxPoints = options.maxPoints ?? DEFAULT_WRITE_BUFFER_POINTS;
  const baseDelay = options.retryDelayMs ?? 1_000;
  const maxDelay = options.maxRetryDelayMs ?? 30_000;
  const logger = options.logger ?? silentLogger;
  const now = options.now ?? Date.now;
  const queue: Pending[] = [];
  let pendingPoints = 0;
  let droppedPoints = 0;
  let lastError: string | null = null;
  let lastErrorAt: number | null = null;
  let failures = 0;
  let timer: NodeJS.Timeout | null = null;
  let draining: Promise<boolean> | null = null;
  let closed = false;

  const send = (entry: Pending): Promise<void> => {
    switch (entry.kind) {
      case 'points':
        return inner.writePoints(entry.value);
      case 'forecast':
        return inner.writeForecast(entry.value);
      case 'decisions':
        return inner.writeDecisions(entry.value);
    }
  };

  const remember = (error: unknown) => {
    lastError = error instanceof Error ? error.message : String(error);
    lastErrorAt = now();
  };

  const schedule = () => {
    if (timer || closed || queue.length === 0) return;
    const delay = Math.min(maxDelay, baseDelay * 2 ** Math.max(0, failures - 1));
    timer = setTimeout(() => {
      timer = null;
      void drain();
    }, delay);
    timer.unref();
  };

  const enqueue = (entry: Pending) => {
    queue.push(entry);
    pendingPoints += entry.size;
    // Oldest first: the newest decisions and points are the ones worth most once InfluxDB is back.
    while (pendingPoints > maxPoints && queue.length > 0) {
      const dropped = queue.shift()!;
      pendingPoints -= dropped.size;
      droppedPoints += dropped.size;
      logger.warn({ kind: dropped.kind, points: dropped.size, droppedPoints, maxPoints }, 'metrics write buffer full: oldest write dropped');
    }
    schedule();
  };

  const drain = (): Promise<boolean> => {
    draining ??= (async () => {
      while (queue.length > 0) {
        const head = queue[0]!;
        try {
          await send(head);
        } catch (error) {
          if (!worthRetrying(error)) {
            // Cannot happen for writes that were valid when buffered; dropping it beats blocking the rest forever.
            queue.shift();
            pendingPoints -= head.size;
            droppedPoints += head.size;
            logger.error({ kind: head.kind, err: (error as Error).message }, 'buffered metrics write refused: dropped');
            continue;
          }
          failures += 1;
          remember(error);
          return false;
        }
        // The head may have been dropped meanwhile (the buffer overflowed during the write).
        if (queue[0] === head) {
          queue.shift();
          pendingPoints -= head.size;
        }
      }
      if (failures > 0) logger.info({ droppedPoints }, 'metrics write buffer drained');
      failures = 0;
      lastError = null;
      lastErrorAt = null;
      return true;
    })().finally(() => {
      draining = null;
      schedule();
    });
    return draining;
  };

  const write = async (entry: Pending): Promise<void> => {
    if (entry.size === 0) return;
    if (queue.length > 0 || draining) return enqueue(entry);
    try {
      await send(entry);
    } catch (error) {
      if (!worthRetrying(error)) throw error;
      failures += 1;
      remember(error);
      logger.warn({ kind: entry.kind, points: entry.size, err: lastError }, 'metrics write failed: buffered for retry');
      enqueue(entry);
    }
  };

  return {
    ensureReady: () => inner.ensureReady(),
    readSeries: (query) => inner.readSeries(query),
    latest: (query) => inner.latest(query),
    ...(inner.latestPerSeries ? { latestPerSeries: (query: LatestPerSeriesQuery) => inner.latestPerSeries!(query) } : {}),
    readForecast: (target, from, to) => inner.readForecast(target, from, to),
    readForecastAsIssued: (query) => inner.readForecastAsIssued(query),
    readDecisions: (target, from, to, filter) => inner.readDecisions(target, from, to, filter),
    writePoints: (points) => write({ kind: 'points', value: points, size: points.length }),
    writeForecast: (forecast) => write({ kind: 'forecast', value: forecast, size: Math.max(1, forecast.mean.length) }),
    writeDecisions: (decisions) => write({ kind: 'decisions', value: decisions, size: decisions.length }),
    bufferStatus: () => ({ pendingPoints, pendingWrites: queue.length, droppedPoints, maxPoints, lastError, lastErrorAt }),
    flush: async () => (queue.length === 0 && !draining ? true : drain()),
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      timer = null;
      // One last try; what still cannot be written is counted as dropped and logged.
      if (queue.length > 0 && !(await drain().catch(() => false))) {
        droppedPoints += pendingPoints;
        logger.warn({ points: pendingPoints, err: lastError }, 'metrics write buffer not drained at shutdown: dropped');
      }
      await inner.close();
    },
  };
}
