/**
 * The plan job's two reads from the metrics store, with what to do when InfluxDB does not answer: live load
 * falls back to the last sample the collect job kept in Redis, the forecast to the last one the forecast job
 * kept there. Either way the forecast is used only while it is fresh enough (`forecastMaxAgeMs`), and every
 * fallback or refusal comes back as a note for the decision, so the log says what the tick stood on.
 *
 * Left out: sizing (the planner) and the outage itself (readiness, the write buffer: src/api/routes/readiness.ts,
 * src/metrics/write-behind-store.ts).
 */
import type { PrescaleConfig, TargetConfig } from '../src/config/schema.js';
import { targetId } from '../src/config/targets.js';
import type { ForecastPoint, MetricsStore } from '../src/metrics/metrics-store.js';
import { createLiveLoadBatcher, type LiveLoadBatcher } from './live-load-batch.js';
import { forecastPointsBetween } from '../src/state/last-known.js';
import { planForecastBetween } from '../src/state/plan-forecast.js';
import type { JobDeps } from './deps.js';

/** A forecast issued longer ago than this is not used (at least an hour, else three forecast periods). */
export const MIN_FORECAST_MAX_AGE_MS = 3_600_000;

export function forecastMaxAgeMs(config: Pick<PrescaleConfig, 'schedule'>): number {
  return Math.max(MIN_FORECAST_MAX_AGE_MS, 3 * config.schedule.forecast);
}

/** A forecast issued up to this long after the tick's time is ordinary (jobs on other queues run concurrently). */
const FUTURE_SLACK_MS = 60_000;

const minutes = (ms: number) => `${Math.round(ms / 60_000)} min`;
const reason = (error: unknown) => (error instanceof Error ? error.message : String(error));

export interface ForecastRead {
  points: ForecastPoint[];
  notes: string[];
}

/** The kept window's points for [from, to), or null when it does not cover them or Redis does not answer (then the store is asked). */
async function keptWindow(deps: Pick<JobDeps, 'lastKnown'>, target: string, from: number, to: number): Promise<ForecastPoint[] | null> {
  try {
    return planForecastBetween((await deps.lastKnown?.getPlanForecast(target)) ?? null, from, to);
  } catch {
    return null;
  }
}

/**
 * Forecast points for [from, to) as of `at`: from the window kept in Redis when it covers them, else from the store, else from the last forecast kept in Redis; points
 * of a forecast issued more than the max age before `at` are dropped.
 */
export async function readPlanForecast(deps: Pick<JobDeps, 'store' | 'lastKnown' | 'config'>, target: string, from: number, to: number, at: number): Promise<ForecastRead> {
  const notes: string[] = [];
  let points: ForecastPoint[];
  try {
    // The window the forecast job keeps in Redis answers most ticks (src/state/plan-forecast.ts); the store the rest.
    points = (await keptWindow(deps, target, from, to)) ?? (await deps.store.readForecast(target, from, to));
  } catch (error) {
    const kept = await deps.lastKnown?.getForecast(target);
    points = kept ? forecastPointsBetween(kept, from, to) : [];
    notes.push(`metrics store unreachable (${reason(error)}): ${kept ? `last forecast kept in Redis, issued ${new Date(kept.issuedAt).toISOString()}` : 'no forecast kept in Redis'}`);
  }
  const maxAge = forecastMaxAgeMs(deps.config);
  const usable = points.filter((p) => p.issuedAt >= at - maxAge);
  const newest = points.reduce((a, p) => Math.max(a, p.issuedAt), -Infinity);
  if (usable.length < points.length) notes.push(`forecast issued ${minutes(at - Math.max(...points.filter((p) => p.issuedAt < at - maxAge).map((p) => p.issuedAt)))} ago is older than ${minutes(maxAge)}: not used`);
  // Issued "later" than this tick: a forecast job ran a moment after the tick began, or the clock went back. Used, and said.
  if (newest > at + FUTURE_SLACK_MS) notes.push(`forecast issued ${Math.round((newest - at) / 1000)} s after now: the clock went back?`);
  return { points: usable, notes };
}

export interface LiveRead {
  sample: { time: number; value: number } | null;
  notes: string[];
}

/** One batcher per store (per process): the plan ticks in flight share their live-load reads (live-load-batch.ts). */
const batchers = new WeakMap<MetricsStore, LiveLoadBatcher>();
function batcherFor(store: MetricsStore): LiveLoadBatcher {
  let batcher = batchers.get(store);
  if (!batcher) batchers.set(store, (batcher = createLiveLoadBatcher(store)));
  return batcher;
}

/** The target's newest load sample in [at - lookbackMs, at]: from the store, else the one kept in Redis by the collect job. */
export async function readPlanLiveLoad(deps: Pick<JobDeps, 'store' | 'lastKnown'>, target: TargetConfig, at: number, lookbackMs: number): Promise<LiveRead> {
  const { measurement, field, tags } = target.load;
  try {
    return { sample: await batcherFor(deps.store).latest({ measurement, field, tags: tags ?? {}, at, lookbackMs }), notes: [] };
  } catch (error) {
    const kept = (await deps.lastKnown?.latestLoad(targetId(target), at, lookbackMs)) ?? null;
    return { sample: kept, notes: [`metrics store unreachable (${reason(error)}): ${kept ? `live load ${kept.value} from Redis (collected ${new Date(kept.time).toISOString()})` : 'no recent live load kept in Redis'}`] };
  }
}
