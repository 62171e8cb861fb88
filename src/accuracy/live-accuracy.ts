/**
 * Live accuracy: how right the forecasts that drove scaling were, over the last 24 hours and 7 days. For each
 * complete grid step T of a window, the forecast scored is the one issued at least one pod lead before T (the
 * one a plan tick acted on when it asked for T's pods), against the actual load of T.
 *
 * - MASE = MAE / scale, with the standard scale (Hyndman & Koehler 2006; shared/data/EVALUATION.md): the
 *   in-sample seasonal naive MAE (season m = one day of steps) of the training history, here the
 *   `historyMs` before the window's start, which is what a model trained at that moment learned from (the
 *   forecasters see it gap-filled, and so does the scale: src/forecasting/accuracy.ts maseScale).
 * - naiveMase: the seasonal naive forecast y[T - m] scored the same way over the same steps, so "MASE below
 *   naiveMase" reads "beat seasonal naive on this window" whatever the scale.
 * - coverage80 / coverage95: share of scored steps whose actual lies inside the forecast's 80% / 95% interval
 *   (bounds included), over the steps whose forecast has that interval.
 *
 * Pure: the accuracy job (jobs/processors/accuracy.ts) reads the store and keeps the result in shared state.
 * Left out: per-horizon accuracy (only the pod-lead horizon drives scaling) and node-pool metrics.
 */
import { maseScale, scoreForecasts, type ScoredPoint } from '../forecasting/accuracy.js';
import type { RegularSeries } from '../forecasting/forecaster.js';
import type { ForecastPoint, GridSeries } from '../metrics/metrics-store.js';

const DAY_MS = 86_400_000;

/** The windows live accuracy is kept for, by name, ms. */
export const LIVE_ACCURACY_WINDOWS = { '24h': DAY_MS, '7d': 7 * DAY_MS } as const;
export type LiveAccuracyWindowName = keyof typeof LIVE_ACCURACY_WINDOWS;

export interface LiveAccuracyWindow {
  /** The window [from, to), epoch ms, on the grid. */
  from: number;
  to: number;
  /** Grid steps in the window, and how many had both an actual and a forecast issued a pod lead earlier. */
  expected: number;
  points: number;
  /** Mean absolute error, load units; null when nothing was scored. */
  mae: number | null;
  mase: number | null;
  naiveMase: number | null;
  /** 0..1; null when no scored forecast had that interval. */
  coverage80: number | null;
  coverage95: number | null;
  /** The MASE denominator (load units) and the history it came from [from, to). */
  scale: number | null;
  scaleFrom: number;
  scaleTo: number;
}

export interface LiveAccuracy {
  target: string;
  /** Logical time of the computation (the job's `at`), epoch ms. */
  computedAt: number;
  /** The pod lead the forecasts were taken at, ms. */
  leadMs: number;
  stepMs: number;
  /** Season of the seasonal naive scale, in steps (one day). */
  seasonSteps: number;
  windows: Record<LiveAccuracyWindowName, LiveAccuracyWindow>;
}

export interface LiveAccuracyInput {
  target: string;
  /** Logical now; windows end at the last complete step before it. */
  at: number;
  stepMs: number;
  leadMs: number;
  /** The training history a scale is taken from, ms before each window's start. */
  historyMs: number;
  /**
   * Actual load on the grid (gap 'null': a missing step is not scored), from at least one season before the
   * longest window to its end.
   */
  actual: GridSeries;
  /** Gap-filled history (jobs/history.ts readHistory) covering [end - 7d - historyMs, end - 24h) where stored. */
  history: RegularSeries | null;
  /** The forecasts as issued a pod lead before each step (MetricsStore.readForecastAsIssued), any order. */
  forecasts: readonly ForecastPoint[];
}

/** Last complete grid step's end at `at`. */
export function accuracyEndMs(at: number, stepMs: number): number {
  return Math.floor(at / stepMs) * stepMs;
}

export function seasonSteps(stepMs: number): number {
  return Math.max(1, Math.round(DAY_MS / stepMs));
}

/** The gap-filled history in [from, to) as plain values (missing ends are simply shorter). */
function historyValues(history: RegularSeries | null, from: number, to: number): number[] {
  if (!history) return [];
  const first = Math.max(0, Math.ceil((from - history.startMs) / history.stepMs));
  const end = Math.min(history.values.length, Math.ceil((to - history.startMs) / history.stepMs));
  return first < end ? history.values.slice(first, end) : [];
}

const orNull = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? null : x);

export function computeLiveAccuracy(input: LiveAccuracyInput): LiveAccuracy {
  const { stepMs, actual } = input;
  const m = seasonSteps(stepMs);
  const end = accuracyEndMs(input.at, stepMs);
  const forecastAt = new Map(input.forecasts.map((p) => [p.time, p]));
  const actualAt = (t: number): number | null => {
    const i = (t - actual.startMs) / actual.stepMs;
    return Number.isInteger(i) && i >= 0 && i < actual.values.length ? actual.values[i]! : null;
  };

  const window = (lengthMs: number): LiveAccuracyWindow => {
    const from = end - lengthMs;
    const scaleFrom = from - input.historyMs;
    const past = historyValues(input.history, scaleFrom, from);
    const rawScale = past.length > m ? maseScale(past, past.length, m) : Number.NaN;
    const scale = Number.isFinite(rawScale) && rawScale > 0 ? rawScale : null;
    const scored: ScoredPoint[] = [];
    const naive: ScoredPoint[] = [];
    for (let t = from; t < end; t += stepMs) {
      const y = actualAt(t);
      const f = forecastAt.get(t);
      if (y === null || !f) continue;
      const point: ScoredPoint = { y, yhat: f.mean };
      if (f.lo80 !== undefined && f.hi80 !== undefined) Object.assign(point, { lo80: f.lo80, hi80: f.hi80 });
      if (f.lo95 !== undefined && f.hi95 !== undefined) Object.assign(point, { lo95: f.lo95, hi95: f.hi95 });
      scored.push(point);
      const seasonAgo = actualAt(t - m * stepMs);
      if (seasonAgo !== null) naive.push({ y, yhat: seasonAgo });
    }
    const scores = scored.length > 0 ? scoreForecasts(scored, scale ?? Number.NaN) : null;
    const naiveScores = naive.length > 0 ? scoreForecasts(naive, scale ?? Number.NaN) : null;
    return {
      from,
      to: end,
      expected: Math.round(lengthMs / stepMs),
      points: scored.length,
      mae: orNull(scores?.mae),
      mase: orNull(scores?.mase),
      naiveMase: orNull(naiveScores?.mase),
      coverage80: orNull(scores?.coverage80),
      coverage95: orNull(scores?.coverage95),
      scale,
      scaleFrom,
      scaleTo: from,
    };
  };

  return {
    target: input.target,
    computedAt: input.at,
    leadMs: input.leadMs,
    stepMs,
    seasonSteps: m,
    windows: { '24h': window(LIVE_ACCURACY_WINDOWS['24h']), '7d': window(LIVE_ACCURACY_WINDOWS['7d']) },
  };
}
