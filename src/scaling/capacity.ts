/**
 * Capacity planning: how many replicas a forecast needs. Pure functions.
 *
 * The planner sizes for the chosen quantile of forecast load over the window new pods need to become
 * Ready (now .. now + pod lead time + one planning interval), divided by the load one replica serves.
 * Headroom is not a fixed target utilisation: it comes from how well the forecast's quantile has held
 * lately (an online calibration over recent ticks), or, before enough ticks, from the interval width.
 */
import { probit } from 'simple-statistics';
import type { Forecast } from '../forecasting/forecaster.js';

/** Replica counts are compared after removing float noise: 4.0000000001 replicas is 4, not 5. */
const EPSILON = 1e-9;

/** ceil() that ignores float noise below 1e-9 replicas. */
export function ceilReplicas(x: number): number {
  return Math.max(0, Math.ceil(x - EPSILON));
}

/** The forecast's view of one grid point: mean and the chosen quantile, in load units. */
export interface ForecastPointQuantile {
  /** Epoch ms the point starts at (it covers [time, time + stepMs)). */
  time: number;
  mean: number;
  /** The requested quantile, from the nearest interval under a normal approximation. */
  quantile: number;
  /** Upper bound of the 95% interval (or the widest one given); NaN when the forecast has none. */
  upper95: number;
  /** Half-width of the 80% interval relative to the mean (0 when unknown or mean is 0). */
  relativeHalfWidth: number;
}

/**
 * The value of quantile `q` (percent, 50..99.9) of forecast point `i`. Uses the interval whose one-sided
 * level is nearest to `q` (the upper bound of an 80% interval is P90 exactly, of a 95% interval P97.5)
 * and a normal approximation in between; the upper side only, because the planner fears under-provisioning.
 */
export function forecastQuantileAt(forecast: Forecast, i: number, q: number): ForecastPointQuantile {
  const mean = forecast.mean[i] ?? NaN;
  const time = forecast.startMs + i * forecast.stepMs;
  const zq = q === 50 ? 0 : probit(q / 100);
  let best: { dist: number; sigma: number } | null = null;
  let upper95: number | undefined;
  let widest = { level: -Infinity, upper: NaN };
  let relativeHalfWidth = 0;
  for (const interval of forecast.intervals) {
    const upper = interval.upper[i];
    if (upper === undefined || !Number.isFinite(upper)) continue;
    const zl = probit((1 + interval.level / 100) / 2);
    const sigma = Math.max(0, upper - mean) / zl;
    const dist = Math.abs(zl - zq);
    if (!best || dist < best.dist) best = { dist, sigma };
    if (interval.level === 95) upper95 = upper;
    if (interval.level > widest.level) widest = { level: interval.level, upper };
    if (interval.level === 80 && mean > 0) relativeHalfWidth = Math.max(0, upper - mean) / mean;
  }
  upper95 ??= widest.upper;
  if (relativeHalfWidth === 0 && best && mean > 0) relativeHalfWidth = (best.sigma * probit(0.9)) / mean;
  const quantile = best ? mean + zq * best.sigma : mean;
  return { time, mean, quantile: Math.max(0, quantile), upper95, relativeHalfWidth };
}

/** The forecast over a time window, summarised for sizing. */
export interface WindowForecast {
  /** Largest quantile value among the points that overlap the window, load units. */
  peakQuantile: number;
  /** Largest mean among those points, load units. */
  peakMean: number;
  /** 95% upper bound at the point that holds `peakQuantile`; NaN when the forecast has no interval. */
  upper95AtPeak: number;
  /** 80% half-width relative to the mean at that point. */
  relativeHalfWidth: number;
  /** Epoch ms of the point that holds the peak. */
  peakTime: number;
  /** How many forecast points overlap the window. */
  points: number;
  /** Whether the forecast has points in the window and reaches its end (its last point ends at or after `toMs`). */
  covers: boolean;
  /** Whether a non-finite value was met (the forecast is then not usable). */
  invalid: boolean;
}

/**
 * Summarises forecast points overlapping [fromMs, toMs): each point covers [t, t + step). A window that
 * starts before the forecast (the current, not yet observed step) simply overlaps fewer points; the
 * planner covers "now" with live load.
 */
export function forecastOverWindow(forecast: Forecast, fromMs: number, toMs: number, q: number): WindowForecast {
  const result: WindowForecast = {
    peakQuantile: 0,
    peakMean: 0,
    upper95AtPeak: NaN,
    relativeHalfWidth: 0,
    peakTime: NaN,
    points: 0,
    covers: false,
    invalid: false,
  };
  if (fromMs >= toMs) {
    // An empty window (all of it already shown by live metrics): covered if the forecast reaches its end.
    result.covers = forecast.mean.length > 0 && forecast.startMs + forecast.mean.length * forecast.stepMs >= toMs;
    return result;
  }
  const first = Math.max(0, Math.floor((fromMs - forecast.startMs) / forecast.stepMs));
  for (let i = first; i < forecast.mean.length; i++) {
    const t = forecast.startMs + i * forecast.stepMs;
    if (t >= toMs) break;
    if (t + forecast.stepMs <= fromMs) continue;
    const point = forecastQuantileAt(forecast, i, q);
    if (!Number.isFinite(point.mean) || !Number.isFinite(point.quantile)) {
      result.invalid = true;
      continue;
    }
    result.points++;
    result.peakMean = Math.max(result.peakMean, point.mean);
    if (result.points === 1 || point.quantile > result.peakQuantile) {
      result.peakQuantile = point.quantile;
      result.upper95AtPeak = point.upper95;
      result.relativeHalfWidth = point.relativeHalfWidth;
      result.peakTime = point.time;
    }
  }
  // Covered: the forecast reaches the window's end and has points in it, or the whole window lies in the
  // step just before the forecast's first point (the step live metrics already show: live load sizes it).
  const end = forecast.startMs + forecast.mean.length * forecast.stepMs;
  const withinObservedStep = forecast.startMs >= toMs && forecast.startMs - fromMs <= forecast.stepMs;
  result.covers = forecast.mean.length > 0 && end >= toMs && (result.points > 0 || withinObservedStep);
  return result;
}

export interface HeadroomOptions {
  /** Smallest headroom as a fraction of the sized load (0.02 = 2%) before calibration has enough samples. */
  minHeadroom: number;
  /** Largest headroom as a fraction of the sized load. */
  maxHeadroom: number;
  /** Before calibration: headroom = this x the 80% half-width relative to the mean. */
  widthFactor: number;
  /** Calibration ratios (live / forecast quantile) needed before they decide the headroom. */
  minCalibrationSamples: number;
  /**
   * With calibration, the sized quantile may shrink down to this fraction of itself when load kept well
   * below it (intervals wider than the forecast's real error, as a young model's are): 0.6 = at most 40%
   * less. It shrinks only as far as the highest ratio seen: shrinking to the coverage percentile of the
   * ratios instead cost a third more under-provisioned minutes on the replays (bench:scaling: NASA 0.12x
   * -> 0.19x the HPA's, taxi 0.04x -> 0.15x) for 1-2% of replica-hours.
   */
  minMultiplier: number;
  /**
   * Coverage the calibration aims for, percent: the share of ticks whose load the sized capacity should
   * have held. Undefined: the target's quantile.
   */
  coverage?: number;
}

export const DEFAULT_HEADROOM: HeadroomOptions = { minHeadroom: 0.02, maxHeadroom: 0.3, widthFactor: 0.1, minCalibrationSamples: 30, minMultiplier: 0.6 };

/**
 * Headroom over the forecast quantile, as a fraction (negative: the quantile is shrunk). With enough
 * calibration samples (ratios of observed load to the quantile the forecast gave for that moment) it is
 * the coverage-th percentile of those ratios minus one when that is positive (if load ran 12% over the
 * P90 one time in ten, +12%), and the highest ratio minus one when even that is below 1 (if load never
 * came within 30% of the quantile, -30%). Without samples it grows with the interval width from
 * `minHeadroom`.
 */
export function chooseHeadroom(
  q: number,
  relativeHalfWidth: number,
  calibration: readonly number[],
  options: HeadroomOptions = DEFAULT_HEADROOM,
): { headroom: number; source: 'calibration' | 'interval width' } {
  const ratios = new Float64Array(calibration.length);
  let count = 0;
  let highest = 0;
  for (const r of calibration) {
    if (!(Number.isFinite(r) && r >= 0)) continue;
    ratios[count++] = r;
    if (r > highest) highest = r;
  }
  if (count >= options.minCalibrationSamples) {
    // Runs on every 15 s tick over up to 960 ratios: selection, not a sort.
    const h = highest < 1 ? highest - 1 : Math.max(0, selectPercentile(ratios.subarray(0, count), options.coverage ?? q) - 1);
    return { headroom: Math.min(options.maxHeadroom, Math.max(options.minMultiplier - 1, h)), source: 'calibration' };
  }
  return { headroom: Math.min(options.maxHeadroom, Math.max(options.minHeadroom, options.widthFactor * relativeHalfWidth)), source: 'interval width' };
}

/** Percentile `p` (0..100) of an ascending array by linear interpolation; NaN for an empty array. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/**
 * Percentile `p` (0..100) of unsorted values by linear interpolation, the same number `percentile` gives on
 * them sorted; O(n) by quickselect. Reorders `values` in place.
 */
export function selectPercentile(values: Float64Array, p: number): number {
  const n = values.length;
  if (n === 0) return NaN;
  const pos = (p / 100) * (n - 1);
  const lo = Math.floor(pos);
  const low = select(values, lo);
  if (lo + 1 >= n || pos === lo) return low;
  // After selecting lo, everything right of it is >= it: the next order statistic is their minimum.
  let next = Infinity;
  for (let i = lo + 1; i < n; i++) if (values[i]! < next) next = values[i]!;
  return low + (next - low) * (pos - lo);
}

/** The k-th smallest (0-based) of `a`, moving it to index k with smaller values left of it (Hoare quickselect). */
function select(a: Float64Array, k: number): number {
  let left = 0;
  let right = a.length - 1;
  while (right > left) {
    const pivot = a[(left + right) >> 1]!;
    let i = left;
    let j = right;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        const t = a[i]!;
        a[i] = a[j]!;
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) right = j;
    else if (k >= i) left = i;
    else return a[k]!;
  }
  return a[k]!;
}

/** Replicas needed to serve `load` when one replica serves `capacityPerReplica`, with `headroom` on top. */
export function replicasForLoad(load: number, capacityPerReplica: number, headroom = 0): number {
  if (!(load > 0)) return 0;
  return ceilReplicas((load * (1 + headroom)) / capacityPerReplica);
}

/** One resource's need, in replicas, with the words that explain it. */
export interface ResourceNeed {
  resource: 'load' | 'cpu' | 'memory';
  replicas: number;
  rule: string;
}

/**
 * Replicas a resource utilisation needs, by the HPA formula ceil(current x utilisation / target).
 * `utilization` and `target` are fractions of the pods' requests (0.93 = 93%).
 */
export function replicasForUtilization(currentReplicas: number, utilization: number, target: number): number {
  if (!(currentReplicas > 0) || !(utilization >= 0) || !(target > 0)) return currentReplicas;
  return ceilReplicas((currentReplicas * utilization) / target);
}

/** The binding resource: the one needing the most replicas (load first on ties, then CPU, memory). */
export function bindingResource(needs: readonly ResourceNeed[]): ResourceNeed | null {
  let best: ResourceNeed | null = null;
  for (const need of needs) if (!best || need.replicas > best.replicas) best = need;
  return best;
}
