/**
 * The HTTP API's cross-cutting middleware, in the order createApp mounts it: the token check of the
 * operational endpoints, the write rate limit, scopes on /api (reads need `read`, writes `write`), the JSON
 * body parser with its size limit and content-type check, the 404 for unknown routes and the one error
 * middleware that turns every error into `{error, message, details}` (src/api/http-error.ts).
 *
 * Left out: a rate limit shared between replicas (each API replica counts its own clients; a Redis-backed
 * store would be needed for one global count), and limits on reads.
 */
import express, { type ErrorRequestHandler, type Request, type RequestHandler } from 'express';
import { rateLimit } from 'express-rate-limit';
import { RedisStore, type RedisReply } from 'rate-limit-redis';
import type { RedisClient } from '../core/redis.js';
import { InputError, PrescaleError } from '../core/errors.js';
import { scrubSecrets } from '../core/secrets.js';
import type { Logger } from '../core/logger.js';
import { HttpError } from './http-error.js';
import { requireScope, type TokenAuth } from './token-auth.js';

/** Endpoints for probes and Prometheus: open unless api.protectOperational. */
export const OPERATIONAL_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

/** POSTs under /api that change nothing (they compute an answer from a body), so they need only `read`. */
const READ_ONLY_POSTS = new Set(['/api/calendar/preview']);

const JSON_TYPES = ['application/json', 'application/*+json'];

/** Whether a request changes stored state (needs the write scope and counts against the write limit). */
export function isWrite(req: Request): boolean {
  if (req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS') return false;
  return !READ_ONLY_POSTS.has(req.baseUrl + req.path);
}

/** /healthz, /readyz and /metrics need a read token only when `protect` is set (and tokens exist). */
export function operationalAuth(auth: TokenAuth, protect: boolean): RequestHandler {
  const guard = requireScope(auth, 'read');
  return (req, res, next) => {
    if (protect && OPERATIONAL_PATHS.has(req.path)) guard(req, res, next);
    else next();
  };
}

/** Mounted on /api: writes need `write`, everything else `read`. Sets res.locals.principal. */
export function apiAuth(auth: TokenAuth): RequestHandler {
  const read = requireScope(auth, 'read');
  const write = requireScope(auth, 'write');
  return (req, res, next) => (isWrite(req) ? write : read)(req, res, next);
}

/**
 * Mounted on /api: at most `perMinute` writes per client address and minute (config api.writesPerMinute);
 * beyond it 429 with Retry-After and the usual error body. Counted before the token check, so guessing
 * tokens is limited too. With `shared` (Redis: the api replicas' common store) the count is one across all
 * replicas, so two replicas behind a Service do not allow twice the limit; without it, per process.
 */
export function writeRateLimit(perMinute: number, shared?: { redis: RedisClient; prefix: string }): RequestHandler {
  return rateLimit({
    windowMs: 60_000,
    limit: perMinute,
    ...(shared
      ? {
          store: new RedisStore({
            // One key per client address and window; single-key scripts, so also safe on a Redis Cluster.
            prefix: `${shared.prefix}:write-rate:`,
            sendCommand: (command: string, ...args: string[]) => shared.redis.call(command, ...args) as Promise<RedisReply>,
          }),
          // Redis down: let writes through rather than refuse every calendar change (the stores report the outage).
          passOnStoreError: true,
        }
      : {}),
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    skip: (req) => !isWrite(req),
    handler: (req, res, next) => {
      const retryAfter = res.getHeader('Retry-After') ?? '60';
      next(
        new HttpError(429, 'too_many_requests', `more than ${perMinute} writes per minute from this client: retry after ${String(retryAfter)} s`, [{ path: '', message: `limit ${perMinute} writes per minute` }], {
          'Retry-After': String(retryAfter),
        }),
      );
    },
  });
}

/**
 * Mounted on /api: a body must be JSON (415 otherwise) and at most `limitBytes` (413); malformed JSON is
 * a 400 (the error middleware maps body-parser's errors).
 */
export function jsonBody(limitBytes: number): RequestHandler[] {
  const contentType: RequestHandler = (req, _res, next) => {
    // req.is() is null without a body, false for a body of another type; an empty body is "no body" (400 later).
    if (req.headers['content-length'] !== '0' && req.is(JSON_TYPES) === false) {
      next(
        new HttpError(415, 'unsupported_media_type', `send the body as application/json, not ${req.headers['content-type'] ?? 'without a content type'}`, [
          { path: 'headers.content-type', message: 'expected application/json' },
        ]),
      );
      return;
    }
    next();
  };
  return [contentType, express.json({ limit: limitBytes, type: JSON_TYPES })];
}

/** Unknown routes: 404 with the error body. */
export const notFound: RequestHandler = (req, _res, next) => {
  next(new HttpError(404, 'not_found', `no route for ${req.method} ${req.path}`, [{ path: '', message: 'no such route' }]));
};

/** body-parser's errors carry `type` and `status`. */
interface BodyParserError extends Error {
  type?: string;
  status?: number;
  expose?: boolean;
  limit?: number;
}

const CODES: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  409: 'conflict',
  412: 'precondition_failed',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  428: 'precondition_required',
  429: 'too_many_requests',
};

/** Any error as an HttpError, or null for a server-side failure (5xx). */
export function toHttpError(error: unknown): HttpError | null {
  if (error instanceof HttpError) return error;
  if (error instanceof InputError) {
    // As before: an unknown target or node pool is "not found", any other bad input 400.
    const status = /unknown target|unknown node pool/.test(error.message) ? 404 : 400;
    const prefix = error.where ? `${error.where}: ` : '';
    const message = prefix && error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message;
    return new HttpError(status, CODES[status]!, error.message, [{ path: error.where ?? '', message }]);
  }
  const bodyError = error as BodyParserError;
  if (bodyError.type === 'entity.parse.failed') {
    return new HttpError(400, 'bad_request', `malformed JSON body: ${bodyError.message}`, [{ path: '', message: 'not valid JSON' }]);
  }
  if (bodyError.type === 'entity.too.large') {
    return new HttpError(413, 'payload_too_large', `the body is larger than the limit of ${bodyError.limit ?? '?'} bytes (api.bodyLimitBytes)`, [{ path: '', message: 'too large' }]);
  }
  if (bodyError.type === 'encoding.unsupported' || bodyError.type === 'charset.unsupported') {
    return new HttpError(415, 'unsupported_media_type', bodyError.message, [{ path: 'headers.content-type', message: bodyError.message }]);
  }
  // Other client errors express or its parsers raise (an aborted body, a malformed path encoding).
  const status = bodyError.status;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return new HttpError(status, CODES[status] ?? 'bad_request', bodyError.message, [{ path: '', message: bodyError.message }]);
  }
  return null;
}

/** The one error middleware: 4xx with what to fix; 503 for a retryable failure (a store down), else 500. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, _req, res, _next) => {
    const http = toHttpError(error);
    if (http) {
      res.status(http.status).set(http.headers).json(http.body());
      return;
    }
    const retryable = error instanceof PrescaleError ? error.retryable : true;
    logger.error({ err: error }, 'request failed');
    // A dependency's message may carry an address with credentials or a secret a library echoed: scrubbed.
    const body = new HttpError(retryable ? 503 : 500, retryable ? 'unavailable' : 'internal', scrubSecrets(String((error as Error)?.message ?? error))).body();
    res.status(retryable ? 503 : 500).json(body);
  };
}
