/**
 * Who writes a target's replicas, and whether another controller already does. Pure: it reads a listing of
 * the namespace's HorizontalPodAutoscalers and KEDA ScaledObjects (ClusterActuator.listAutoscalers) and says
 * - in `direct` mode: whether one of them also scales the workload (a conflict: two writers of spec.replicas
 *   undo each other's changes every sync, so Prescale steps aside and says which actuation mode to use);
 * - in `hpa` mode: whether an HPA exists that applies the published plan (it should read the external metric
 *   prescale-planned-replicas);
 * - in `keda` mode: whether a ScaledObject exists to read it (KEDA's own HPA, keda-hpa-<name>, comes with it).
 * In hpa and keda modes Prescale never patches, so another autoscaler is never a conflict there, only a
 * warning when the expected one is missing.
 *
 * Left out: whether the HPA's selector and target make it apply exactly the planned count (see the README's
 * tolerance section), and ScaledJobs (they create Jobs, not replicas).
 */
import type { AutoscalerInfo, AutoscalerListing, ScaleTargetRef, WorkloadRef } from '../cluster/cluster.js';
import type { Actuation } from '../publish/published-plan.js';

/** The external metric an HPA reads to apply Prescale's plan (served by the external metrics API). */
export const PLANNED_REPLICAS_METRIC = 'prescale-planned-replicas';

/** KEDA names the HPA it creates for a ScaledObject `keda-hpa-<ScaledObject name>`. */
export const KEDA_HPA_PREFIX = 'keda-hpa-';

export interface AutoscalerName {
  kind: AutoscalerInfo['kind'];
  namespace: string;
  name: string;
}

/** Another autoscaler writes the replicas of a direct-mode target: Prescale does not patch. */
export interface AutoscalerConflict {
  /** Every HPA and ScaledObject that scales the workload (KEDA's own HPA included). */
  autoscalers: AutoscalerName[];
  /** "conflict: HorizontalPodAutoscaler shop/web-hpa also scales Deployment shop/web; set actuation: hpa ..." */
  reason: string;
}

export interface ActuationAssessment {
  conflict: AutoscalerConflict | null;
  /** Things a person should fix that do not stop the tick: a missing HPA in hpa mode, a check that failed. */
  warnings: string[];
}

/** "Deployment shop/web", "argoproj.io/v1alpha1/rollouts shop/checkout". */
export function workloadLabel(ref: WorkloadRef): string {
  return `${ref.kind} ${ref.namespace}/${ref.name}`;
}

function autoscalerLabel(a: AutoscalerName): string {
  return `${a.kind} ${a.namespace}/${a.name}`;
}

/** API group of an apiVersion: `apps/v1` -> apps, `v1` -> '' (core); undefined when absent. */
function groupOf(apiVersion: string | undefined): string | undefined {
  if (apiVersion === undefined || apiVersion === '') return undefined;
  return apiVersion.includes('/') ? apiVersion.split('/')[0] : '';
}

/**
 * Whether a scaleTargetRef names the workload. Deployments and StatefulSets match on kind and name (and group
 * apps, or extensions for old Deployments, when the reference carries one). A target given as
 * group/version/resource matches on group and name: the reference carries a kind (Rollout), the config a
 * plural (rollouts), and without discovery the safe side is to assume the same object.
 */
export function refersTo(target: ScaleTargetRef, ref: WorkloadRef): boolean {
  if (target.name !== ref.name) return false;
  const group = groupOf(target.apiVersion);
  if (ref.kind === 'Deployment') return target.kind === 'Deployment' && (group === undefined || group === 'apps' || group === 'extensions');
  if (ref.kind === 'StatefulSet') return target.kind === 'StatefulSet' && (group === undefined || group === 'apps');
  // group/version/resource (the config validated the shape).
  return group === undefined || group === ref.kind.split('/')[0];
}

/** The autoscalers of a listing that scale this workload (same namespace, matching scaleTargetRef). */
export function autoscalersOf(ref: WorkloadRef, autoscalers: readonly AutoscalerInfo[]): AutoscalerInfo[] {
  return autoscalers.filter((a) => a.namespace === ref.namespace && refersTo(a.scaleTargetRef, ref));
}

const joinNames = (names: string[]) => (names.length <= 1 ? names.join('') : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`);

export function assessActuation(input: { actuation: Actuation; ref: WorkloadRef; listing: AutoscalerListing }): ActuationAssessment {
  const { actuation, ref, listing } = input;
  const mine = autoscalersOf(ref, listing.autoscalers);
  const scaledObjects = mine.filter((a) => a.kind === 'ScaledObject');
  // KEDA's own HPA comes with its ScaledObject: name the ScaledObject, the cause, not both.
  const kedaHpas = new Set(scaledObjects.map((s) => `${KEDA_HPA_PREFIX}${s.name}`));
  const hpas = mine.filter((a) => a.kind === 'HorizontalPodAutoscaler' && !kedaHpas.has(a.name));
  const warnings: string[] = [];
  const workload = workloadLabel(ref);
  const incomplete = listing.unchecked.length > 0 ? `could not check every autoscaler (${listing.unchecked.join('; ')})` : null;

  if (actuation === 'direct') {
    if (mine.length === 0) {
      if (incomplete) warnings.push(`${incomplete}: patching as configured (actuation: direct)`);
      return { conflict: null, warnings };
    }
    const named = [...scaledObjects, ...hpas];
    const verb = named.length === 1 ? 'scales' : 'scale';
    const mode = scaledObjects.length > 0 ? 'keda' : 'hpa';
    const reason = `conflict: ${joinNames(named.map(autoscalerLabel))} also ${verb} ${workload}; set actuation: ${mode} to let it apply Prescale's plan`;
    if (incomplete) warnings.push(incomplete);
    return { conflict: { autoscalers: mine.map(({ kind, namespace, name }) => ({ kind, namespace, name })), reason }, warnings };
  }

  if (incomplete) warnings.push(incomplete);
  if (actuation === 'hpa') {
    if (hpas.length === 0 && listing.unchecked.length === 0) {
      warnings.push(`no HorizontalPodAutoscaler scales ${workload}: nothing applies the published plan (add one that reads the external metric ${PLANNED_REPLICAS_METRIC})`);
    }
    for (const hpa of hpas) {
      if (hpa.externalMetrics !== undefined && !hpa.externalMetrics.includes(PLANNED_REPLICAS_METRIC)) {
        warnings.push(`${autoscalerLabel(hpa)} does not read the external metric ${PLANNED_REPLICAS_METRIC}: the published plan does not reach it`);
      }
    }
    if (scaledObjects.length > 0) {
      warnings.push(`${joinNames(scaledObjects.map(autoscalerLabel))} also scales ${workload}: with a ScaledObject use actuation: keda`);
    }
  } else if (scaledObjects.length === 0 && listing.unchecked.length === 0) {
    warnings.push(`no ScaledObject scales ${workload}: nothing applies the published plan (add one with a metrics-api trigger on Prescale's KEDA endpoint)`);
  }
  return { conflict: null, warnings };
}
