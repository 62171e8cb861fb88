/**
 * Bearer-token authentication with `read` and `write` scopes for the HTTP API (and the KEDA endpoint, which
 * KEDA's metrics-api scaler calls with `authModes: bearer`). Tokens come from the config or from mounted
 * secret files (re-read when the file changes, so a rotated Secret takes effect without a restart) and are
 * compared in constant time (SHA-256 digests through timingSafeEqual: equal length whatever the input).
 *
 * With no tokens configured the API is open (local use, the demo) and `enabled` is false; main.ts logs a
 * warning. Left out: OIDC / ServiceAccount token review (put the API behind an authenticating proxy).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import type { RequestHandler } from 'express';
import { HttpError } from './http-error.js';

export type Scope = 'read' | 'write';

export interface ApiTokenConfig {
  /** Who this token is (kept as the author of calendar changes). */
  name: string;
  scopes: Scope[];
  /** The token itself, or */
  token?: string | undefined;
  /** a file holding it (a mounted Secret); surrounding whitespace is ignored. */
  tokenFile?: string | undefined;
}

export interface Principal {
  name: string;
  scopes: Scope[];
}

export interface TokenAuth {
  /** False when no tokens are configured: every request is allowed, as "anonymous". */
  readonly enabled: boolean;
  /** The principal a bearer token belongs to, or null for a missing or unknown token. */
  authenticate(authorization: string | undefined): Principal | null;
}

const digest = (text: string) => createHash('sha256').update(text).digest();

export function createTokenAuth(tokens: readonly ApiTokenConfig[]): TokenAuth {
  const fileCache = new Map<string, { mtimeMs: number; digest: Buffer }>();
  const tokenDigest = (config: ApiTokenConfig): Buffer | null => {
    if (config.token !== undefined) return digest(config.token);
    if (config.tokenFile === undefined) return null;
    try {
      const { mtimeMs } = statSync(config.tokenFile);
      const cached = fileCache.get(config.tokenFile);
      if (cached && cached.mtimeMs === mtimeMs) return cached.digest;
      const value = digest(readFileSync(config.tokenFile, 'utf8').trim());
      fileCache.set(config.tokenFile, { mtimeMs, digest: value });
      return value;
    } catch {
      return null; // an unreadable secret file matches nothing (fail closed)
    }
  };
  return {
    enabled: tokens.length > 0,
    authenticate(authorization) {
      const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
      if (!match) return null;
      const presented = digest(match[1]!);
      let found: Principal | null = null;
      // Compare against every token (no early exit) so timing does not tell which one matched.
      for (const config of tokens) {
        const expected = tokenDigest(config);
        if (expected && timingSafeEqual(expected, presented) && !found) found = { name: config.name, scopes: [...config.scopes] };
      }
      return found;
    },
  };
}

/**
 * Express middleware: lets the request through when auth is off or the bearer token has `scope`; else 401
 * (no or unknown token, with WWW-Authenticate) or 403 (token without the scope). Sets `res.locals.principal`.
 */
export function requireScope(auth: TokenAuth, scope: Scope): RequestHandler {
  return (req, res, next) => {
    if (!auth.enabled) {
      res.locals['principal'] = { name: 'anonymous', scopes: ['read', 'write'] } satisfies Principal;
      next();
      return;
    }
    const principal = auth.authenticate(req.headers.authorization);
    if (!principal) {
      const presented = req.headers.authorization !== undefined;
      next(
        new HttpError(401, 'unauthorized', presented ? 'the bearer token is not valid' : 'missing bearer token: send "Authorization: Bearer <token>"', [{ path: 'headers.authorization', message: presented ? 'unknown token' : 'required' }], {
          'WWW-Authenticate': `Bearer realm="prescale", scope="${scope}"`,
        }),
      );
      return;
    }
    if (!principal.scopes.includes(scope)) {
      next(new HttpError(403, 'forbidden', `token "${principal.name}" lacks the "${scope}" scope`, [{ path: 'headers.authorization', message: `needs scope ${scope}` }]));
      return;
    }
    res.locals['principal'] = principal;
    next();
  };
}
