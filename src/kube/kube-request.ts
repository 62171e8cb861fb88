/**
 * Every Kubernetes API call goes through `callKube`: it retries what the API server says may succeed later
 * (409 Conflict after a fresh read, 429 after Retry-After, 5xx and connection errors with exponential
 * backoff) and turns every failure into a ServiceError whose `retryable` tells the caller whether trying
 * again later makes sense (a 404 or 422 never will).
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
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 5, baseDelayMs: 200, maxDelayMs: 30_000 };

export interface KubeCallContext {
  server: string;
  clock: Clock;
  logger: Logger;
  retry: RetryPolicy;
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
export async function callKube<T>(what: string, operation: () => Promise<T>, context: KubeCallContext): Promise<T> {
  const { retry, clock, logger, server } = context;
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
      if (failure?.code === 429 && failure.retryAfterSeconds !== undefined) delay = failure.retryAfterSeconds * 1000;
      else if (failure?.code === 409) delay = 0; // a fresh read is all a conflict needs
      else delay = retry.baseDelayMs * 2 ** (attempt - 1);
      delay = Math.min(delay, retry.maxDelayMs);
      logger.warn({ what, attempt, delayMs: delay, status: failure?.code, reason: failure?.reason }, 'kubernetes call failed, retrying');
      await clock.sleep(delay);
    }
  }
}
