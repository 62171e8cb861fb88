/**
 * The API clients and call context every Kubernetes adapter (actuator, lead-time observer, metrics collector)
 * builds from a kubeconfig, and the one read they all need: a workload's /scale subresource. Every request
 * carries an abort signal of `retry.requestTimeoutMs`, so an API server that never answers costs one timeout
 * (retried by callKube), not a plan job stuck forever.
 */
import { AppsV1Api, CoreV1Api, createConfiguration, CustomObjectsApi, ServerConfiguration, type KubeConfig, type RequestContext, type ResponseContext } from '@kubernetes/client-node';
import type { WorkloadRef } from '../cluster/cluster.js';
import { wallClock, type Clock } from '../core/clock.js';
import { silentLogger, type Logger } from '../core/logger.js';
import { serverOf } from './kube-config.js';
import { callKube, DEFAULT_RETRY_POLICY, type KubeCallContext, type RetryPolicy } from './kube-request.js';
import { parseWorkloadKind } from './workloads.js';

export interface KubeClientOptions {
  kubeConfig: KubeConfig;
  clock?: Clock;
  logger?: Logger;
  retry?: Partial<RetryPolicy>;
}

export interface KubeClients {
  apps: AppsV1Api;
  core: CoreV1Api;
  custom: CustomObjectsApi;
  /** Server, clock, logger and retry policy for callKube. */
  context: KubeCallContext;
}

export function createKubeClients(options: KubeClientOptions): KubeClients {
  const { kubeConfig } = options;
  const retry = { ...DEFAULT_RETRY_POLICY, ...options.retry };
  return {
    apps: makeTimedApiClient(kubeConfig, AppsV1Api, retry.requestTimeoutMs),
    core: makeTimedApiClient(kubeConfig, CoreV1Api, retry.requestTimeoutMs),
    custom: makeTimedApiClient(kubeConfig, CustomObjectsApi, retry.requestTimeoutMs),
    context: {
      server: serverOf(kubeConfig),
      clock: options.clock ?? wallClock,
      logger: options.logger ?? silentLogger,
      retry,
    },
  };
}

/**
 * KubeConfig.makeApiClient with a time limit on every request: a middleware puts an AbortSignal on it (node-fetch
 * aborts the socket and rejects with an AbortError, which callKube retries as an uncertain outcome).
 */
export function makeTimedApiClient<T>(kubeConfig: KubeConfig, apiClientType: new (configuration: ReturnType<typeof createConfiguration>) => T, timeoutMs: number): T {
  const cluster = kubeConfig.getCurrentCluster();
  if (!cluster) throw new Error('No active cluster!');
  const configuration = createConfiguration({
    baseServer: new ServerConfiguration(cluster.server, {}),
    authMethods: { default: kubeConfig },
    promiseMiddleware: [
      {
        pre: async (context: RequestContext) => {
          context.setSignal(AbortSignal.timeout(timeoutMs));
          return context;
        },
        post: async (response: ResponseContext) => response,
      },
    ],
  });
  return new apiClientType(configuration);
}

/** A /scale subresource as the adapters read it (Deployment, StatefulSet or any custom resource). */
export interface ScaleObject {
  metadata?: { resourceVersion?: string };
  spec?: { replicas?: number };
  status?: { replicas?: number; selector?: string };
}

/** Reads the workload's /scale subresource through the API its kind lives in, with callKube's retries. */
export function readWorkloadScale(clients: KubeClients, ref: WorkloadRef): Promise<ScaleObject> {
  return callKube(`read scale ${ref.kind} ${ref.namespace}/${ref.name}`, () => readScaleOnce(clients, ref), clients.context);
}

/** One GET of /scale without retries (for use inside an operation callKube already retries). */
export async function readScaleOnce(clients: Pick<KubeClients, 'apps' | 'custom'>, ref: WorkloadRef): Promise<ScaleObject> {
  const api = parseWorkloadKind(ref.kind);
  const { namespace, name } = ref;
  if (api.kind === 'Deployment') return (await clients.apps.readNamespacedDeploymentScale({ namespace, name })) as ScaleObject;
  if (api.kind === 'StatefulSet') return (await clients.apps.readNamespacedStatefulSetScale({ namespace, name })) as ScaleObject;
  return (await clients.custom.getNamespacedCustomObjectScale({ group: api.group, version: api.version, plural: api.plural, namespace, name })) as ScaleObject;
}
