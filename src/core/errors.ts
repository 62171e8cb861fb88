/**
 * Errors carry a decision. `retryable` says whether doing the same thing again may succeed (transient I/O)
 * or never will (bad input); job runners and HTTP handlers branch on it, never on message text.
 */
export class PrescaleError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Bad input: a file, a field, a request. Never retried; the message says where and what was expected. */
export class InputError extends PrescaleError {
  constructor(
    message: string,
    /** Where the problem is: a field path (`targets[0].capacityPerReplica`) or `file:line`. */
    readonly where?: string,
    options?: { cause?: unknown },
  ) {
    super(where ? `${where}: ${message}` : message, false, options);
  }
}

/** A dependency (InfluxDB, Redis, the Kubernetes API) did not answer as it should; usually worth a retry. */
export class ServiceError extends PrescaleError {
  constructor(
    readonly service: string,
    readonly address: string,
    message: string,
    retryable = true,
    options?: { cause?: unknown },
  ) {
    super(`${service} at ${address}: ${message}`, retryable, options);
  }
}

export function isRetryable(error: unknown): boolean {
  return error instanceof PrescaleError ? error.retryable : true;
}
