/**
 * Lists the other writers of replicas in a namespace: autoscaling/v2 HorizontalPodAutoscalers and KEDA
 * keda.sh/v1alpha1 ScaledObjects (ClusterActuator.listAutoscalers), one list call each, with callKube's
 * retries. Which of them concern a target is decided by src/scaling/actuation.ts.
 *
 * What an answer means:
 * - 404 on scaledobjects: KEDA is not installed (its CRD is not served): no ScaledObjects, not a failure;
 * - 404 on horizontalpodautoscalers: autoscaling/v2 is not served (Kubernetes before 1.23): unchecked;
 * - 403: the service account may not list them (deploy/base/rbac.yaml grants it): unchecked, named with the fix;
 * - anything else that stays failing after retries: thrown (the caller keeps its last good listing).
 *
 * Left out: paging (a namespace holds few autoscalers) and KEDA ScaledJobs (they run Jobs, not replicas).
 */
import { ApiException, type AutoscalingV2Api, type CustomObjectsApi, type V2HorizontalPodAutoscaler } from '@kubernetes/client-node';
import type { AutoscalerInfo, AutoscalerListing } from '../cluster/cluster.js';
import { callKube, describeFailure, type KubeCallContext } from './kube-request.js';

export const SCALED_OBJECTS = { group: 'keda.sh', version: 'v1alpha1', plural: 'scaledobjects' } as const;

/** An HPA as AutoscalerInfo, or null when it names no target (the API server would not store that). */
export function hpaInfo(hpa: V2HorizontalPodAutoscaler, namespace: string): AutoscalerInfo | null {
  const ref = hpa.spec?.scaleTargetRef;
  const name = hpa.metadata?.name;
  if (!ref?.name || !ref.kind || !name) return null;
  const externalMetrics = (hpa.spec?.metrics ?? []).filter((m) => m.type === 'External' && m.external?.metric?.name).map((m) => m.external!.metric.name);
  return {
    kind: 'HorizontalPodAutoscaler',
    namespace: hpa.metadata?.namespace ?? namespace,
    name,
    scaleTargetRef: { ...(ref.apiVersion ? { apiVersion: ref.apiVersion } : {}), kind: ref.kind, name: ref.name },
    externalMetrics,
  };
}

interface ScaledObjectJson {
  metadata?: { name?: string; namespace?: string };
  spec?: { scaleTargetRef?: { name?: string; kind?: string; apiVersion?: string } };
}

/** A ScaledObject as AutoscalerInfo; KEDA's defaults for the reference: kind Deployment, apiVersion apps/v1. */
export function scaledObjectInfo(object: ScaledObjectJson, namespace: string): AutoscalerInfo | null {
  const ref = object.spec?.scaleTargetRef;
  const name = object.metadata?.name;
  if (!ref?.name || !name) return null;
  return {
    kind: 'ScaledObject',
    namespace: object.metadata?.namespace ?? namespace,
    name,
    scaleTargetRef: { apiVersion: ref.apiVersion ?? 'apps/v1', kind: ref.kind ?? 'Deployment', name: ref.name },
  };
}

type ListOutcome<T> = { items: T[] } | { status: 403 | 404; message: string };

/** Runs a list call; a 403 or 404 is an answer here (see the header), not an error to retry or throw. */
async function listOrStatus<T>(what: string, list: () => Promise<T[]>, context: KubeCallContext): Promise<ListOutcome<T>> {
  return callKube(
    what,
    async () => {
      try {
        return { items: await list() };
      } catch (error) {
        const failure = error instanceof ApiException ? describeFailure(error) : undefined;
        if (failure && (failure.code === 403 || failure.code === 404)) return { status: failure.code, message: failure.message };
        throw error;
      }
    },
    context,
  );
}

export async function listAutoscalers(clients: { autoscaling: AutoscalingV2Api; custom: CustomObjectsApi; context: KubeCallContext }, namespace: string): Promise<AutoscalerListing> {
  const [hpas, scaledObjects] = await Promise.all([
    listOrStatus(`list horizontalpodautoscalers ${namespace}`, async () => (await clients.autoscaling.listNamespacedHorizontalPodAutoscaler({ namespace })).items, clients.context),
    listOrStatus(`list scaledobjects ${namespace}`, async () => ((await clients.custom.listNamespacedCustomObject({ ...SCALED_OBJECTS, namespace })) as { items?: ScaledObjectJson[] }).items ?? [], clients.context),
  ]);
  const autoscalers: AutoscalerInfo[] = [];
  const unchecked: string[] = [];
  if ('items' in hpas) autoscalers.push(...hpas.items.map((h) => hpaInfo(h, namespace)).filter((a): a is AutoscalerInfo => a !== null));
  else if (hpas.status === 404) unchecked.push(`HorizontalPodAutoscaler: autoscaling/v2 is not served (Kubernetes before 1.23?): ${hpas.message}`);
  else unchecked.push(`HorizontalPodAutoscaler: 403 Forbidden: ${hpas.message} (grant list on horizontalpodautoscalers.autoscaling, see deploy/base/rbac.yaml)`);
  if ('items' in scaledObjects) autoscalers.push(...scaledObjects.items.map((o) => scaledObjectInfo(o, namespace)).filter((a): a is AutoscalerInfo => a !== null));
  // 404: the keda.sh CRD is not installed, so there are no ScaledObjects.
  else if (scaledObjects.status === 403) unchecked.push(`ScaledObject: 403 Forbidden: ${scaledObjects.message} (grant list on scaledobjects.keda.sh, see deploy/base/rbac.yaml)`);
  return { autoscalers, unchecked };
}
