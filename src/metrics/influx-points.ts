/**
 * How Prescale's own records are laid out in InfluxDB, shared by the v1 and v2 adapters:
 *
 * - `prescale_forecast`, tag `target`; fields `mean`, `lo80`/`hi80`, `lo95`/`hi95` (any level L as `loL`/`hiL`),
 *   `issued_at` (epoch ms) and `model` (string). One series per target, so a newer forecast overwrites an older one
 *   at the same timestamp without growing series cardinality; the adapters skip timestamps already covered by a
 *   forecast issued later, so the latest issued forecast wins whatever order writes arrive in. InfluxDB merges the
 *   fields of a rewritten point, so a forecast without the 95% level leaves an older forecast's lo95/hi95 in place.
 * - `prescale_forecast_history`, tags `target` and `age` (minutes from issue to the point, floored: "0".."59");
 *   the same fields plus `age_ms`. Each forecast's first hour is written here too, so a point keeps one issue per
 *   age bucket instead of only the latest: as-issued reads (the forecast known one pod lead earlier) pick, per
 *   timestamp, the smallest age at or above the lead. At most 60 series per target.
 * - `prescale_decision`, tags `target`, `mode`, `loop` (plan/reactive: both loops may decide at one instant) and
 *   `actuation` (direct/hpa/keda, when the decision says); fields `previous_replicas`, `desired_replicas`, `applied` and `published` (bool),
 *   `rule`, `notes`, `node_pool` (strings), `previous_nodes`, `desired_nodes`, `inputs_json` (the whole inputs map
 *   as JSON) and every input again as a number field `input_<key>` so InfluxQL/Flux can chart it; the error
 *   budget, when the decision has one, as `budget_share`, `budget_window_ms`, `budget_spent` and `budget_left`.
 */
import { Point } from '@influxdata/influxdb-client';
import type { DecisionFilter, EpochMs, ForecastPoint, MetricPoint, ScalingDecision, StoredForecast } from './metrics-store.js';
import { ACTUATIONS, FORECAST_HISTORY, MEASUREMENTS } from './metrics-store.js';

/** Lines per write request: large enough to be fast, small enough for InfluxDB's default body limits. */
export const DEFAULT_BATCH_LINES = 5000;

export function metricPointToPoint(p: MetricPoint): Point {
  const point = new Point(p.measurement).timestamp(Math.round(p.time));
  for (const [key, value] of Object.entries(p.tags)) point.tag(key, value);
  for (const [key, value] of Object.entries(p.fields)) point.floatField(key, value);
  return point;
}

export function forecastToPoints(f: StoredForecast): Point[] {
  return f.mean.map((mean, i) => {
    const point = new Point(MEASUREMENTS.forecast)
      .tag('target', f.target)
      .floatField('mean', mean)
      .floatField('issued_at', f.issuedAt)
      .stringField('model', f.model)
      .timestamp(Math.round(f.startMs + i * f.stepMs));
    for (const interval of f.intervals) {
      point.floatField(`lo${interval.level}`, interval.lower[i]);
      point.floatField(`hi${interval.level}`, interval.upper[i]);
    }
    return point;
  });
}

/** The age bucket ("0".."59") of a point `ageMs` after its forecast's issue. */
export const ageBucket = (ageMs: number): number => Math.floor(ageMs / FORECAST_HISTORY.bucketMs);

/** A forecast's points younger than FORECAST_HISTORY.maxAgeMs, for the history measurement. */
export function forecastHistoryPoints(f: StoredForecast): Point[] {
  const points: Point[] = [];
  f.mean.forEach((mean, i) => {
    const time = Math.round(f.startMs + i * f.stepMs);
    const age = time - f.issuedAt;
    if (age < 0 || age >= FORECAST_HISTORY.maxAgeMs) return;
    const point = new Point(MEASUREMENTS.forecastHistory)
      .tag('target', f.target)
      .tag('age', String(ageBucket(age)))
      .floatField('mean', mean)
      .floatField('issued_at', f.issuedAt)
      .floatField('age_ms', age)
      .stringField('model', f.model)
      .timestamp(time);
    for (const interval of f.intervals) {
      point.floatField(`lo${interval.level}`, interval.lower[i]);
      point.floatField(`hi${interval.level}`, interval.upper[i]);
    }
    points.push(point);
  });
  return points;
}

/** The age buckets that can hold a point issued from `leadMs` to `leadMs + windowMs` earlier. */
export function asIssuedBuckets(leadMs: number, windowMs: number = FORECAST_HISTORY.maxAgeMs): number[] {
  const buckets: number[] = [];
  const last = Math.min(ageBucket(FORECAST_HISTORY.maxAgeMs - 1), ageBucket(leadMs + windowMs));
  for (let b = ageBucket(leadMs); b <= last; b++) buckets.push(b);
  return buckets;
}

/** Per timestamp, the row of the youngest issue from `leadMs` to `leadMs + windowMs` old (rows carry `age_ms`), time ordered. */
export function pickAsIssued(rows: readonly StoredRow[], leadMs: number, windowMs = Number.POSITIVE_INFINITY): ForecastPoint[] {
  const best = new Map<EpochMs, { age: number; row: StoredRow }>();
  for (const row of rows) {
    const age = num(row['age_ms']);
    if (age === undefined || age < leadMs || age > leadMs + windowMs) continue;
    const held = best.get(row.time);
    if (!held || age < held.age) best.set(row.time, { age, row });
  }
  return rowsToForecastPoints([...best.values()].map((b) => b.row));
}

/** Whether a decision changed replicas or nodes (DecisionFilter.changesOnly). */
export function isChange(d: ScalingDecision): boolean {
  return d.desiredReplicas !== d.previousReplicas || (d.desiredNodes !== undefined && d.desiredNodes !== (d.previousNodes ?? d.desiredNodes));
}

/** Applies a decision filter in memory (adapters that also filter server-side use it as the final word). */
export function filterDecisions(decisions: ScalingDecision[], filter: DecisionFilter | undefined): ScalingDecision[] {
  return filter?.changesOnly ? decisions.filter(isChange) : decisions;
}

export function decisionToPoint(d: ScalingDecision): Point {
  const point = new Point(MEASUREMENTS.decision)
    .tag('target', d.target)
    .tag('mode', d.mode)
    .tag('loop', d.loop ?? 'plan')
    .floatField('previous_replicas', d.previousReplicas)
    .floatField('desired_replicas', d.desiredReplicas)
    .booleanField('applied', d.applied)
    .stringField('rule', d.rule)
    .stringField('inputs_json', JSON.stringify(d.inputs ?? {}))
    .timestamp(Math.round(d.time));
  if (d.actuation !== undefined) point.tag('actuation', d.actuation);
  if (d.published !== undefined) point.booleanField('published', d.published);
  if (d.notes !== undefined) point.stringField('notes', d.notes);
  if (d.nodePool !== undefined) point.stringField('node_pool', d.nodePool);
  if (d.previousNodes !== undefined) point.floatField('previous_nodes', d.previousNodes);
  if (d.desiredNodes !== undefined) point.floatField('desired_nodes', d.desiredNodes);
  if (d.budget !== undefined) {
    point.floatField('budget_share', d.budget.budget).floatField('budget_window_ms', d.budget.windowMs);
    point.floatField('budget_spent', d.budget.spent).floatField('budget_left', d.budget.left);
  }
  for (const [key, value] of Object.entries(d.inputs ?? {})) point.floatField(`input_${key}`, value);
  return point;
}

/** Line protocol with millisecond timestamps (write with precision=ms). */
export function toLines(points: readonly Point[]): string[] {
  const convertTime = (t: string | number | Date | undefined) => (t === undefined ? undefined : String(t instanceof Date ? t.getTime() : t));
  return points.map((p) => p.toLineProtocol({ convertTime })).filter((line): line is string => line !== undefined);
}

export function chunk<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}

/** A row read back from either API, already keyed by column (field and tag names), time in epoch ms. */
export type StoredRow = Record<string, unknown> & { time: EpochMs };

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : typeof v === 'string' && v !== '' && Number.isFinite(Number(v)) ? Number(v) : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

export function rowToForecastPoint(row: StoredRow): ForecastPoint | undefined {
  const mean = num(row['mean']);
  if (mean === undefined) return undefined;
  const point: ForecastPoint = { time: row.time, mean, model: str(row['model']) ?? 'unknown', issuedAt: num(row['issued_at']) ?? row.time };
  for (const key of ['lo80', 'hi80', 'lo95', 'hi95'] as const) {
    const value = num(row[key]);
    if (value !== undefined) point[key] = value;
  }
  return point;
}

/** Stored forecast rows as points, time ordered (rows without a mean are skipped). */
export function rowsToForecastPoints(rows: readonly StoredRow[]): ForecastPoint[] {
  return rows
    .map(rowToForecastPoint)
    .filter((p): p is ForecastPoint => p !== undefined)
    .sort((a, b) => a.time - b.time);
}

/** Epoch ms of a forecast's last point. */
export function forecastEndMs(f: StoredForecast): EpochMs {
  return f.startMs + (f.mean.length - 1) * f.stepMs;
}

/** The forecast's points, minus those whose time a newer issue already holds ("latest issued wins"). */
export function forecastPointsNotSuperseded(f: StoredForecast, newerTimes: ReadonlySet<EpochMs>): Point[] {
  return forecastToPoints(f).filter((_, i) => !newerTimes.has(Math.round(f.startMs + i * f.stepMs)));
}

export function rowToDecision(row: StoredRow): ScalingDecision {
  let inputs: Record<string, number> = {};
  try {
    const parsed: unknown = JSON.parse(str(row['inputs_json']) ?? '{}');
    if (parsed && typeof parsed === 'object') inputs = parsed as Record<string, number>;
  } catch {
    // A decision written by another tool: rebuild the inputs from the input_* fields below.
  }
  if (Object.keys(inputs).length === 0) {
    for (const [key, value] of Object.entries(row)) {
      const n = num(value);
      if (key.startsWith('input_') && n !== undefined) inputs[key.slice('input_'.length)] = n;
    }
  }
  const decision: ScalingDecision = {
    target: str(row['target']) ?? '',
    time: row.time,
    mode: (str(row['mode']) ?? 'predictive') as ScalingDecision['mode'],
    loop: str(row['loop']) === 'reactive' ? 'reactive' : 'plan',
    rule: str(row['rule']) ?? '',
    previousReplicas: num(row['previous_replicas']) ?? 0,
    desiredReplicas: num(row['desired_replicas']) ?? 0,
    applied: row['applied'] === true || row['applied'] === 'true',
    inputs,
  };
  const actuation = str(row['actuation']);
  if (actuation !== undefined && (ACTUATIONS as readonly string[]).includes(actuation)) decision.actuation = actuation as (typeof ACTUATIONS)[number];
  if (row['published'] !== undefined && row['published'] !== null) decision.published = row['published'] === true || row['published'] === 'true';
  const notes = str(row['notes']);
  if (notes !== undefined) decision.notes = notes;
  const nodePool = str(row['node_pool']);
  if (nodePool !== undefined) decision.nodePool = nodePool;
  const previousNodes = num(row['previous_nodes']);
  if (previousNodes !== undefined) decision.previousNodes = previousNodes;
  const desiredNodes = num(row['desired_nodes']);
  if (desiredNodes !== undefined) decision.desiredNodes = desiredNodes;
  // All four or none: a record from before error budgets has none of them.
  const [budget, windowMs, spent, left] = ['budget_share', 'budget_window_ms', 'budget_spent', 'budget_left'].map((key) => num(row[key]));
  if (budget !== undefined && windowMs !== undefined && spent !== undefined && left !== undefined) decision.budget = { budget, windowMs, spent, left };
  return decision;
}

/** Orders decisions by time, then target and mode, so every adapter returns the same sequence. */
export function compareDecisions(a: ScalingDecision, b: ScalingDecision): number {
  return a.time - b.time || a.target.localeCompare(b.target) || a.mode.localeCompare(b.mode) || (a.loop ?? 'plan').localeCompare(b.loop ?? 'plan') || (a.actuation ?? '').localeCompare(b.actuation ?? '');
}
