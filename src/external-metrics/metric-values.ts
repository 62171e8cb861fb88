/**
 * The ExternalMetricValueList for one request, built from the in-memory published plans only (never a store
 * query). Metrics:
 *  - `prescale-planned-replicas`: the plan's replica count, one item per target, for an HPA with
 *    `AverageValue: 1` (encoded for the HPA's tolerance when one item is returned; hpa-tolerance.ts);
 *  - `prescale-predicted-load`: the forecast load in the target's load units, labelled
 *    `quantile` ("50" = median, or the planning quantile, e.g. "98") and `horizon` ("now" = at the plan tick,
 *    "lead" = one pod start-up later). A selector that leaves a label out gets its default (the planning
 *    quantile, one pod lead ahead), so by default a target has exactly one item: the HPA sums items.
 * Every item carries `target`, `namespace` and, for Deployments and StatefulSets, `deployment`/`statefulset`
 * = name, so `target=web` and `deployment=web` both select it.
 *
 * Errors (StatusError): unknown metric or nothing matching 404; any selected target without a usable value
 * (no plan yet, a stale plan, no forecast covering it) 503 for the whole answer, because a partial sum would
 * look like less load and the HPA would scale down. An error makes the HPA hold its replica count.
 */
import type { PublishedPlan } from '../publish/published-plan.js';
import { encodeForTolerance } from './hpa-tolerance.js';
import type { LabelSelector } from './label-selector.js';
import { formatQuantity } from './quantity-format.js';
import { StatusError } from './status.js';

export const GROUP = 'external.metrics.k8s.io';
export const VERSION = 'v1beta1';
export const PLANNED_REPLICAS = 'prescale-planned-replicas';
export const PREDICTED_LOAD = 'prescale-predicted-load';
export const METRIC_NAMES = [PLANNED_REPLICAS, PREDICTED_LOAD] as const;

export interface ExternalMetricValue {
  metricName: string;
  metricLabels: Record<string, string>;
  /** RFC3339, the plan tick the value comes from. */
  timestamp: string;
  /** A Kubernetes quantity. */
  value: string;
}

export interface ExternalMetricValueList {
  kind: 'ExternalMetricValueList';
  apiVersion: 'external.metrics.k8s.io/v1beta1';
  metadata: Record<string, never>;
  items: ExternalMetricValue[];
}

/** What the API knows of a configured target. */
export interface MetricTarget {
  namespace: string;
  name: string;
  kind: string;
  /** Planning quantile in percent. */
  quantile: number;
  /** Plan and record only: its planned replicas are not served (serving them is how an HPA applies them). */
  forecastOnly?: boolean;
}

export interface MetricValuesContext {
  targets: readonly MetricTarget[];
  plans: { get(target: string): PublishedPlan | undefined };
  now: number;
  /** Plans older than this are not served. */
  staleAfterMs: number;
  /** The consuming HPAs' tolerance; 0 publishes plans as they are. */
  hpaTolerance: number;
}

interface Candidate {
  target: MetricTarget;
  labels: Record<string, string>;
  quantile?: 'median' | 'planning';
  horizon?: 'now' | 'lead';
}

const rfc3339 = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

function baseLabels(target: MetricTarget): Record<string, string> {
  const labels: Record<string, string> = { target: target.name, namespace: target.namespace };
  if (target.kind === 'Deployment' || target.kind === 'StatefulSet') labels[target.kind.toLowerCase()] = target.name;
  return labels;
}

function candidates(metric: string, target: MetricTarget, selector: LabelSelector): Candidate[] {
  const base = baseLabels(target);
  if (metric === PLANNED_REPLICAS) return [{ target, labels: base }];
  const planning = String(target.quantile);
  const quantiles: [string, 'median' | 'planning'][] = selector.keys.has('quantile') ? [['50', 'median'], [planning, 'planning']] : [[planning, 'planning']];
  const horizons: ('now' | 'lead')[] = selector.keys.has('horizon') ? ['now', 'lead'] : ['lead'];
  const out: Candidate[] = [];
  for (const [q, quantile] of quantiles) {
    if (quantile === 'planning' && planning === '50' && quantiles.length > 1) continue; // the median twice
    for (const horizon of horizons) out.push({ target, labels: { ...base, quantile: q, horizon }, quantile, horizon });
  }
  return out;
}

function problem(candidate: Candidate, plan: PublishedPlan | undefined, context: MetricValuesContext): string | null {
  const id = `${candidate.target.namespace}/${candidate.target.name}`;
  if (!plan) return `no plan published yet for ${id} (Prescale plans every target each plan period; check the worker and scheduler roles)`;
  const age = context.now - plan.at;
  if (!candidate.horizon && candidate.target.forecastOnly) return `${id} is forecast-only: its plan is recorded, not published (set forecastOnly: false to let the HPA apply it)`;
  if (age > context.staleAfterMs) return `the plan for ${id} is ${Math.round(age / 1000)} s old (served up to ${Math.round(context.staleAfterMs / 1000)} s): the planner has stopped publishing`;
  if (candidate.horizon) {
    const load = candidate.horizon === 'now' ? plan.predictedNow : plan.predictedAhead;
    if (!load) return `no forecast covers ${id} ${candidate.horizon === 'now' ? 'now' : 'one pod lead ahead'}`;
  }
  return null;
}

function valueOf(candidate: Candidate, plan: PublishedPlan, encode: boolean, tolerance: number): number {
  if (!candidate.horizon) return encode ? encodeForTolerance(plan.plannedReplicas, plan.desiredReplicas, tolerance).value : plan.plannedReplicas;
  const load = (candidate.horizon === 'now' ? plan.predictedNow : plan.predictedAhead)!;
  return candidate.quantile === 'median' ? load.median : load.quantile;
}

export function externalMetricValues(namespace: string, metric: string, selector: LabelSelector, selectorText: string, context: MetricValuesContext): ExternalMetricValueList {
  if (!(METRIC_NAMES as readonly string[]).includes(metric)) {
    throw new StatusError('NotFound', `external metric "${metric}" is not served by Prescale; it serves ${METRIC_NAMES.join(', ')}`, { name: metric, group: GROUP, kind: 'externalmetrics' });
  }
  const here = context.targets.filter((t) => t.namespace === namespace);
  if (here.length === 0) throw new StatusError('NotFound', `Prescale has no target in namespace "${namespace}"`, { name: metric, group: GROUP, kind: 'externalmetrics' });
  const selected = here.flatMap((t) => candidates(metric, t, selector)).filter((c) => selector.matches(c.labels));
  if (selected.length === 0) {
    throw new StatusError('NotFound', `no ${metric} item in namespace "${namespace}" matches labelSelector "${selectorText}"; targets here: ${here.map((t) => t.name).join(', ')} (select one with target=<name>)`, { name: metric, group: GROUP, kind: 'externalmetrics' });
  }
  const problems: string[] = [];
  const items: ExternalMetricValue[] = [];
  for (const candidate of selected) {
    const plan = context.plans.get(`${candidate.target.namespace}/${candidate.target.name}`);
    const why = problem(candidate, plan, context);
    if (why) {
      problems.push(why);
      continue;
    }
    const value = valueOf(candidate, plan!, selected.length === 1 && context.hpaTolerance > 0, context.hpaTolerance);
    items.push({ metricName: metric, metricLabels: candidate.labels, timestamp: rfc3339(plan!.at), value: formatQuantity(value) });
  }
  if (problems.length > 0) throw new StatusError('ServiceUnavailable', `${[...new Set(problems)].join('; ')}; the HPA keeps its current replicas until this clears`, { name: metric, group: GROUP, kind: 'externalmetrics' });
  return { kind: 'ExternalMetricValueList', apiVersion: 'external.metrics.k8s.io/v1beta1', metadata: {}, items };
}
