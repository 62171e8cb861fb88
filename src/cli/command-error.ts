/**
 * An error that carries the exit code the CLI returns for it (index.ts prints its message and exits with
 * it): 2 when the user has something to fix (a 4xx from the API, an unreadable edit), 1 when trying again
 * later may work (the server is unreachable or failed).
 * Left out: flag errors, which stay InputErrors with the flag as `where` (index.ts maps those to 2 as well).
 */
export const EXIT_FAILURE = 1;
export const EXIT_BAD_INPUT = 2;

export interface ErrorDetail {
  path: string;
  message: string;
}

export class CommandError extends Error {
  constructor(
    message: string,
    readonly exitCode: typeof EXIT_FAILURE | typeof EXIT_BAD_INPUT,
    /** HTTP status of the API's answer, or null when none came (or no request was made). */
    readonly status: number | null = null,
    /** The API's `details`: each offending field. */
    readonly details: ErrorDetail[] = [],
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'CommandError';
  }
}
