/**
 * The global network's self-check on its target: before forecasting from origin `o`, the network's own
 * one-hour forecasts from the last few hours of the target's visible history are compared with two rules that
 * read the target directly, and the forecast is the convex blend of the three that did best there:
 *
 * - network: the global LSTM (trained on other series);
 * - day: the same time a day earlier (seasonal naive; needs a day of history);
 * - hour: the same minute of the last hour (repeats the last hour; an hourly cron spike that no training
 *   series has, as on the ASG trace).
 *
 * A pattern the network never saw in training (hourly spikes, a day that repeats the day before closely) is
 * thus still used as soon as the target itself shows it. Blend weights are refitted at every forecast from
 * the visible history only (EVALUATION.md allows refitting up to the origin, never looking ahead), on a grid of
 * tenths; ties and thin evidence keep the network (a rule needs a full hour of backtest points to be weighed
 * at all, and must beat the network's error by a margin). The backtest is one hour ahead, so the blend holds
 * for the first hour and fades out over the second (ruleShareAt). Pure and synchronous: the caller runs the
 * network.
 */

export const SELF_CHECK_EXPERTS = ['network', 'day', 'hour'] as const;
export type SelfCheckExpert = (typeof SELF_CHECK_EXPERTS)[number];

/** Hours of backtest origins before the forecast origin (one-hour forecasts from each). */
export const SELF_CHECK_HOURS = 12;
/** A rule's blend must beat the network alone by this share of its backtest error to be used. */
const MARGIN = 0.03;
const GRID = 10;

export interface SelfCheckLayout {
  /** Steps per day. */
  season: number;
  /** Steps per hour. */
  hourSteps: number;
}

/** Backtest origins for a forecast from `origin` (oldest first): every hour back, each with an hour of history before it. */
export function selfCheckOrigins(origin: number, layout: SelfCheckLayout, hours = SELF_CHECK_HOURS): number[] {
  const out: number[] = [];
  for (let i = hours; i >= 1; i--) {
    const b = origin - i * layout.hourSteps;
    if (b >= layout.hourSteps) out.push(b);
  }
  return out;
}

/** The rules' forecast of step origin + j from values[0 .. origin-1]; NaN when the rule has no value there. */
export function ruleForecast(values: ArrayLike<number>, layout: SelfCheckLayout, expert: 'day' | 'hour', origin: number, j: number): number {
  const period = expert === 'day' ? layout.season : layout.hourSteps;
  // Repeat the last visible period: lead j maps to the latest visible index with the same phase.
  const back = period * Math.ceil((j + 1) / period);
  const t = origin + j - back;
  return t >= 0 ? values[t]! : Number.NaN;
}

export interface SelfCheckResult {
  /** Weight of each expert (sums to 1). */
  weights: Record<SelfCheckExpert, number>;
  /** Backtest points the weights were fitted on. */
  points: number;
}

const NETWORK_ONLY: SelfCheckResult = { weights: { network: 1, day: 0, hour: 0 }, points: 0 };

/**
 * Blend weights from backtests: `networkForecasts[i]` holds the network's forecast of the `hourSteps` steps
 * from `origins[i]`, all inside the visible `values`. Rules with less than an hour of backtest points are left out.
 */
export function fitSelfCheck(values: ArrayLike<number>, layout: SelfCheckLayout, origins: readonly number[], networkForecasts: readonly ArrayLike<number>[]): SelfCheckResult {
  const h = layout.hourSteps;
  const actual: number[] = [];
  const columns: Record<SelfCheckExpert, number[]> = { network: [], day: [], hour: [] };
  origins.forEach((b, i) => {
    for (let j = 0; j < h && b + j < values.length; j++) {
      const day = ruleForecast(values, layout, 'day', b, j);
      const hour = ruleForecast(values, layout, 'hour', b, j);
      actual.push(values[b + j]!);
      columns.network.push(networkForecasts[i]![j]!);
      columns.day.push(day);
      columns.hour.push(hour);
    }
  });
  if (actual.length < h) return NETWORK_ONLY;
  // The day rule is weighed only where it exists (from a day on), on the points where it does.
  const dayPoints = columns.day.filter(Number.isFinite).length;
  const useDay = dayPoints >= h;
  const rows = actual.map((_, k) => k).filter((k) => !useDay || Number.isFinite(columns.day[k]));
  const errorOf = (wn: number, wd: number, wh: number) => {
    let sum = 0;
    for (const k of rows) sum += Math.abs(actual[k]! - (wn * columns.network[k]! + (wd > 0 ? wd * columns.day[k]! : 0) + wh * columns.hour[k]!));
    return sum;
  };
  const networkError = errorOf(1, 0, 0);
  let best = { wn: 1, wd: 0, wh: 0, error: networkError };
  for (let d = 0; d <= (useDay ? GRID : 0); d++) {
    for (let hh = 0; d + hh <= GRID; hh++) {
      // Whole tenths: the network's share is exact (never -0.0).
      const [wn, wd, wh] = [(GRID - d - hh) / GRID, d / GRID, hh / GRID];
      const error = errorOf(wn, wd, wh);
      if (error < best.error) best = { wn, wd, wh, error };
    }
  }
  if (!(best.error < (1 - MARGIN) * networkError)) return { weights: { network: 1, day: 0, hour: 0 }, points: rows.length };
  return { weights: { network: best.wn, day: best.wd, hour: best.wh }, points: rows.length };
}

/**
 * Share of the fitted rule weights kept at lead j: all of it over the first hour (what the backtest measured),
 * fading linearly to none by the end of the second hour; further ahead the network forecasts alone (repeating
 * the last hour for a day is what the network is there to avoid).
 */
export function ruleShareAt(j: number, hourSteps: number): number {
  return j < hourSteps ? 1 : Math.max(0, 1 - (j - hourSteps + 1) / hourSteps);
}

/** The blended forecast of lead j (raw units) given the network's; a rule without a value gives its weight to the network. */
export function blendedForecast(values: ArrayLike<number>, layout: SelfCheckLayout, result: SelfCheckResult, origin: number, j: number, network: number): number {
  const share = ruleShareAt(j, layout.hourSteps);
  let out = network;
  for (const expert of ['day', 'hour'] as const) {
    const w = result.weights[expert] * share;
    if (w === 0) continue;
    const rule = ruleForecast(values, layout, expert, origin, j);
    if (Number.isFinite(rule)) out += w * (rule - network);
  }
  return out;
}
