/**
 * Kubernetes `Status` error bodies, the only error shape the aggregated API answers with: kube-apiserver,
 * kubectl and the HPA controller decode them (the HPA shows `message` in its ScalingActive condition, so
 * messages say what is wrong and what to do). Left out: `details.causes` and `retryAfterSeconds`.
 */

export type StatusReason = 'BadRequest' | 'Unauthorized' | 'Forbidden' | 'NotFound' | 'MethodNotAllowed' | 'NotAcceptable' | 'ServiceUnavailable' | 'InternalError';

export interface StatusBody {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure';
  message: string;
  reason: StatusReason;
  details?: { name?: string; group?: string; kind?: string };
  code: number;
}

const CODES: Record<StatusReason, number> = {
  BadRequest: 400,
  Unauthorized: 401,
  Forbidden: 403,
  NotFound: 404,
  MethodNotAllowed: 405,
  NotAcceptable: 406,
  ServiceUnavailable: 503,
  InternalError: 500,
};

/** An error that answers the request with a Status body; `headers` for WWW-Authenticate or Allow. */
export class StatusError extends Error {
  readonly code: number;

  constructor(
    readonly reason: StatusReason,
    message: string,
    readonly details?: StatusBody['details'],
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'StatusError';
    this.code = CODES[reason];
  }

  body(): StatusBody {
    return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: this.message, reason: this.reason, ...(this.details ? { details: this.details } : {}), code: this.code };
  }
}

/** What kube-apiserver says for a path nothing serves. */
export const pathNotFound = (): StatusError => new StatusError('NotFound', 'the server could not find the requested resource');
