import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { createAuthenticator, type RequestHeaderAuthConfig } from '../../src/external-metrics/authentication.js';
import { StatusError } from '../../src/external-metrics/status.js';

// The TLS layer's verdict arrives on the socket (authorized, the peer certificate); these requests carry
// what a TLSSocket would report. The real handshake is exercised in test/integration/external-metrics-*.
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
function request(options: { authorized?: boolean; cn?: string; eku?: string[]; noCert?: boolean; headers?: Record<string, string | string[]> }): IncomingMessage {
  const cert = options.noCert ? {} : { subject: { CN: options.cn ?? 'front-proxy-client' }, ext_key_usage: options.eku ?? [CLIENT_AUTH] };
  const headers = Object.fromEntries(Object.entries(options.headers ?? {}).map(([k, v]) => [k.toLowerCase(), Array.isArray(v) ? v.join(', ') : v]));
  const headersDistinct = Object.fromEntries(Object.entries(options.headers ?? {}).map(([k, v]) => [k.toLowerCase(), Array.isArray(v) ? v : [v]]));
  const socket = { authorized: options.authorized ?? true, authorizationError: options.authorized === false ? 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' : undefined, getPeerCertificate: () => cert };
  return { socket, headers, headersDistinct } as unknown as IncomingMessage;
}

const rh = (over: Partial<RequestHeaderAuthConfig> = {}): RequestHeaderAuthConfig => ({ caPem: '-----BEGIN CERTIFICATE-----', allowedNames: [], usernameHeaders: ['X-Remote-User'], groupHeaders: ['X-Remote-Group'], ...over });
const tokens = [{ name: 'ops', scopes: ['read' as const], token: 'read-token-0123456789' }, { name: 'writer', scopes: ['write' as const], token: 'write-token-0123456789' }];

function rejection(fn: () => unknown): { code: number; message: string } {
  try {
    fn();
  } catch (error) {
    if (error instanceof StatusError) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error('expected a rejection');
}

describe('external metrics authentication', () => {
  it('trusts X-Remote-User and X-Remote-Group from a verified front-proxy certificate', () => {
    const auth = createAuthenticator(rh(), []);
    expect(auth.authenticate(request({ headers: { 'X-Remote-User': 'system:serviceaccount:kube-system:horizontal-pod-autoscaler', 'X-Remote-Group': ['system:serviceaccounts', 'system:authenticated'] } }))).toEqual({
      user: 'system:serviceaccount:kube-system:horizontal-pod-autoscaler',
      groups: ['system:serviceaccounts', 'system:authenticated'],
      via: 'front-proxy',
    });
  });

  it('names the caller by the certificate CN when the proxy sent no user header', () => {
    expect(createAuthenticator(rh(), []).authenticate(request({})).user).toBe('front-proxy-client');
  });

  it('uses the header names the ConfigMap gives', () => {
    const auth = createAuthenticator(rh({ usernameHeaders: ['X-Proxy-User'], groupHeaders: [] }), []);
    expect(auth.authenticate(request({ headers: { 'X-Remote-User': 'ignored', 'X-Proxy-User': 'alice' } })).user).toBe('alice');
  });

  it('refuses a certificate the request-header CA did not sign, ignoring its X-Remote-User', () => {
    const r = rejection(() => createAuthenticator(rh(), []).authenticate(request({ authorized: false, headers: { 'X-Remote-User': 'system:admin' } })));
    expect(r.code).toBe(401);
    expect(r.message).toContain('not signed by the request-header CA');
  });

  it('refuses a CN outside requestheader-allowed-names and a certificate without clientAuth', () => {
    expect(rejection(() => createAuthenticator(rh({ allowedNames: ['aggregator'] }), []).authenticate(request({}))).message).toContain('not in requestheader-allowed-names');
    expect(rejection(() => createAuthenticator(rh(), []).authenticate(request({ eku: ['1.3.6.1.5.5.7.3.1'] }))).message).toContain('lacks the clientAuth');
    expect(createAuthenticator(rh({ allowedNames: ['aggregator', 'front-proxy-client'] }), []).authenticate(request({})).via).toBe('front-proxy');
  });

  it('trusts no certificate when no request-header CA is configured', () => {
    const r = rejection(() => createAuthenticator(rh({ caPem: null }), []).authenticate(request({ headers: { 'X-Remote-User': 'system:admin' } })));
    expect(r).toEqual({ code: 401, message: expect.stringContaining('no request-header CA is configured') });
  });

  it('accepts a read token without a certificate, never trusting X-Remote-User with it', () => {
    const auth = createAuthenticator(rh(), tokens);
    expect(auth.authenticate(request({ noCert: true, headers: { authorization: 'Bearer read-token-0123456789', 'X-Remote-User': 'system:admin' } }))).toEqual({ user: 'ops', groups: [], via: 'token' });
    expect(rejection(() => auth.authenticate(request({ noCert: true, headers: { authorization: 'Bearer wrong-token-0123456789' } }))).code).toBe(401);
    expect(rejection(() => auth.authenticate(request({ noCert: true, headers: { authorization: 'Bearer write-token-0123456789' } }))).code).toBe(403);
    expect(rejection(() => auth.authenticate(request({ noCert: true }))).message).toContain('no client certificate');
  });

  it('applies new request-header settings to connections it had already judged', () => {
    const auth = createAuthenticator(rh(), []);
    const req = request({});
    expect(auth.authenticate(req).via).toBe('front-proxy');
    auth.setRequestHeader(rh({ allowedNames: ['aggregator'] }));
    expect(rejection(() => auth.authenticate(req)).code).toBe(401);
  });
});
