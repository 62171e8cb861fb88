/**
 * Who is calling the aggregated API. In order, as an aggregated API server must:
 *  1. a TLS client certificate that verified against the request-header (front-proxy) CA, with an allowed
 *     common name when the list is not empty: kube-apiserver proxying. Only then are the user and group
 *     headers (X-Remote-User / X-Remote-Group, or the names the ConfigMap gives) trusted; without a user
 *     header the caller is the certificate's CN (kubectl with the front-proxy certificate);
 *  2. else a bearer token (createTokenAuth, read scope), for local use;
 *  3. else 401. A certificate from another CA, or any certificate when no request-header CA is configured,
 *     counts as no certificate, and X-Remote-* headers from such a caller are ignored.
 * Verification itself is done by the TLS layer (the server's `ca` is the request-header CA, requestCert on,
 * rejectUnauthorized off so token clients still connect); this reads `socket.authorized` and checks the
 * clientAuth EKU and the CN. Left out: authorization (kube-apiserver authorizes a request before proxying
 * it; SubjectAccessReview delegation would double-check) and X-Remote-Extra-* headers.
 */
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { createTokenAuth, type ApiTokenConfig, type TokenAuth } from '../api/token-auth.js';
import { StatusError } from './status.js';

export interface RequestHeaderAuthConfig {
  /** PEM bundle of the front-proxy CA; null = no front proxy is trusted. */
  caPem: string | null;
  /** Allowed certificate CNs; empty = any certificate the CA signed. */
  allowedNames: readonly string[];
  usernameHeaders: readonly string[];
  groupHeaders: readonly string[];
}

export interface Principal {
  user: string;
  groups: string[];
  via: 'front-proxy' | 'token';
}

const CLIENT_AUTH_OID = '1.3.6.1.5.5.7.3.2';

export interface Authenticator {
  /** The caller, or a StatusError (401 Unauthorized, 403 Forbidden for a token without the read scope). */
  authenticate(req: IncomingMessage): Principal;
  /** Swap the request-header settings (the CA itself lives in the server's TLS context). */
  setRequestHeader(config: RequestHeaderAuthConfig): void;
}

function headerValues(req: IncomingMessage, name: string): string[] {
  return (req.headersDistinct[name.toLowerCase()] ?? []).map((v) => v.trim()).filter(Boolean);
}

export function createAuthenticator(requestHeader: RequestHeaderAuthConfig, tokens: readonly ApiTokenConfig[]): Authenticator {
  let settings = requestHeader;
  const tokenAuth: TokenAuth = createTokenAuth(tokens);
  // Certificate checks are per connection; keep-alive clients (the aggregator) reuse the result.
  let verdicts = new WeakMap<TLSSocket, { cn: string } | { rejected: string }>();
  const certificateVerdict = (socket: TLSSocket): { cn: string } | { rejected: string } => {
    const cached = verdicts.get(socket);
    if (cached) return cached;
    let verdict: { cn: string } | { rejected: string };
    const cert = typeof socket.getPeerCertificate === 'function' ? socket.getPeerCertificate() : null;
    if (!cert || Object.keys(cert).length === 0) verdict = { rejected: 'no client certificate' };
    else if (settings.caPem === null) verdict = { rejected: 'no request-header CA is configured, client certificates are not trusted' };
    else if (!socket.authorized) verdict = { rejected: `the client certificate is not signed by the request-header CA (${String(socket.authorizationError ?? 'unverified')})` };
    else {
      const cn = [cert.subject?.CN ?? ''].flat()[0] ?? '';
      const eku = cert.ext_key_usage;
      if (eku && eku.length > 0 && !eku.includes(CLIENT_AUTH_OID)) verdict = { rejected: `the client certificate CN=${cn} lacks the clientAuth extended key usage` };
      else if (settings.allowedNames.length > 0 && !settings.allowedNames.includes(cn)) verdict = { rejected: `the client certificate CN=${cn} is not in requestheader-allowed-names (${settings.allowedNames.join(', ')})` };
      else verdict = { cn };
    }
    verdicts.set(socket, verdict);
    return verdict;
  };
  return {
    setRequestHeader(config) {
      settings = config;
      verdicts = new WeakMap();
    },
    authenticate(req) {
      const socket = req.socket as TLSSocket;
      const verdict = certificateVerdict(socket);
      if ('cn' in verdict) {
        const user = settings.usernameHeaders.map((h) => headerValues(req, h)[0]).find((v) => v !== undefined) ?? verdict.cn;
        const groups = settings.groupHeaders.flatMap((h) => headerValues(req, h));
        return { user, groups, via: 'front-proxy' };
      }
      const authorization = req.headers.authorization;
      if (authorization !== undefined) {
        const principal = tokenAuth.authenticate(authorization);
        if (!principal) throw new StatusError('Unauthorized', 'Unauthorized: the bearer token is not valid', undefined, { 'WWW-Authenticate': 'Bearer realm="prescale-external-metrics"' });
        if (!principal.scopes.includes('read')) throw new StatusError('Forbidden', `token "${principal.name}" lacks the "read" scope`);
        return { user: principal.name, groups: [], via: 'token' };
      }
      throw new StatusError('Unauthorized', `Unauthorized: ${verdict.rejected}; present the front-proxy client certificate or a bearer token`, undefined, tokenAuth.enabled ? { 'WWW-Authenticate': 'Bearer realm="prescale-external-metrics"' } : {});
    },
  };
}
