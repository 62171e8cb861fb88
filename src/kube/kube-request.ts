/**
 * Every Kubernetes API call goes through `callKube`: it retries what the API server says may succeed later
 * (409 Conflict after a fresh read, 429 after Retry-After, 5xx, connection errors and request timeouts with
 * exponential backoff and jitter) and turns every failure into a ServiceError whose `retryable` tells the
 * caller whether trying again later makes sense (a 404 or 422 never will). Each retry can be reported to
 * the caller (`onRetry`), so a decision can say what the API server did.
 *
 * Left out: the request timeout itself (kube-clients.ts puts an abort signal on every request; a timed-out
 * request arrives here as an AbortError) and idempotency: operations re-read what they need (see
 * KubeActuator.scaleWorkload, which reads /scale again before re-applying).
 */
import { ApiException } from '@kubernetes/client-node';
import type { Clock } from '../core/clock.js';
import { PrescaleError, ServiceError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';

export interface RetryPolicy {
  /** Attempts in total, the first included. */
  maxAttempts: number;
  /** First backoff after a 5xx or connection error, ms; doubles per attempt. */
  baseDelayMs: number;
  /** Upper bound of one wait, ms (also caps Retry-After). */
  maxDelayMs: number;
  /**
   * Share of each backoff left to chance, 0..1: a wait is `delay x (1 - jitter x random)`, so replicas that
   * failed together do not retry together. Retry-After is honoured as given, never jittered.
   */
  jitter: number;
  /** One request's time limit, ms: a request without an answer by then is aborted and retried (uncertain). */
  requestTimeoutMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 5, baseDelayMs: 200, maxDelayMs: 30_000, jitter: 0.5, requestTimeoutMs: 10_000 };

export interface KubeCallContext {
  server: string;
  clock: Clock;
  logger: Logger;
  retry: RetryPolicy;
  /** Uniform in [0, 1) for the jitter (default Math.random; tests pin it). */
  random?: () => number;
}

/** One failed attempt that will be retried, as `onRetry` receives it. */
export interface RetryEvent {
  what: string;
  /** The attempt that failed, 1-based. */
  attempt: number;
  /** HTTP status, absent for connection errors and timeouts. */
  status?: number;
  reason?: string;
  /** True when no answer came (connection error or request timeout): the request may or may not have been applied. */
  uncertain: boolean;
  /** The wait before the next attempt, ms. */
  delayMs: number;
  /** Whether the wait is the server's Retry-After. */
  retryAfter: boolean;
  message: string;
}

/** A retry in words, for a decision's notes: "patch scale ...: 429 TooManyRequests, retried after 3 s (Retry-After)". */
export function describeRetry(event: RetryEvent): string {
  const what = event.status !== undefined ? `${event.status}${event.reason ? ` ${event.reason}` : ''}` : event.message;
  const wait = event.retryAfter ? `after ${event.delayMs / 1000} s (Retry-After)` : `after ${event.delayMs} ms`;
  return `${event.what}: attempt ${event.attempt} failed (${what}${event.uncertain ? ', outcome unknown' : ''}), retried ${wait}`;
}

/** What the API server said, pulled out of a client-node ApiException (body is the Status JSON). */
export interface KubeFailure {
  code: number;
  reason?: string;
  message: string;
  retryAfterSeconds?: number;
}

export function describeFailure(error: unknown): KubeFailure | undefined {
  if (!(error instanceof ApiException)) return undefined;
  const code = Number(error.code);
  let status: { reason?: string; message?: string; details?: { retryAfterSeconds?: number } } = {};
  const body: unknown = error.body;
  if (typeof body === 'string') {
    try {
      status = JSON.parse(body) as typeof status;
    } catch {
      status = { message: body };
    }
  } else if (typeof body === 'object' && body !== null) status = body as typeof status;
  const headers = (error.headers ?? {}) as Record<string, string>;
  const retryAfterHeader = Object.entries(headers).find(([k]) => k.toLowerCase() === 'retry-after')?.[1];
  const fromHeader = retryAfterHeader !== undefined && /^\d+$/.test(retryAfterHeader.trim()) ? Number(retryAfterHeader) : undefined;
  const retryAfterSeconds = fromHeader ?? status.details?.retryAfterSeconds;
  return { code, reason: status.reason, message: status.message ?? `HTTP ${code}`, ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}) };
}

/** Network-level failures (refused, reset, DNS, timeout): the request may not have reached the server. */
function isConnectionError(error: unknown): boolean {
  if (error instanceof ApiException) return false;
  const code = (error as { code?: unknown })?.code;
  const name = (error as { name?: unknown })?.name;
  // The request timeout (an aborted fetch): no answer, so the request may or may not have been applied.
  if (name === 'AbortError' || name === 'TimeoutError') return true;
  // A certificate the CA did not sign will not sign itself on retry.
  if (typeof code === 'string' && /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/.test(code)) return false;
  return name === 'FetchError' || (typeof code === 'string' && /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|ENOTFOUND|EAI_AGAIN|UND_ERR)/.test(code));
}

/** True when the API server answered 404. */
export function isNotFound(error: unknown): boolean {
  return error instanceof ApiException && Number(error.code) === 404;
}

/** True when the API server answered 409 (Conflict or AlreadyExists). */
export function isConflict(error: unknown): boolean {
  return error instanceof ApiException && Number(error.code) === 409;
}

/**
 * Runs `operation` (which must re-read whatever it needs, so a retry after 409 works on fresh state) and
 * retries per the policy. `what` names the call in errors: "scale apps/v1 deployments shop/web".
 */
export async function callKube<T>(what: string, operation: () => Promise<T>, context: KubeCallContext, onRetry?: (event: RetryEvent) => void): Promise<T> {
  const { retry, clock, logger, server } = context;
  const random = context.random ?? Math.random;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await operation();
    } catch (error) {
      // Already decided (a nested call that gave up, or a refusal): pass it on unchanged.
      if (error instanceof PrescaleError) throw error;
      const failure = describeFailure(error);
      const connection = isConnectionError(error);
      const transient = connection || (failure !== undefined && (failure.code === 409 || failure.code === 429 || failure.code >= 500));
      const detail = failure ? `${failure.code}${failure.reason ? ` ${failure.reason}` : ''}: ${failure.message}` : (error as Error).message;
      if (!transient) throw new ServiceError('kubernetes', server, `${what} failed: ${detail}`, false, { cause: error });
      if (attempt >= retry.maxAttempts) throw new ServiceError('kubernetes', server, `${what} failed after ${attempt} attempts: ${detail}`, true, { cause: error });
      let delay: number;
      const retryAfter = failure?.code === 429 && failure.retryAfterSeconds !== undefined;
      if (retryAfter) delay = failure.retryAfterSeconds! * 1000;
      else if (failure?.code === 409) delay = 0; // a fresh read is all a conflict needs
      else delay = retry.baseDelayMs * 2 ** (attempt - 1) * (1 - Math.min(1, Math.max(0, retry.jitter)) * random());
      delay = Math.round(Math.min(delay, retry.maxDelayMs));
      logger.warn({ what, attempt, delayMs: delay, status: failure?.code, reason: failure?.reason }, 'kubernetes call failed, retrying');
      onRetry?.({ what, attempt, ...(failure ? { status: failure.code, ...(failure.reason ? { reason: failure.reason } : {}) } : {}), uncertain: connection || failure?.code === 504, delayMs: delay, retryAfter, message: detail });
      await clock.sleep(delay);
    }
  }
}
