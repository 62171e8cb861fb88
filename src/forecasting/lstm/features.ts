import type { CalendarFeature } from '../forecaster.js';

/**
 * Turns a scaled series into the three inputs of the network for one forecast origin `o` (the index of the
 * first predicted point; only values before `o` are read):
 * - history [blocks, HISTORY_FEATURES]: the lookback window cut into blocks, per block the mean value, the mean
 *   change against one season earlier, and time-of-day / day-of-week encodings of the block's end;
 * - recent [2 * recent + 4]: the last `recent` values as they are and their change against one season earlier,
 *   plus the origin's time encodings;
 * - horizon [horizon, stepFeatureCount]: per predicted step, seasonal templates built from the past (the same
 *   time one day and one week earlier, the mean over up to a week of days), the step's time encodings, its
 *   position in the horizon, the current offset from the daily template (last step and last hour) fading with
 *   the step (exponential decays of one and six hours: what exponential smoothing does with its level), and
 *   the calendar flags at that time.
 * Pure and synchronous; everything is written into caller-owned Float32Arrays.
 */

export const DAY_MS = 86_400_000;
export const HISTORY_FEATURES = 6;
/** Positions of the per-step features (calendar flags follow them). */
export const STEP = {
  dayTemplate: 0,
  weekTemplate: 1,
  hasWeek: 2,
  meanDaysTemplate: 3,
  time: 4, // 4 values
  position: 8,
  fastFade: 9,
  slowFade: 10,
  lastOffsetFast: 11,
  lastOffsetSlow: 12,
  hourOffsetFast: 13,
  hourOffsetSlow: 14,
  hourOffset: 15,
} as const;
const STEP_BASE_FEATURES = 16;
const DAYS_IN_MEAN_TEMPLATE = 7;

export interface FeatureLayout {
  /** Steps per season (one day at the series' step). */
  season: number;
  /** Steps predicted at once by the network (the direct multi-step head). */
  horizon: number;
  /** Encoder blocks and the steps in each: the lookback window is blocks * blockSize steps. */
  blocks: number;
  blockSize: number;
  /** Raw recent values given as they are. */
  recent: number;
  /** Half width (steps) of the moving average that smooths the seasonal templates. */
  smoothHalfWidth: number;
  /** Names of the calendar flags, in input order. */
  calendar: string[];
}

export function lookbackSteps(layout: FeatureLayout): number {
  return layout.blocks * layout.blockSize;
}

/** The first origin that has a full lookback window (and one full season for the templates). */
export function firstOrigin(layout: FeatureLayout): number {
  return Math.max(lookbackSteps(layout), layout.recent, layout.season);
}

export function recentFeatureCount(layout: FeatureLayout): number {
  return 2 * layout.recent + 4;
}

export function stepFeatureCount(layout: FeatureLayout): number {
  return STEP_BASE_FEATURES + layout.calendar.length;
}

/** A scaled series with its time axis; `prefix[i]` is the sum of values[0 .. i-1]. */
export interface SeriesView {
  values: ArrayLike<number>;
  prefix: Float64Array;
  /** Epoch ms of values[0]. */
  startMs: number;
  stepMs: number;
  calendar: readonly CalendarFeature[];
}

export function seriesView(
  values: ArrayLike<number>,
  startMs: number,
  stepMs: number,
  calendar: readonly CalendarFeature[] = [],
): SeriesView {
  const prefix = new Float64Array(values.length + 1);
  for (let i = 0; i < values.length; i++) prefix[i + 1] = prefix[i]! + values[i]!;
  return { values, prefix, startMs, stepMs, calendar };
}

/** sin/cos of the time of day and of the day of week (1970-01-01 was a Thursday). */
export function timeEncoding(t: number, out: Float32Array, offset: number): void {
  const dayFraction = (((t % DAY_MS) + DAY_MS) % DAY_MS) / DAY_MS;
  const dayIndex = Math.floor(t / DAY_MS);
  const weekFraction = ((((dayIndex + 3) % 7) + 7) % 7 + dayFraction) / 7;
  out[offset] = Math.sin(2 * Math.PI * dayFraction);
  out[offset + 1] = Math.cos(2 * Math.PI * dayFraction);
  out[offset + 2] = Math.sin(2 * Math.PI * weekFraction);
  out[offset + 3] = Math.cos(2 * Math.PI * weekFraction);
}

function windowMean(view: SeriesView, from: number, to: number): number {
  const a = Math.max(0, from);
  const b = to;
  if (b < a) return Number.NaN;
  return (view.prefix[b + 1]! - view.prefix[a]!) / (b - a + 1);
}

/** Change of values[t] against one season earlier; 0 when there is no earlier season. */
function seasonalChange(view: SeriesView, t: number, season: number): number {
  return t - season >= 0 ? view.values[t]! - view.values[t - season]! : 0;
}

export interface SampleBuffers {
  history: Float32Array;
  recent: Float32Array;
  horizon: Float32Array;
}

/** Allocates buffers for `count` samples. */
export function allocateSamples(layout: FeatureLayout, count: number): SampleBuffers {
  return {
    history: new Float32Array(count * layout.blocks * HISTORY_FEATURES),
    recent: new Float32Array(count * recentFeatureCount(layout)),
    horizon: new Float32Array(count * layout.horizon * stepFeatureCount(layout)),
  };
}

/**
 * Writes the inputs for origin `o` into sample slot `slot` of `buffers`. Requires firstOrigin(layout) <= o
 * <= view.values.length; reads only values[0 .. o-1].
 */
export function writeSample(
  view: SeriesView,
  layout: FeatureLayout,
  o: number,
  buffers: SampleBuffers,
  slot: number,
): void {
  const { season, blocks, blockSize, recent, horizon, smoothHalfWidth: w } = layout;
  const { values, startMs, stepMs } = view;
  const timeAt = (i: number) => startMs + i * stepMs;

  // History blocks, oldest first.
  let h = slot * blocks * HISTORY_FEATURES;
  const start = o - blocks * blockSize;
  for (let b = 0; b < blocks; b++) {
    const from = start + b * blockSize;
    const to = from + blockSize - 1;
    let change = 0;
    for (let t = from; t <= to; t++) change += seasonalChange(view, t, season);
    buffers.history[h] = windowMean(view, from, to);
    buffers.history[h + 1] = change / blockSize;
    timeEncoding(timeAt(to), buffers.history, h + 2);
    h += HISTORY_FEATURES;
  }

  // Recent raw values and their seasonal change, then the origin's time.
  let r = slot * recentFeatureCount(layout);
  for (let i = o - recent; i < o; i++) {
    buffers.recent[r] = values[i]!;
    buffers.recent[r + recent] = seasonalChange(view, i, season);
    r++;
  }
  timeEncoding(timeAt(o), buffers.recent, slot * recentFeatureCount(layout) + 2 * recent);

  // Per-step features of the horizon.
  const stepFeatures = stepFeatureCount(layout);
  let s = slot * horizon * stepFeatures;
  const last = o - 1;
  // How far the latest observations sit from the same time one season earlier (smoothed).
  const offsetAt = (t: number) =>
    t - season - w >= 0 ? values[t]! - windowMean(view, t - season - w, Math.min(t - season + w, last)) : 0;
  const hourSteps = Math.max(1, Math.round(3_600_000 / stepMs));
  const lastSteps = Math.max(1, Math.round(hourSteps / 4));
  let offsetLast = 0;
  for (let t = o - lastSteps; t < o; t++) offsetLast += offsetAt(t) / lastSteps;
  let offsetHour = 0;
  for (let t = o - hourSteps; t < o; t++) offsetHour += offsetAt(t) / hourSteps;
  for (let j = 0; j < horizon; j++) {
    const target = o + j;
    // The same time one season earlier (j < season, so it is always in the past when horizon <= season).
    const dayCentre = Math.min(target - season, last);
    const dayTemplate = windowMean(view, dayCentre - w, Math.min(dayCentre + w, last));
    const weekCentre = target - 7 * season;
    const hasWeek = weekCentre - w >= 0;
    const weekTemplate = hasWeek ? windowMean(view, weekCentre - w, Math.min(weekCentre + w, last)) : dayTemplate;
    let daySum = 0;
    let dayCount = 0;
    for (let d = 1; d <= DAYS_IN_MEAN_TEMPLATE; d++) {
      const centre = Math.min(target - d * season, last);
      if (centre - w < 0 && d > 1) break;
      daySum += windowMean(view, centre - w, Math.min(centre + w, last));
      dayCount++;
    }
    const out = buffers.horizon;
    out[s + STEP.dayTemplate] = dayTemplate;
    out[s + STEP.weekTemplate] = weekTemplate;
    out[s + STEP.hasWeek] = hasWeek ? 1 : 0;
    out[s + STEP.meanDaysTemplate] = daySum / dayCount;
    const t = timeAt(target);
    timeEncoding(t, out, s + STEP.time);
    out[s + STEP.position] = j / horizon;
    const fastFade = Math.exp(-j / hourSteps);
    const slowFade = Math.exp(-j / (6 * hourSteps));
    out[s + STEP.fastFade] = fastFade;
    out[s + STEP.slowFade] = slowFade;
    out[s + STEP.lastOffsetFast] = offsetLast * fastFade;
    out[s + STEP.lastOffsetSlow] = offsetLast * slowFade;
    out[s + STEP.hourOffsetFast] = offsetHour * fastFade;
    out[s + STEP.hourOffsetSlow] = offsetHour * slowFade;
    out[s + STEP.hourOffset] = offsetHour;
    for (let c = 0; c < view.calendar.length; c++) out[s + STEP_BASE_FEATURES + c] = view.calendar[c]!.at(t);
    s += stepFeatures;
  }
}

/** Copies the targets values[o .. o+horizon-1] into slot `slot` of `out`. */
export function writeTarget(view: SeriesView, layout: FeatureLayout, o: number, out: Float32Array, slot: number): void {
  for (let j = 0; j < layout.horizon; j++) out[slot * layout.horizon + j] = view.values[o + j]!;
}
