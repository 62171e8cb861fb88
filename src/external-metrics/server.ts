/**
 * Prescale as an aggregated API server for external.metrics.k8s.io/v1beta1: its own HTTPS listener
 * (requestCert on, rejectUnauthorized off; authentication.ts decides per request) and a small router.
 *
 *   open:  /healthz /livez /readyz (ready once the published plans were loaded) /version
 *   authenticated: /apis (aggregated or legacy discovery), /apis/external.metrics.k8s.io,
 *          /apis/external.metrics.k8s.io/v1beta1 (APIResourceList), /openapi/v2, /openapi/v3[/apis/...],
 *          /apis/external.metrics.k8s.io/v1beta1/namespaces/{ns}/{metric}?labelSelector=...
 *
 * Values come only from the in-memory published-plan cache (metric-values.ts). Every error is a Kubernetes
 * Status (status.ts): unknown paths 404, other verbs than GET/HEAD 405, bad selectors or paths 400, and a
 * 500 only for a bug. Plain node:https rather than express: the HPA controller calls serially for every HPA
 * in the cluster, so the hot path stays a string split, a cached selector and a map lookup.
 * Left out: HTTP/2, protobuf, watch, authorization (see authentication.ts).
 */
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { KubeConfig } from '@kubernetes/client-node';
import type { ExternalMetricsConfig } from '../config/schema.js';
import { silentLogger, type Logger } from '../core/logger.js';
import type { PublishedCache } from '../publish/published-cache.js';
import { createAuthenticator, type RequestHeaderAuthConfig } from './authentication.js';
import { AGGREGATED, API_GROUP, API_GROUP_LIST, API_RESOURCE_LIST, negotiateAggregated, type Rendered } from './discovery.js';
import { parseLabelSelector, LabelSelectorError, type LabelSelector } from './label-selector.js';
import { externalMetricValues, GROUP, VERSION, type MetricTarget } from './metric-values.js';
import { OPENAPI_V2, OPENAPI_V3_GROUP_VERSION, OPENAPI_V3_INDEX, OPENAPI_V3_PATH } from './openapi.js';
import { requestHeaderLoader, startRequestHeaderSource, type RequestHeaderLoader } from './request-header-source.js';
import { servingCertificate } from './serving-certificate.js';
import { pathNotFound, StatusError } from './status.js';

export interface ExternalMetricsServerOptions {
  config: ExternalMetricsConfig;
  targets: readonly MetricTarget[];
  /** schedule.plan in ms: plans older than three of these are stale unless config.staleAfter says otherwise. */
  planPeriodMs: number;
  published: Pick<PublishedCache, 'get' | 'refreshedAt'>;
  /** A real cluster's credentials, to read the request-header ConfigMap; null/absent in simulated mode. */
  kubeConfig?: KubeConfig | null;
  /** Overrides where request-header settings come from (tests). */
  loadRequestHeader?: RequestHeaderLoader;
  logger?: Logger;
  now?: () => number;
  /** Reported by /version. */
  version?: string;
}

export interface ExternalMetricsServer {
  /** https://host:port with the real port. */
  url: string;
  port: number;
  /** PEM of the serving certificate (self-signed or from certFile), for clients that verify it. */
  certificatePem: string;
  close(): Promise<void>;
}

const BASE = `/apis/${GROUP}/${VERSION}`;
const NAMESPACE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const OPEN = new Set(['/healthz', '/livez', '/readyz', '/version']);
const SELECTOR_CACHE_SIZE = 1024;

export async function startExternalMetricsServer(options: ExternalMetricsServerOptions): Promise<ExternalMetricsServer> {
  const { config } = options;
  const logger = options.logger ?? silentLogger;
  const now = options.now ?? Date.now;
  const staleAfterMs = config.staleAfter ?? 3 * options.planPeriodMs;
  const certificate = await servingCertificate({ certFile: config.certFile, keyFile: config.keyFile, host: config.host });
  const tlsContext = (rh: RequestHeaderAuthConfig) => ({ cert: certificate.cert, key: certificate.key, ...(rh.caPem ? { ca: rh.caPem } : {}) });

  let server: Server | null = null;
  const source = await startRequestHeaderSource(options.loadRequestHeader ?? requestHeaderLoader(config, options.kubeConfig ?? null), {
    refreshMs: config.refreshMs,
    logger,
    onChange: (next) => {
      server?.setSecureContext(tlsContext(next));
      auth.setRequestHeader(next);
    },
  });
  const auth = createAuthenticator(source.current(), config.tokens);
  if (source.current().caPem === null && config.tokens.length === 0) {
    logger.warn('external metrics: no request-header CA and no tokens: every metric request will be refused (401)');
  }

  const version = JSON.stringify({ major: '', minor: '', gitVersion: `v${options.version ?? '0.1.0'}`, gitCommit: '', gitTreeState: '', buildDate: '', goVersion: '', compiler: 'node', platform: `${process.platform}/${process.arch}` });
  const selectors = new Map<string, LabelSelector>();
  const selectorFor = (text: string): LabelSelector => {
    let selector = selectors.get(text);
    if (!selector) {
      try {
        selector = parseLabelSelector(text);
      } catch (error) {
        if (error instanceof LabelSelectorError) throw new StatusError('BadRequest', `invalid labelSelector: ${error.message}`);
        throw error;
      }
      if (selectors.size >= SELECTOR_CACHE_SIZE) selectors.clear();
      selectors.set(text, selector);
    }
    return selector;
  };

  const send = (res: ServerResponse, status: number, body: string, contentType = 'application/json', headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store', ...headers });
    res.end(body);
  };
  const sendRendered = (req: IncomingMessage, res: ServerResponse, doc: Rendered, vary = false) => {
    const headers: Record<string, string> = { ETag: doc.etag, ...(vary ? { Vary: 'Accept' } : {}) };
    if (req.headers['if-none-match'] === doc.etag) {
      res.writeHead(304, headers);
      res.end();
      return;
    }
    send(res, 200, doc.body, doc.contentType, headers);
  };

  const metricValues = (res: ServerResponse, segments: string[], query: string) => {
    let namespace: string;
    let metric: string;
    try {
      [namespace, metric] = segments.map((s) => decodeURIComponent(s)) as [string, string];
    } catch {
      throw new StatusError('BadRequest', 'the path is not valid percent-encoding');
    }
    if (!NAMESPACE.test(namespace)) throw new StatusError('BadRequest', `invalid namespace "${namespace}": expected a DNS-1123 label`);
    const selectorText = query ? (new URLSearchParams(query).get('labelSelector') ?? '') : '';
    const list = externalMetricValues(namespace, metric, selectorFor(selectorText), selectorText, { targets: options.targets, plans: options.published, now: now(), staleAfterMs, hpaTolerance: config.hpaTolerance });
    send(res, 200, JSON.stringify(list));
  };

  /** The handler for an authenticated GET, or null for an unknown path. */
  const route = (path: string): ((req: IncomingMessage, res: ServerResponse, query: string) => void) | null => {
    switch (path) {
      case '/apis':
        return (req, res) => {
          const wanted = negotiateAggregated(req.headers.accept);
          sendRendered(req, res, wanted ? AGGREGATED[wanted] : API_GROUP_LIST, true);
        };
      case `/apis/${GROUP}`:
        return (req, res) => sendRendered(req, res, API_GROUP);
      case BASE:
        return (req, res) => sendRendered(req, res, API_RESOURCE_LIST);
      case '/openapi/v2':
        return (_req, res) => send(res, 200, OPENAPI_V2);
      case '/openapi/v3':
        return (_req, res) => send(res, 200, OPENAPI_V3_INDEX);
      case OPENAPI_V3_PATH:
        return (_req, res) => send(res, 200, OPENAPI_V3_GROUP_VERSION);
    }
    if (path.startsWith(`${BASE}/`)) {
      const rest = path.slice(BASE.length + 1).split('/');
      if (rest.length === 3 && rest[0] === 'namespaces' && rest[1] && rest[2]) return (_req, res, query) => metricValues(res, rest.slice(1), query);
      if (rest.length === 1 && rest[0]) {
        return () => {
          throw new StatusError('NotFound', `external metrics are namespaced: GET ${BASE}/namespaces/{namespace}/${rest[0]}`);
        };
      }
    }
    return null;
  };

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    let path = q < 0 ? url : url.slice(0, q);
    if (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
    const query = q < 0 ? '' : url.slice(q + 1);
    const method = req.method ?? 'GET';
    try {
      if (OPEN.has(path)) {
        if (method !== 'GET' && method !== 'HEAD') throw new StatusError('MethodNotAllowed', `${method} is not allowed on ${path}`, undefined, { Allow: 'GET, HEAD' });
        if (path === '/version') return send(res, 200, version);
        if (path === '/readyz' && options.published.refreshedAt() === 0) return send(res, 503, 'published plans not loaded yet\n', 'text/plain; charset=utf-8');
        return send(res, 200, 'ok', 'text/plain; charset=utf-8');
      }
      auth.authenticate(req);
      const handler = route(path);
      if (!handler) throw pathNotFound();
      if (method !== 'GET' && method !== 'HEAD') throw new StatusError('MethodNotAllowed', `the server does not allow this method on the requested resource: ${method} ${path} (only GET)`, undefined, { Allow: 'GET, HEAD' });
      handler(req, res, query);
    } catch (error) {
      const status = error instanceof StatusError ? error : new StatusError('InternalError', `internal error: ${(error as Error).message}`);
      if (!(error instanceof StatusError)) logger.error({ err: (error as Error).message, path }, 'external metrics: request failed');
      send(res, status.code, JSON.stringify(status.body()), 'application/json', status.headers);
    }
  };

  const https = createServer({ ...tlsContext(source.current()), requestCert: true, rejectUnauthorized: false, minVersion: 'TLSv1.2' }, handle);
  server = https;
  try {
    await new Promise<void>((resolve, reject) => https.once('error', reject).listen(config.port, config.host, () => resolve()));
  } catch (error) {
    source.stop();
    throw error;
  }
  const port = (https.address() as AddressInfo).port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  const url = `https://${host}:${port}`;
  logger.info({ address: url, selfSigned: certificate.selfSigned, requestHeaderCA: source.current().caPem !== null, tokens: config.tokens.length }, 'external metrics API listening');
  return {
    url,
    port,
    certificatePem: certificate.cert,
    async close() {
      source.stop();
      await new Promise<void>((resolve) => {
        https.close(() => resolve());
        https.closeAllConnections(); // the aggregator keeps connections alive
      });
    },
  };
}

/** The targets the API serves, from the config. */
export function metricTargets(targets: readonly { namespace: string; name: string; kind: string; quantile: number; forecastOnly?: boolean }[]): MetricTarget[] {
  return targets.map(({ namespace, name, kind, quantile, forecastOnly }) => ({ namespace, name, kind, quantile, ...(forecastOnly ? { forecastOnly } : {}) }));
}
