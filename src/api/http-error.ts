/**
 * The one error body every route answers with: `{error, message, details: [{path, message}]}`.
 * `error` is a stable machine code ("bad_request", "not_found", "precondition_failed"...), `message` says what
 * to fix, `details` names each offending field (`effect.replicas`) so a form can show it next to the field.
 * The Kubernetes aggregated API answers with `Status` objects instead (src/external-metrics/).
 */
import type { ZodError } from 'zod';

export interface ErrorDetail {
  /** Dotted path of the field ("effect.replicas", "query.from"); "" for the request as a whole. */
  path: string;
  message: string;
}

export interface ErrorBody {
  error: string;
  message: string;
  details: ErrorDetail[];
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: ErrorDetail[] = [],
    /** Extra response headers (WWW-Authenticate, Retry-After, ETag). */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }

  body(): ErrorBody {
    return { error: this.code, message: this.message, details: this.details };
  }
}

/** Zod issues as details, with paths joined by dots under an optional prefix ("body", "query"). */
export function detailsFromZod(error: ZodError, prefix = ''): ErrorDetail[] {
  return error.issues.map((issue) => {
    const path = [prefix, ...issue.path.map(String)].filter(Boolean).join('.');
    const message = issue.code === 'unrecognized_keys' ? `unknown field(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}` : issue.message;
    return { path, message };
  });
}

/** A 400 from a failed zod parse, the message listing every field. */
export function badRequestFromZod(error: ZodError, prefix = ''): HttpError {
  const details = detailsFromZod(error, prefix);
  return new HttpError(400, 'bad_request', details.map((d) => `${d.path || '(request)'}: ${d.message}`).join('; '), details);
}
