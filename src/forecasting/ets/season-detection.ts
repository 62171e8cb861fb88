/**
 * Which seasonal periods a series shows, among one hour, one day and one week at its step.
 *
 * Test: the share of variance that a per-slot profile explains, after removing a centred moving average one
 * period wide (the trend), as an adjusted R^2 (so a weekly profile's 7x more slots do not win by chance).
 * The autocorrelation at the lag would serve too, but a few spikes (an ELB trace) drown it; per-slot means
 * are what an ETS season estimates anyway. Values are winsorised at the 1st/99th percentiles first.
 *   - day: needs two whole days and adjusted R^2 >= DAY_MIN_R2 (0.05: with a few thousand points and 288
 *     slots that is already significant far below 0.1%, yet low enough for spiky request counts);
 *   - week (as a second period beside the day): needs two whole weeks, a daily season, and the weekly
 *     profile's adjusted R^2 above the daily one's by WEEK_MIN_GAIN on the same detrended series.
 *   - hour (instead of the day): when an hourly profile (at least HOUR_MIN_STEPS steps) explains as much of
 *     the day-detrended series as the daily one does, within WEEK_MIN_GAIN, and at least HOUR_MIN_R2. A
 *     job that runs every hour (the ASG CPU trace) then gets a 12-slot season fitted on every hour instead
 *     of a 288-slot one that learns each slot from one point a day.
 */

export const DAY_MIN_R2 = 0.05;
export const WEEK_MIN_GAIN = 0.03;
export const HOUR_MIN_R2 = 0.2;
export const HOUR_MIN_STEPS = 4;

export interface SeasonDetection {
  /** Chosen periods in steps, shortest first (empty, [hour], [day] or [day, week]). */
  periods: number[];
  hour: number;
  day: number;
  week: number;
  /** Adjusted R^2 of the hourly, daily and weekly profiles (NaN when not tried or not enough history). */
  hourR2: number;
  dayR2: number;
  weekR2: number;
  dayR2OnWeekly: number;
  notes: string[];
}

export function stepsPerDay(stepMs: number): number {
  return Math.max(1, Math.round(86_400_000 / stepMs));
}

export function detectSeasons(y: ArrayLike<number>, stepMs: number): SeasonDetection {
  const n = y.length;
  const day = stepsPerDay(stepMs);
  const week = 7 * day;
  const hour = Math.round(3_600_000 / stepMs);
  const notes: string[] = [];
  const result: SeasonDetection = { periods: [], hour, day, week, hourR2: NaN, dayR2: NaN, weekR2: NaN, dayR2OnWeekly: NaN, notes };
  if (day < 2) {
    notes.push(`step of ${stepMs} ms is a day or longer: no daily season`);
    return result;
  }
  if (n < 2 * day) {
    notes.push(`under two days of history (${n} points, a day is ${day}): non-seasonal`);
    return result;
  }
  const x = winsorise(y);
  result.dayR2 = profileR2(x, day, day);
  if (!(result.dayR2 >= DAY_MIN_R2)) {
    notes.push(`no daily pattern found (adjusted R^2 ${result.dayR2.toFixed(2)} < ${DAY_MIN_R2})`);
    return result;
  }
  if (hour >= HOUR_MIN_STEPS && day % hour === 0) {
    result.hourR2 = profileR2(x, day, hour);
    if (result.hourR2 >= HOUR_MIN_R2 && result.dayR2 - result.hourR2 < WEEK_MIN_GAIN) {
      result.periods.push(hour);
      notes.push(
        `hourly pattern (adjusted R^2 ${result.hourR2.toFixed(2)}) explains the daily one (${result.dayR2.toFixed(2)}): season of one hour`,
      );
      return result;
    }
  }
  result.periods.push(day);
  if (n < 2 * week) {
    notes.push(`under two weeks of history: daily season only`);
    return result;
  }
  // A week-wide moving average needs three weeks to leave two for the profile; with less, the series is
  // only centred (a trend then counts against the weekly profile, which errs on the side of no week).
  const trendWidth = n >= 3 * week ? week : 0;
  result.weekR2 = profileR2(x, trendWidth, week);
  result.dayR2OnWeekly = profileR2(x, trendWidth, day);
  if (result.weekR2 - result.dayR2OnWeekly >= WEEK_MIN_GAIN) result.periods.push(week);
  else notes.push(`weekly pattern too weak (adjusted R^2 ${result.weekR2.toFixed(2)} vs ${result.dayR2OnWeekly.toFixed(2)} daily)`);
  return result;
}

/**
 * Adjusted R^2 of a per-slot profile with `period` slots on the series minus its centred moving average of
 * width `trendWidth` (only points where the full window fits are used; width 0: minus its mean).
 */
export function profileR2(x: Float64Array, trendWidth: number, period: number): number {
  const n = x.length;
  const centredOnly = trendWidth <= 1;
  const half = centredOnly ? 0 : Math.floor(trendWidth / 2);
  const from = half;
  const to = centredOnly ? n : n - trendWidth + half; // exclusive: window [t - half, t - half + trendWidth)
  if (to - from < 2 * period) return NaN;
  const detrended = new Float64Array(to - from);
  if (centredOnly) {
    const mu = x.reduce((a, b) => a + b, 0) / n;
    for (let t = 0; t < n; t++) detrended[t] = x[t]! - mu;
  } else {
    let windowSum = 0;
    for (let i = 0; i < trendWidth; i++) windowSum += x[i]!;
    for (let t = from; t < to; t++) {
      detrended[t - from] = x[t]! - windowSum / trendWidth;
      windowSum += x[t - half + trendWidth]! - x[t - half]!;
    }
  }
  const sums = new Float64Array(period);
  const counts = new Float64Array(period);
  let total = 0;
  for (let i = 0; i < detrended.length; i++) {
    const slot = (from + i) % period;
    sums[slot]! += detrended[i]!;
    counts[slot]! += 1;
    total += detrended[i]!;
  }
  const mean = total / detrended.length;
  let tss = 0;
  let rss = 0;
  for (let i = 0; i < detrended.length; i++) {
    const slot = (from + i) % period;
    const d = detrended[i]!;
    tss += (d - mean) * (d - mean);
    const r = d - sums[slot]! / counts[slot]!;
    rss += r * r;
  }
  const m = detrended.length;
  if (tss <= 0) return 0;
  return 1 - rss / (m - period) / (tss / (m - 1));
}

function winsorise(y: ArrayLike<number>): Float64Array {
  const sorted = Float64Array.from(y).sort();
  const lo = sorted[Math.floor(0.01 * (sorted.length - 1))]!;
  const hi = sorted[Math.ceil(0.99 * (sorted.length - 1))]!;
  const x = new Float64Array(y.length);
  for (let i = 0; i < y.length; i++) x[i] = Math.min(hi, Math.max(lo, y[i]!));
  return x;
}
