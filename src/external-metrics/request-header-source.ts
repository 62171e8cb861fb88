/**
 * Where the request-header (front-proxy) settings come from, re-read every `refreshMs` so a rotated CA
 * applies without a restart:
 *  - `requestHeaderCAFile` (with the config's allowed names and header lists), or
 *  - in a cluster without that file, the ConfigMap kube-system/extension-apiserver-authentication that
 *    kube-apiserver publishes: `requestheader-client-ca-file` (PEM), `requestheader-allowed-names`,
 *    `requestheader-username-headers`, `requestheader-group-headers` (JSON string arrays). Reading it needs
 *    the Role extension-apiserver-authentication-reader in kube-system;
 *  - else none: no front proxy is trusted (bearer tokens only).
 * A failed re-read keeps the last good settings. Left out: watching instead of polling.
 */
import { readFile } from 'node:fs/promises';
import type { KubeConfig } from '@kubernetes/client-node';
import type { ExternalMetricsConfig } from '../config/schema.js';
import { silentLogger, type Logger } from '../core/logger.js';
import { createKubeClients } from '../kube/kube-clients.js';
import type { RequestHeaderAuthConfig } from './authentication.js';

export const AUTH_CONFIGMAP = { namespace: 'kube-system', name: 'extension-apiserver-authentication' } as const;

export type RequestHeaderLoader = () => Promise<RequestHeaderAuthConfig>;

/** A JSON string array from the ConfigMap, or the fallback when absent or malformed. */
function stringList(raw: string | undefined, fallback: readonly string[]): string[] {
  if (raw === undefined) return [...fallback];
  try {
    const parsed: unknown = JSON.parse(raw);
    if (Array.isArray(parsed) && parsed.every((v) => typeof v === 'string')) return parsed;
  } catch {
    // fall through
  }
  return [...fallback];
}

/** The ConfigMap's data as settings; pure, for tests. */
export function requestHeaderFromConfigMap(data: Record<string, string> | undefined, config: ExternalMetricsConfig): RequestHeaderAuthConfig {
  const ca = data?.['requestheader-client-ca-file']?.trim();
  return {
    caPem: ca ? ca : null,
    allowedNames: stringList(data?.['requestheader-allowed-names'], config.requestHeaderAllowedNames),
    usernameHeaders: stringList(data?.['requestheader-username-headers'], config.requestHeaderUsernameHeaders),
    groupHeaders: stringList(data?.['requestheader-group-headers'], config.requestHeaderGroupHeaders),
  };
}

export function requestHeaderLoader(config: ExternalMetricsConfig, kubeConfig: KubeConfig | null): RequestHeaderLoader {
  const fromConfig = (caPem: string | null): RequestHeaderAuthConfig => ({
    caPem,
    allowedNames: config.requestHeaderAllowedNames,
    usernameHeaders: config.requestHeaderUsernameHeaders,
    groupHeaders: config.requestHeaderGroupHeaders,
  });
  if (config.requestHeaderCAFile) {
    const file = config.requestHeaderCAFile;
    return async () => fromConfig((await readFile(file, 'utf8')).trim());
  }
  if (kubeConfig) {
    const { core } = createKubeClients({ kubeConfig });
    return async () => requestHeaderFromConfigMap((await core.readNamespacedConfigMap(AUTH_CONFIGMAP)).data, config);
  }
  return async () => fromConfig(null);
}

export interface RequestHeaderSource {
  current(): RequestHeaderAuthConfig;
  stop(): void;
}

/** Loads once (failing start-up when that fails), then re-reads every `refreshMs`, calling onChange on a change. */
export async function startRequestHeaderSource(load: RequestHeaderLoader, options: { refreshMs: number; onChange: (next: RequestHeaderAuthConfig) => void; logger?: Logger }): Promise<RequestHeaderSource> {
  const logger = options.logger ?? silentLogger;
  let current = await load();
  let key = JSON.stringify(current);
  const timer = setInterval(() => {
    load().then(
      (next) => {
        const nextKey = JSON.stringify(next);
        if (nextKey === key) return;
        current = next;
        key = nextKey;
        logger.info({ caConfigured: next.caPem !== null, allowedNames: next.allowedNames }, 'external metrics: request-header settings changed');
        options.onChange(next);
      },
      (error: unknown) => logger.warn({ err: (error as Error).message }, 'external metrics: re-reading the request-header CA failed; keeping the last good one'),
    );
  }, options.refreshMs);
  timer.unref();
  return { current: () => current, stop: () => clearInterval(timer) };
}
