/**
 * Builds a client-node KubeConfig from `config.kubernetes`: a kubeconfig file (or the default lookup),
 * the in-cluster service account, or an explicit server and token (tests and the fake API server).
 */
import { KubeConfig } from '@kubernetes/client-node';
import type { PrescaleConfig } from '../config/schema.js';
import { InputError } from '../core/errors.js';

export interface ExplicitCluster {
  /** API server URL, e.g. http://127.0.0.1:34567. */
  server: string;
  /** Bearer token sent on every request. */
  token: string;
  /** PEM of the CA that signed the server certificate; without it TLS is not verified (tests only). */
  caPem?: string;
}

/** A KubeConfig pointing at one server with a bearer token. */
export function explicitKubeConfig(cluster: ExplicitCluster): KubeConfig {
  const kc = new KubeConfig();
  const tls = cluster.caPem ? { caData: Buffer.from(cluster.caPem).toString('base64') } : { skipTLSVerify: true };
  kc.loadFromOptions({
    clusters: [{ name: 'prescale', server: cluster.server, ...tls }],
    users: [{ name: 'prescale', token: cluster.token }],
    contexts: [{ name: 'prescale', cluster: 'prescale', user: 'prescale' }],
    currentContext: 'prescale',
  });
  return kc;
}

/**
 * The KubeConfig for `config.kubernetes.mode`. `explicit` wins when given (tests); `simulated` has no API
 * server and is a caller error here.
 */
export function buildKubeConfig(kubernetes: PrescaleConfig['kubernetes'], explicit?: ExplicitCluster): KubeConfig {
  if (explicit) return explicitKubeConfig(explicit);
  const kc = new KubeConfig();
  try {
    if (kubernetes.mode === 'in-cluster') kc.loadFromCluster();
    else if (kubernetes.mode === 'kubeconfig') {
      if (kubernetes.kubeconfig) kc.loadFromFile(kubernetes.kubeconfig);
      else kc.loadFromDefault();
    } else {
      throw new InputError('mode "simulated" has no Kubernetes API server; use kubeconfig or in-cluster', 'kubernetes.mode');
    }
  } catch (error) {
    if (error instanceof InputError) throw error;
    throw new InputError(`cannot load Kubernetes credentials: ${(error as Error).message}`, kubernetes.kubeconfig ?? 'kubernetes', { cause: error });
  }
  if (!kc.getCurrentCluster()) throw new InputError('the kubeconfig has no current cluster', kubernetes.kubeconfig ?? 'kubernetes.kubeconfig');
  return kc;
}

/** The API server address, for error messages. */
export function serverOf(kc: KubeConfig): string {
  return kc.getCurrentCluster()?.server ?? 'kubernetes';
}
