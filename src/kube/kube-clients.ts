/**
 * The API clients and call context every Kubernetes adapter (actuator, lead-time observer, metrics collector)
 * builds from a kubeconfig, and the one read they all need: a workload's /scale subresource.
 */
import { AppsV1Api, CoreV1Api, CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
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
  return {
    apps: kubeConfig.makeApiClient(AppsV1Api),
    core: kubeConfig.makeApiClient(CoreV1Api),
    custom: kubeConfig.makeApiClient(CustomObjectsApi),
    context: {
      server: serverOf(kubeConfig),
      clock: options.clock ?? wallClock,
      logger: options.logger ?? silentLogger,
      retry: { ...DEFAULT_RETRY_POLICY, ...options.retry },
    },
  };
}

/** A /scale subresource as the adapters read it (Deployment, StatefulSet or any custom resource). */
export interface ScaleObject {
  metadata?: { resourceVersion?: string };
  spec?: { replicas?: number };
  status?: { replicas?: number; selector?: string };
}

/** Reads the workload's /scale subresource through the API its kind lives in, with callKube's retries. */
export function readWorkloadScale(clients: KubeClients, ref: WorkloadRef): Promise<ScaleObject> {
  const api = parseWorkloadKind(ref.kind);
  const { namespace, name } = ref;
  return callKube(
    `read scale ${ref.kind} ${namespace}/${name}`,
    async () => {
      if (api.kind === 'Deployment') return (await clients.apps.readNamespacedDeploymentScale({ namespace, name })) as ScaleObject;
      if (api.kind === 'StatefulSet') return (await clients.apps.readNamespacedStatefulSetScale({ namespace, name })) as ScaleObject;
      return (await clients.custom.getNamespacedCustomObjectScale({ group: api.group, version: api.version, plural: api.plural, namespace, name })) as ScaleObject;
    },
    clients.context,
  );
}
