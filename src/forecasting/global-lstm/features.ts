import { ENCODER_BLOCKS, DAY_MS, type GlobalLayout } from './layout.js';

/**
 * The global LSTM's inputs for one forecast origin `o` (index of the first predicted point) of a series whose
 * history is visible from index `s` on (a new target: s = 0 and o small; in training, `s` is moved forward to
 * mimic one). Only values[s .. o-1] are read. Every value is standardised by the sample's own rolling statistics:
 * minus the last hour's mean, divided by the spread (standard deviation) of the last visible day, floored at 2%
 * of the day's mean absolute level. So traces of CPU cores, requests and taxi passengers share one scale, and
 * an error of 1 means one day-spread whatever the trace (a fixed learning rate suits smooth and noisy series
 * alike). What is missing (no day ago yet, no week ago) is flagged, and the templates fall back to the last
 * hour's mean, so a network with its initial weights forecasts "the last hour's mean" for a new target and
 * "yesterday at this time, corrected by today's offset" once a day is seen.
 *
 * - encoder [ENCODER_BLOCKS, ENCODER_FEATURES]: the last 12 hours in half-hour blocks (mean, visible flag, the
 *   same block a day earlier and its flag, time of day);
 * - context [CONTEXT_FEATURES]: per-series summary statistics standing in for a target embedding (they exist
 *   for a target never seen in training): last value, last hour's mean, how much history is visible, the
 *   offset from yesterday, step-to-step noise, spread, day-over-day change, share of zeros, the grid step,
 *   and the origin's time of day and week;
 * - steps [h, STEP_FEATURES]: per predicted step the day-ago, week-ago and mean-of-days templates with their
 *   flags, the step's time encodings and lead, and the current level and offset fading with the lead.
 * Pure and synchronous; writes into caller-owned Float32Arrays.
 */

export const ENCODER_FEATURES = 6;
export const CONTEXT_FEATURES = 14;
export const STEP = {
  dayTemplate: 0,
  hasDay: 1,
  weekTemplate: 2,
  hasWeek: 3,
  meanDaysTemplate: 4,
  time: 5, // 4 values
  lead: 9,
  fastFade: 10,
  slowFade: 11,
  lastFast: 12,
  hourMeanSlow: 13,
  lastOffsetFast: 14,
  hourOffsetSlow: 15,
  hourOffset: 16,
  hourMean: 17,
} as const;
export const STEP_FEATURES = 18;
const DAYS_IN_MEAN_TEMPLATE = 7;

/** A raw series with prefix sums (values and absolute values) for window means in O(1). */
export interface RawView {
  values: ArrayLike<number>;
  prefix: Float64Array;
  prefixAbs: Float64Array;
  startMs: number;
  stepMs: number;
}

export function rawView(values: ArrayLike<number>, startMs: number, stepMs: number): RawView {
  const prefix = new Float64Array(values.length + 1);
  const prefixAbs = new Float64Array(values.length + 1);
  for (let i = 0; i < values.length; i++) {
    prefix[i + 1] = prefix[i]! + values[i]!;
    prefixAbs[i + 1] = prefixAbs[i]! + Math.abs(values[i]!);
  }
  return { values, prefix, prefixAbs, startMs, stepMs };
}

/** Mean of values[from .. to] (inclusive); NaN when empty. */
function windowMean(view: RawView, from: number, to: number): number {
  if (to < from) return Number.NaN;
  return (view.prefix[to + 1]! - view.prefix[from]!) / (to - from + 1);
}

/** sin/cos of the time of day and of the day of week (1970-01-01 was a Thursday). */
export function timeEncoding(t: number, out: Float32Array, offset: number): void {
  const dayFraction = (((t % DAY_MS) + DAY_MS) % DAY_MS) / DAY_MS;
  const dayIndex = Math.floor(t / DAY_MS);
  const weekFraction = (((((dayIndex + 3) % 7) + 7) % 7) + dayFraction) / 7;
  out[offset] = Math.sin(2 * Math.PI * dayFraction);
  out[offset + 1] = Math.cos(2 * Math.PI * dayFraction);
  out[offset + 2] = Math.sin(2 * Math.PI * weekFraction);
  out[offset + 3] = Math.cos(2 * Math.PI * weekFraction);
}

/**
 * Mean |y| over the last visible day before `o` (at least one value). 1 when that is 0 (an idle series), so an
 * all-zero history still gives finite inputs.
 */
export function rollingLevel(view: RawView, layout: GlobalLayout, s: number, o: number): number {
  const from = Math.max(s, o - layout.season);
  const level = (view.prefixAbs[o]! - view.prefixAbs[from]!) / Math.max(1, o - from);
  return level > 0 ? level : 1;
}

/** Smallest spread, as a share of the level: a flat stretch must not blow the standardised values up. */
const MIN_SPREAD = 0.02;

/** How a sample's values were standardised: value = centre + scale * standardised. */
export interface SampleScale {
  centre: number;
  scale: number;
  /** Loss share of the sample: its scale over its day-over-day (or step) change, so training weighs errors as MASE does. */
  weight: number;
}

export interface GlobalSampleBuffers {
  /** Steps predicted per sample (the same for every sample of a buffer). */
  horizon: number;
  encoder: Float32Array;
  context: Float32Array;
  steps: Float32Array;
}

export function allocateGlobalSamples(count: number, horizon: number): GlobalSampleBuffers {
  return {
    horizon,
    encoder: new Float32Array(count * ENCODER_BLOCKS * ENCODER_FEATURES),
    context: new Float32Array(count * CONTEXT_FEATURES),
    steps: new Float32Array(count * horizon * STEP_FEATURES),
  };
}

/**
 * Writes the inputs for origin `o` with history visible from `s` into slot `slot`; returns the sample's level
 * (the network's outputs are in its units). Requires 0 <= s < o <= values.length and buffers.horizon <= season.
 */
export function writeGlobalSample(
  view: RawView,
  layout: GlobalLayout,
  s: number,
  o: number,
  buffers: GlobalSampleBuffers,
  slot: number,
): SampleScale {
  const { season, hourSteps, blockSteps, smoothHalfWidth: w } = layout;
  const { values, startMs, stepMs } = view;
  const horizon = buffers.horizon;
  const timeAt = (i: number) => startMs + i * stepMs;
  const last = o - 1;
  const level = rollingLevel(view, layout, s, o);
  const dayFrom = Math.max(s, o - season);
  const hourFrom = Math.max(s, o - hourSteps);
  const hourMean = windowMean(view, hourFrom, last);
  const dayMean = windowMean(view, dayFrom, last);
  let squares = 0;
  for (let t = dayFrom; t < o; t++) squares += (values[t]! - dayMean) ** 2;
  const dayCount = o - dayFrom;
  const scale = Math.max(Math.sqrt(squares / dayCount), MIN_SPREAD * level);
  const centre = hourMean;
  /** A raw value (or mean of values) in standardised units; differences use `/ scale` only. */
  const z = (v: number) => (v - centre) / scale;

  // Encoder blocks, oldest first.
  let e = slot * ENCODER_BLOCKS * ENCODER_FEATURES;
  for (let b = 0; b < ENCODER_BLOCKS; b++) {
    const to = o - (ENCODER_BLOCKS - 1 - b) * blockSteps - 1;
    const from = Math.max(s, to - blockSteps + 1);
    const visible = to >= s;
    const dayTo = to - season;
    const dayVisible = dayTo >= s;
    const out = buffers.encoder;
    out[e] = visible ? z(windowMean(view, from, to)) : 0;
    out[e + 1] = visible ? 1 : 0;
    out[e + 2] = dayVisible ? z(windowMean(view, Math.max(s, from - season), dayTo)) : 0;
    out[e + 3] = dayVisible ? 1 : 0;
    const dayFraction = ((((timeAt(to) % DAY_MS) + DAY_MS) % DAY_MS) / DAY_MS) * 2 * Math.PI;
    out[e + 4] = Math.sin(dayFraction);
    out[e + 5] = Math.cos(dayFraction);
    e += ENCODER_FEATURES;
  }

  // Summary statistics of what is visible (ratios to the level: scale-free, they describe the series).
  const hasDay = o - s >= season;
  /** Smoothed value around index c (a day or a week before some step), never past the origin. */
  const templateAt = (c: number) => windowMean(view, Math.max(s, c - w), Math.min(c + w, last));
  const offsetAt = (t: number) => (t - season >= s ? values[t]! - templateAt(t - season) : 0);
  const lastSteps = Math.max(1, Math.round(hourSteps / 4));
  let offsetLast = 0;
  for (let t = Math.max(s, o - lastSteps); t < o; t++) offsetLast += offsetAt(t) / lastSteps;
  let offsetHour = 0;
  for (let t = hourFrom; t < o; t++) offsetHour += offsetAt(t) / (o - hourFrom);
  let noise = 0;
  let noiseCount = 0;
  let seasonalDiff = 0;
  let seasonalCount = 0;
  let zeros = 0;
  for (let t = dayFrom; t < o; t++) {
    const v = values[t]!;
    if (t - 1 >= s) {
      noise += Math.abs(v - values[t - 1]!);
      noiseCount++;
    }
    if (t - season >= s) {
      seasonalDiff += Math.abs(v - values[t - season]!);
      seasonalCount++;
    }
    if (v === 0) zeros++;
  }
  const c = slot * CONTEXT_FEATURES;
  const ctx = buffers.context;
  ctx[c] = z(values[last]!);
  ctx[c + 1] = scale / level;
  ctx[c + 2] = Math.min((o - s) / season, 7) / 7;
  ctx[c + 3] = hasDay ? 1 : 0;
  ctx[c + 4] = offsetHour / scale;
  ctx[c + 5] = noiseCount > 0 ? noise / noiseCount / level : 0;
  ctx[c + 6] = Math.sqrt(squares / dayCount) / level;
  const noiseShare = ctx[c + 5]!;
  ctx[c + 7] = seasonalCount > 0 ? seasonalDiff / seasonalCount / level : 0;
  ctx[c + 8] = Math.log2(stepMs / 300_000) / 3;
  timeEncoding(timeAt(o), ctx, c + 9);
  ctx[c + 13] = zeros / dayCount;

  // Per-step features.
  let p = slot * horizon * STEP_FEATURES;
  const out = buffers.steps;
  const lastValue = z(values[last]!);
  const hourMeanScaled = z(hourMean);
  for (let j = 0; j < horizon; j++) {
    const t = o + j;
    const dayCentre = t - season;
    const dayVisible = dayCentre >= s;
    const day = dayVisible ? z(templateAt(Math.min(dayCentre, last))) : hourMeanScaled;
    const weekCentre = t - 7 * season;
    const weekVisible = weekCentre >= s;
    const week = weekVisible ? z(templateAt(weekCentre)) : day;
    let daySum = 0;
    let dayTemplates = 0;
    for (let d = 1; d <= DAYS_IN_MEAN_TEMPLATE; d++) {
      const centre = t - d * season;
      if (centre < s) break;
      daySum += templateAt(Math.min(centre, last));
      dayTemplates++;
    }
    out[p + STEP.dayTemplate] = day;
    out[p + STEP.hasDay] = dayVisible ? 1 : 0;
    out[p + STEP.weekTemplate] = week;
    out[p + STEP.hasWeek] = weekVisible ? 1 : 0;
    out[p + STEP.meanDaysTemplate] = dayTemplates > 0 ? z(daySum / dayTemplates) : day;
    timeEncoding(timeAt(t), out, p + STEP.time);
    out[p + STEP.lead] = ((j + 1) * stepMs) / DAY_MS;
    const fastFade = Math.exp(-j / hourSteps);
    const slowFade = Math.exp(-j / (6 * hourSteps));
    out[p + STEP.fastFade] = fastFade;
    out[p + STEP.slowFade] = slowFade;
    out[p + STEP.lastFast] = lastValue * fastFade;
    out[p + STEP.hourMeanSlow] = hourMeanScaled * slowFade;
    out[p + STEP.lastOffsetFast] = (offsetLast / scale) * fastFade;
    out[p + STEP.hourOffsetSlow] = (offsetHour / scale) * slowFade;
    out[p + STEP.hourOffset] = offsetHour / scale;
    out[p + STEP.hourMean] = hourMeanScaled;
    p += STEP_FEATURES;
  }
  // MASE divides by the day-over-day change; before a day is seen, twice the step-to-step change stands in.
  const change = (hasDay ? ctx[c + 7]! : 2 * noiseShare) * level;
  const weight = change > 0 ? Math.min(5, Math.max(0.2, scale / change)) : 1;
  return { centre, scale, weight };
}
