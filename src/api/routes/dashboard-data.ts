/**
 * Read routes the dashboard needs beyond the plain API, one request per page:
 *
 * - `GET /api/dashboard/targets/:namespace/:name?from&to` (epoch ms; default the last 24 h and 6 h ahead; or
 *   `?back&ahead`, ms around the server's now, so a page need not ask for the time first):
 *   on the config's grid step, the actual load, the forecast as issued one pod lead earlier (the one the plan
 *   acted on, so misses show) with its 80/95% bands, the latest forecast ahead of now, the replicas the actual
 *   load needed (ceil(load / capacityPerReplica)), desired and Ready replicas (`prescale_cluster`), planned
 *   replicas (the decisions that changed them), the under-provisioned spans (Ready < needed), the node pool's
 *   planned and Ready nodes, and the decisions that changed something.
 * - `GET /api/dashboard/overview?from&to` or `?back&ahead` (default the last 24 h): per target a load sparkline on a coarse grid,
 *   mode, replicas, planned replicas and the last decision; per node pool desired, Ready and planned nodes.
 *
 * Series are columnar (`{time: [], mean: []}` or a grid `{startMs, stepMs, values}`): a week of 5-minute data is
 * 2,016 points per series and columns keep the answer small. Thin: reads stores and caches, decides nothing.
 * Reads go through a cache of the settled past (src/metrics/past-cache.ts): a refresh asks InfluxDB only for the
 * last quarter hour or so, which is what keeps a week's answer fast.
 * Left out: the calendar (its own API), live accuracy and what-if (their own routes, see notes/DASHBOARD_API.md).
 */
import { Router, type Request } from 'express';
import type { PrescaleConfig, TargetConfig } from '../../config/schema.js';
import { findTarget, targetId } from '../../config/targets.js';
import type { Clock } from '../../core/clock.js';
import type { ClusterActuator } from '../../cluster/cluster.js';
import { FORECAST_HISTORY, MEASUREMENTS, type ForecastPoint, type GridSeries, type MetricsStore, type ScalingDecision } from '../../metrics/metrics-store.js';
import { cachePastReads } from '../../metrics/past-cache.js';
import type { PublishedCache } from '../../publish/published-cache.js';
import type { StateStore } from '../../state/state-store.js';
import { badRequestFromZod, HttpError } from '../http-error.js';
import { dashboardRangeQuery as rangeSchema, MAX_RANGE_MS } from '../schemas/dashboard.js';

export { MAX_RANGE_MS };

export interface DashboardDataDeps {
  config: PrescaleConfig;
  clock: Clock;
  store: MetricsStore;
  state: StateStore;
  cluster: ClusterActuator;
  published: PublishedCache;
}

const HOUR = 3_600_000;
/** Most decisions one answer carries (the newest are kept; `decisionsTruncated` says so). */
export const MAX_DECISIONS = 2_000;
/** Cells of an overview sparkline. */
export const SPARKLINE_CELLS = 96;

/** Forecast points as columns; bands are null where a forecast had none. */
export interface ForecastColumns {
  time: number[];
  mean: number[];
  lo80: (number | null)[];
  hi80: (number | null)[];
  lo95: (number | null)[];
  hi95: (number | null)[];
  issuedAt: number[];
}

export interface Span {
  start: number;
  end: number;
  /** Most replicas missing in the span. */
  missing: number;
}

function parseRange(req: Request, now: number, backMs: number, aheadMs: number): { from: number; to: number } {
  const parsed = rangeSchema.safeParse(req.query);
  if (!parsed.success) throw badRequestFromZod(parsed.error, 'query');
  const { back, ahead } = parsed.data;
  if ((back !== undefined || ahead !== undefined) && (parsed.data.from !== undefined || parsed.data.to !== undefined)) {
    const path = back !== undefined ? 'query.back' : 'query.ahead';
    throw new HttpError(400, 'bad_request', `${path}: use either from/to (epoch ms) or back/ahead (ms around now), not both`, [{ path, message: 'use either from/to or back/ahead, not both' }]);
  }
  const from = parsed.data.from ?? now - (back ?? backMs);
  const to = parsed.data.to ?? now + (ahead ?? aheadMs);
  if (from >= to) throw new HttpError(400, 'bad_request', `query.to: must be after from (${from})`, [{ path: 'query.to', message: `must be after from (${from})` }]);
  if (to - from > MAX_RANGE_MS) throw new HttpError(400, 'bad_request', `query.from: at most ${MAX_RANGE_MS / 86_400_000} days per request`, [{ path: 'query.from', message: `at most ${MAX_RANGE_MS / 86_400_000} days before to` }]);
  return { from, to };
}

function lookupTarget(config: PrescaleConfig, namespace: string, name: string): TargetConfig {
  try {
    return findTarget(config, `${namespace}/${name}`);
  } catch (error) {
    throw new HttpError(404, 'not_found', (error as Error).message, [{ path: 'params', message: 'unknown target' }]);
  }
}

export function toColumns(points: readonly ForecastPoint[]): ForecastColumns {
  return {
    time: points.map((p) => p.time),
    mean: points.map((p) => p.mean),
    lo80: points.map((p) => p.lo80 ?? null),
    hi80: points.map((p) => p.hi80 ?? null),
    lo95: points.map((p) => p.lo95 ?? null),
    hi95: points.map((p) => p.hi95 ?? null),
    issuedAt: points.map((p) => p.issuedAt),
  };
}

/** Replicas the load needed per cell: ceil(load / capacity), null where the load is unknown. */
export function neededReplicas(load: readonly (number | null)[], capacityPerReplica: number): (number | null)[] {
  return load.map((v) => (v === null ? null : Math.ceil(v / capacityPerReplica - 1e-9)));
}

/** Runs of cells where Ready replicas were below what the load needed, merged into spans. */
export function underProvisionedSpans(startMs: number, stepMs: number, needed: readonly (number | null)[], ready: readonly (number | null)[]): Span[] {
  const spans: Span[] = [];
  let open: Span | null = null;
  needed.forEach((need, i) => {
    const have = ready[i] ?? null;
    const missing = need !== null && have !== null ? need - have : 0;
    const time = startMs + i * stepMs;
    if (missing > 0) {
      if (open) {
        open.end = time + stepMs;
        open.missing = Math.max(open.missing, missing);
      } else {
        open = { start: time, end: time + stepMs, missing };
        spans.push(open);
      }
    } else open = null;
  });
  return spans;
}

/**
 * A step line of planned replicas (or nodes) from the decisions that changed them: the value before the first
 * change at `from`, then one point per change. Exact for direct actuation; in forecast-only mode a plan that
 * returns to the current count is not a change and is not drawn.
 */
export function plannedSteps(from: number, changes: readonly ScalingDecision[], pick: (d: ScalingDecision) => { before: number; after: number } | null): { time: number[]; value: number[] } {
  const time: number[] = [];
  const value: number[] = [];
  for (const d of changes) {
    const step = pick(d);
    if (!step) continue;
    if (time.length === 0) {
      time.push(from);
      value.push(step.before);
    }
    time.push(d.time);
    value.push(step.after);
  }
  return { time, value };
}

const clusterSeries = (store: MetricsStore, tags: Record<string, string>, field: string, from: number, to: number, stepMs: number, aggregate: 'max' | 'min'): Promise<GridSeries> =>
  // 'previous' carries the last sample over cells the collector skipped (it writes every 30 s, 1 min in the demo).
  store.readSeries({ measurement: MEASUREMENTS.cluster, field, tags, from, to, stepMs, aggregate, gap: 'previous' });

/** The grid cells of `series` before `end` (the actual load stops at now). */
const until = (series: GridSeries, end: number): GridSeries => ({ ...series, values: series.values.slice(0, Math.max(0, Math.ceil((end - series.startMs) / series.stepMs))) });

export function dashboardDataRoutes(deps: DashboardDataDeps): Router {
  const router = Router();
  const step = deps.config.step;
  // The page asks for the same days every few seconds: the settled past comes from memory, the tail from the store.
  const store = cachePastReads(deps.store, { clock: deps.clock });

  router.get('/api/dashboard/targets/:namespace/:name', async (req: Request<{ namespace: string; name: string }>, res) => {
    const now = deps.clock.now();
    const target = lookupTarget(deps.config, req.params.namespace, req.params.name);
    const { from, to } = parseRange(req, now, 24 * HOUR, 6 * HOUR);
    const id = targetId(target);
    const pastEnd = Math.min(to, now);
    const published = deps.published.get(id);
    // The lead the plan used (measured pod start-up when known), within what the forecast history keeps.
    const leadMs = Math.min(published?.podLeadMs ?? target.podStartup, FORECAST_HISTORY.maxAgeMs - FORECAST_HISTORY.bucketMs);
    const pool = target.nodePool;
    const past = pastEnd > from;
    const gridTo = past ? pastEnd : from + step;
    const [load, asIssued, ahead, desired, ready, decisions, poolChanges, poolDesired, poolReady, scaling] = await Promise.all([
      store.readSeries({ ...target.load, from, to: gridTo, stepMs: step, gap: 'null' }),
      // Issues up to a few forecast periods older than the lead: an older forecast was not the one the plan used.
      past ? store.readForecastAsIssued({ target: id, from, to: pastEnd, leadMs, stepMs: step, windowMs: Math.max(3 * deps.config.schedule.forecast, 10 * 60_000) }) : Promise.resolve([]),
      // From the step holding now, so the forecast line joins the actual one.
      to > now ? store.readForecast(id, Math.max(from, Math.floor(now / step) * step), to) : Promise.resolve([]),
      clusterSeries(store, { target: id }, 'desired_replicas', from, gridTo, step, 'max'),
      clusterSeries(store, { target: id }, 'ready_replicas', from, gridTo, step, 'min'),
      store.readDecisions(id, from, to, { changesOnly: true }),
      pool ? store.readDecisions(`nodepool/${pool}`, from, to, { changesOnly: true }) : Promise.resolve([]),
      pool ? clusterSeries(store, { pool }, 'desired_nodes', from, gridTo, step, 'max') : Promise.resolve(null),
      pool ? clusterSeries(store, { pool }, 'ready_nodes', from, gridTo, step, 'min') : Promise.resolve(null),
      deps.state.getScalingState(id),
    ]);
    const actual = until(load, pastEnd);
    const needed = neededReplicas(actual.values, target.capacityPerReplica);
    const readyPast = until(ready, pastEnd);
    const kept = decisions.slice(-MAX_DECISIONS);
    res.json({
      target: id,
      now,
      from,
      to,
      stepMs: step,
      leadMs,
      capacityPerReplica: target.capacityPerReplica,
      mode: published?.mode ?? scaling?.mode ?? 'learning',
      actuation: target.actuation,
      load: actual,
      needed,
      forecastAsIssued: toColumns(asIssued),
      forecastAhead: toColumns(ahead),
      replicas: { startMs: desired.startMs, stepMs: step, desired: until(desired, pastEnd).values, ready: readyPast.values },
      planned: plannedSteps(from, decisions, (d) => (d.desiredReplicas !== d.previousReplicas ? { before: d.previousReplicas, after: d.desiredReplicas } : null)),
      underProvisioned: underProvisionedSpans(actual.startMs, step, needed, readyPast.values),
      decisions: kept,
      decisionsTruncated: decisions.length > kept.length,
      nodePool: pool
        ? {
            name: pool,
            startMs: poolDesired!.startMs,
            stepMs: step,
            desired: until(poolDesired!, pastEnd).values,
            ready: until(poolReady!, pastEnd).values,
            planned: plannedSteps(from, poolChanges, (d) => (d.desiredNodes !== undefined && d.desiredNodes !== d.previousNodes ? { before: d.previousNodes ?? d.desiredNodes, after: d.desiredNodes } : null)),
            decisions: poolChanges.slice(-MAX_DECISIONS),
          }
        : null,
    });
  });

  router.get('/api/dashboard/overview', async (req, res) => {
    const now = deps.clock.now();
    const { from, to } = parseRange(req, now, 24 * HOUR, 0);
    const end = Math.min(to, now);
    // A coarse grid: a sparkline needs its shape, not every step.
    const cell = Math.max(step, Math.ceil((end - from) / SPARKLINE_CELLS / step) * step);
    const targets = await Promise.all(
      deps.config.targets.map(async (t) => {
        const id = targetId(t);
        const [load, workload, scaling, model, changes] = await Promise.all([
          end > from ? store.readSeries({ ...t.load, from, to: end, stepMs: cell, gap: 'null' }) : Promise.resolve({ startMs: from, stepMs: cell, values: [] }),
          deps.cluster.getWorkload({ namespace: t.namespace, name: t.name, kind: t.kind }),
          deps.state.getScalingState(id),
          deps.state.getModelInfo(id),
          store.readDecisions(id, from, end + 1, { changesOnly: true }),
        ]);
        const published = deps.published.get(id);
        return {
          id,
          mode: published?.mode ?? scaling?.mode ?? 'learning',
          actuation: t.actuation,
          capacityPerReplica: t.capacityPerReplica,
          sparkline: load,
          replicas: { planned: published?.plannedReplicas ?? null, desired: workload.desiredReplicas, ready: workload.readyReplicas },
          model: model ? { kind: model.kind, description: model.description, historyDays: model.historyDays, requiredHistoryDays: model.requiredHistoryDays } : null,
          lastDecision: changes.at(-1) ?? null,
          changes: changes.length,
        };
      }),
    );
    const nodePools = await Promise.all(
      deps.config.nodePools.map(async (p) => {
        const [state, changes] = await Promise.all([deps.cluster.getNodePool(p.name), store.readDecisions(`nodepool/${p.name}`, from, end + 1, { changesOnly: true })]);
        return { name: p.name, ...state, minNodes: p.minNodes, maxNodes: p.maxNodes, lastDecision: changes.at(-1) ?? null };
      }),
    );
    res.json({ now, from, to, targets, nodePools });
  });

  return router;
}
