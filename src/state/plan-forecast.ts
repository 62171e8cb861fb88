/**
 * The forecast the plan job reads every tick, kept in Redis by the forecast job, so a tick costs one Redis read
 * instead of an InfluxDB query (bench:fleet: at 1,000 targets the plan and reactive ticks asked InfluxDB for
 * the same forecast 2,000 times per 15 s while it changes once a minute).
 *
 * It is the metrics store's answer restricted to the near future: per timestamp the point of the latest issued
 * forecast (as readForecast returns it), from the step before the newest issue's step up to KEEP_AHEAD_MS past
 * its start. The step that is filling up now is not in the newest forecast (it forecasts from the next step on):
 * its point comes from an earlier issue, which is why forecasts are merged rather than replaced. `fromMs` ..
 * `toMs` is what the window answers for exactly; the plan job asks the metrics store for anything else.
 */
import type { ForecastPoint, StoredForecast } from '../metrics/metrics-store.js';
import { forecastPointsBetween } from './last-known.js';

/** How far past the newest forecast's start the window keeps points (a tick looks one pod lead + two steps ahead). */
export const KEEP_AHEAD_MS = 2 * 3_600_000;

export interface PlanForecastWindow {
  /** Epoch ms: timestamps in [fromMs, toMs) are answered exactly. */
  fromMs: number;
  toMs: number;
  /** The newest issue merged in, epoch ms. */
  issuedAt: number;
  /** The forecasts' grid step (points lie on multiples of it). */
  stepMs: number;
  /** Time ordered, the latest issued point per timestamp. */
  points: ForecastPoint[];
}

/**
 * The window after `forecast` is stored on top of `previous` (null when none is kept). Per timestamp the later
 * issue wins, so a forecast that arrives after a newer one (two forecast jobs of a target overlapping) changes
 * only the timestamps where it is the latest.
 */
export function mergePlanForecast(previous: PlanForecastWindow | null, forecast: StoredForecast): PlanForecastWindow {
  const step = forecast.stepMs;
  const fresh = forecastPointsBetween(forecast, forecast.startMs, forecast.startMs + KEEP_AHEAD_MS);
  const reach = forecast.startMs + Math.min(KEEP_AHEAD_MS, forecast.mean.length * step);
  // Nothing kept, or a kept window that ends before this forecast starts (forecasts stopped for hours): earlier
  // issues, which may hold the step filling up now, are unknown here, so the window starts at this forecast.
  if (!previous || previous.toMs < forecast.startMs) return { fromMs: forecast.startMs, toMs: reach, issuedAt: forecast.issuedAt, stepMs: step, points: fresh };
  const issuedAt = Math.max(previous.issuedAt, forecast.issuedAt);
  // From the step before the newest issue's step: the oldest a tick's window reaches back (plan job: now - one step).
  const fromMs = Math.max(previous.fromMs, Math.floor(issuedAt / step) * step - step);
  const toMs = Math.max(previous.toMs, reach);
  const byTime = new Map<number, ForecastPoint>();
  for (const point of previous.points) if (point.time >= fromMs) byTime.set(point.time, point);
  for (const point of fresh) {
    const kept = byTime.get(point.time);
    if (point.time >= fromMs && (!kept || point.issuedAt >= kept.issuedAt)) byTime.set(point.time, point);
  }
  return { fromMs, toMs, issuedAt, stepMs: step, points: [...byTime.values()].sort((a, b) => a.time - b.time) };
}

/**
 * Where a target's first window starts and what it needs from the metrics store to start there: the step before
 * the forecast's issue step up to the forecast's start (the step filling up comes from earlier issues).
 */
export function seedRange(forecast: StoredForecast): { from: number; to: number } {
  return { from: Math.floor(forecast.issuedAt / forecast.stepMs) * forecast.stepMs - forecast.stepMs, to: forecast.startMs };
}

/** A window made of what the metrics store answered for seedRange (readForecast: the latest issue per timestamp). */
export function seedWindow(points: ForecastPoint[], range: { from: number; to: number }, stepMs: number): PlanForecastWindow {
  const inRange = points.filter((p) => p.time >= range.from && p.time < range.to).sort((a, b) => a.time - b.time);
  return { fromMs: range.from, toMs: range.to, issuedAt: inRange.reduce((a, p) => Math.max(a, p.issuedAt), 0), stepMs, points: inRange };
}

/** The window's points in [from, to), or null when the window does not answer for all of it. */
export function planForecastBetween(window: PlanForecastWindow | null, from: number, to: number): ForecastPoint[] | null {
  // Points lie on the grid: what matters is the first grid time in the range (the plan job asks from now - one step).
  if (!window || Math.ceil(from / window.stepMs) * window.stepMs < window.fromMs || to > window.toMs) return null;
  return window.points.filter((p) => p.time >= from && p.time < to);
}
