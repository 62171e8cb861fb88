/**
 * The shapes of the global LSTM's inputs for one grid step. Everything is defined in time, not in steps, so
 * one network serves series sampled every 5 minutes and every 30 minutes alike: the encoder always reads the
 * last 12 hours in 24 half-hour blocks (one block = one step at 30 minutes), the horizon is one day of steps,
 * and per-step features carry the lead in hours. The network's weights do not depend on any of these counts
 * (the horizon axis is left open), only the feature widths below do.
 */

export const DAY_MS = 86_400_000;
export const HOUR_MS = 3_600_000;
/** Encoder blocks and the time each covers. */
export const ENCODER_BLOCKS = 24;
const BLOCK_MS = 30 * 60_000;

export interface GlobalLayout {
  stepMs: number;
  /** Steps per day. */
  season: number;
  /** Steps per hour (at least 1). */
  hourSteps: number;
  /** Steps per encoder block (at least 1). */
  blockSteps: number;
  /** Half width (steps) of the moving average that smooths the day-ago and week-ago templates. */
  smoothHalfWidth: number;
}

export function globalLayout(stepMs: number): GlobalLayout {
  const season = Math.max(2, Math.round(DAY_MS / stepMs));
  return {
    stepMs,
    season,
    hourSteps: Math.max(1, Math.round(HOUR_MS / stepMs)),
    blockSteps: Math.max(1, Math.round(BLOCK_MS / stepMs)),
    smoothHalfWidth: Math.floor(season / 96),
  };
}

/** Shortest history the model forecasts from: one hour (a new target's first hour runs reactively). */
export function minimumHistory(layout: GlobalLayout): number {
  return layout.hourSteps;
}

/** History kept for forecasting: a week and a day (week-ago templates, the mean of up to seven days). */
export function historyToKeep(layout: GlobalLayout): number {
  return 8 * layout.season + layout.smoothHalfWidth + 1;
}
