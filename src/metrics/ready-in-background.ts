/**
 * Start-up against an InfluxDB that may be down. A scaler that refuses to start while its time-series store is
 * away cannot serve the calendar, the external metric from Redis, or the reactive path, exactly when a
 * restart (a node drain, a rollout) coincides with an InfluxDB outage. So a transient failure of the store's
 * readiness call (unreachable, timeout, 5xx) starts the process degraded and keeps calling it with backoff
 * until it answers (it also creates the v1 database); writes meanwhile wait in the write-behind buffer.
 * A permanent failure (authentication, a missing bucket, a rejected query) still stops the start: it is a
 * configuration error that no wait will fix, and the message says what to change.
 *
 * Left out: what "degraded" means for the API (readiness.ts reports it) and the buffer (write-behind-store.ts).
 */
import { isRetryable } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { MetricsStore } from './metrics-store.js';

export interface BackgroundReadiness {
  /** Resolves once the store answered (at once when it answered at start); never rejects. */
  readonly reachable: Promise<void>;
  /** True once the store answered. */
  isReachable(): boolean;
  /** Stops retrying (process shutdown). */
  stop(): void;
}

export interface ReadyInBackgroundOptions {
  logger: Logger;
  /** First wait between attempts, ms (doubled each time, with jitter). Default 1 s. */
  initialDelayMs?: number;
  /** Longest wait between attempts, ms. Default 30 s. */
  maxDelayMs?: number;
}

/**
 * Calls `store.ensureReady()` once. Throws when the failure is permanent; otherwise logs why the process starts
 * degraded and retries in the background.
 */
export async function readyInBackground(store: Pick<MetricsStore, 'ensureReady'>, options: ReadyInBackgroundOptions): Promise<BackgroundReadiness> {
  const initialDelayMs = options.initialDelayMs ?? 1_000;
  const maxDelayMs = options.maxDelayMs ?? 30_000;
  try {
    await store.ensureReady();
    return { reachable: Promise.resolve(), isReachable: () => true, stop: () => undefined };
  } catch (error) {
    if (!isRetryable(error)) throw error;
    options.logger.warn({ err: (error as Error).message }, 'InfluxDB is not reachable: starting degraded (forecasts and decisions wait in the write buffer; the reactive path scales from Redis) and retrying until it answers');
  }

  let reachable = false;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let markReachable: () => void = () => undefined;
  const reachablePromise = new Promise<void>((resolve) => (markReachable = resolve));
  let attempts = 1;
  let delayMs = initialDelayMs;

  const attempt = async (): Promise<void> => {
    if (stopped) return;
    attempts++;
    try {
      await store.ensureReady();
      reachable = true;
      options.logger.info({ attempts }, 'InfluxDB is reachable again: leaving degraded start-up');
      markReachable();
      return;
    } catch (error) {
      if (stopped) return;
      // Even a permanent error is only logged here: the process already serves; the message says what to fix.
      options.logger.warn({ err: (error as Error).message, attempts, retryInMs: delayMs }, 'InfluxDB still not ready');
    }
    schedule();
  };
  const schedule = () => {
    const wait = Math.round(delayMs * (0.5 + Math.random() * 0.5));
    delayMs = Math.min(maxDelayMs, delayMs * 2);
    timer = setTimeout(() => void attempt(), wait);
    timer.unref();
  };
  schedule();

  return {
    reachable: reachablePromise,
    isReachable: () => reachable,
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
