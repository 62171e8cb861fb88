/**
 * What a calendar entry would do: the planned replicas of one target over the coming days with and without
 * the entry, from the target's current forecast. Pure; the API route gathers the inputs.
 *
 * Each point is a planning tick at a forecast grid time t, run through the planner's own stages and functions
 * (planner.ts) that do not need live metrics:
 *   1. sizing: the forecast quantile over t .. t + pod lead + plan interval (forecastOverWindow), capped at
 *      `explosionFactor` x the recent peak like the planner does, / capacity per replica + headroom
 *      (chooseHeadroom with the target's current calibration ratios);
 *   4. calendar: the effects a tick at t would see (calendarEffectsForTick, lead window included) through
 *      applyCalendar;
 *   6. max (over-max policy) and min.
 * Left out, because they depend on what has not happened yet: live load (the live floor, reactive breaches,
 * the level correction, which fades within an hour anyway), and stabilisation and step limits (they shape
 * the path between ticks, not the target of each). Points stop where the forecast no longer covers a
 * tick's window; `coveredUntil` says where.
 */
import type { TargetConfig } from '../config/schema.js';
import { targetId } from '../config/targets.js';
import type { Forecast } from '../forecasting/forecaster.js';
import { chooseHeadroom, forecastOverWindow, replicasForLoad } from './capacity.js';
import { applyCalendar, calendarEffectsForTick, type CalendarEntry } from './calendar.js';
import { DEFAULT_PLANNER, type PlannerOptions } from './planner.js';
import { applyOverMax } from './policy.js';
import { headroomFor, type ErrorBudgetConfig, type ErrorBudgetState } from './error-budget.js';

export interface CalendarPreviewInput {
  target: TargetConfig;
  /** The target's current forecast (null when there is none). */
  forecast: Forecast | null;
  /** The calendar as stored; an entry with the previewed entry's id is left out of both sides. */
  entries: readonly CalendarEntry[];
  entry: CalendarEntry;
  /** Epoch ms; points are at forecast grid times in [from, to). */
  from: number;
  to: number;
  /** Pod start-up lead the planner uses for this target, ms. */
  podLeadMs: number;
  /** Time between planning ticks, ms (config schedule.plan). */
  planIntervalMs: number;
  /** The target's calibration ratios (TargetScalingState.calibration), newest last. */
  calibration: readonly number[];
  /** Highest load in the model's training history (ModelInfo.peakLoad): caps an exploding forecast. */
  recentPeakLoad: number | null;
  /**
   * The target's error-budget controller (absent where targets[].quantile overrides it): each step is sized with
   * the multiplier it gives for that step's time, as the planning tick then would (its time-of-day terms included).
   */
  budget?: { state: ErrorBudgetState; config: ErrorBudgetConfig } | null;
  options?: PlannerOptions;
}

export interface CalendarPreviewPoint {
  time: number;
  without: number;
  with: number;
}

export interface CalendarPreviewResult {
  /** Epoch ms up to which points exist (the last point's time + step); `from` when the forecast covers none; null without a forecast. */
  coveredUntil: number | null;
  points: CalendarPreviewPoint[];
}

/** One sentence for API answers: how the numbers were made. */
export const CALENDAR_PREVIEW_METHOD =
  "Per forecast step: the planner's sizing (forecast quantile over the pod lead + plan interval, recent-peak cap, calibrated headroom, the error budget's multiplier for that time), the calendar effects a planning tick would see, then max and min. Left out: live load (live floor, reactive breaches, level correction) and the step limits and stabilisation between ticks.";

export function previewCalendarEntry(input: CalendarPreviewInput): CalendarPreviewResult {
  const { target, forecast } = input;
  if (!forecast || forecast.mean.length === 0) return { coveredUntil: null, points: [] };
  const options = input.options ?? DEFAULT_PLANNER;
  const id = targetId(target);
  const step = forecast.stepMs;
  const windowMs = input.podLeadMs + input.planIntervalMs;
  const others = input.entries.filter((e) => e.id !== input.entry.id);
  const withEntry = [...others, input.entry];
  const q = target.quantile;

  const plan = (base: number, entries: readonly CalendarEntry[], t: number): number => {
    const effects = calendarEffectsForTick(entries, id, t, windowMs);
    let desired = effects.length > 0 ? applyCalendar(base, effects).replicas : base;
    const overMax = applyOverMax(desired, target.maxReplicas, options.policy.overMax);
    const maxAllowed = Math.max(target.maxReplicas, overMax.replicas);
    if (overMax.alert) desired = overMax.replicas;
    return Math.min(maxAllowed, Math.max(target.minReplicas, desired));
  };

  const points: CalendarPreviewPoint[] = [];
  // The first grid time at or after `from` (and not before the forecast starts).
  let t = forecast.startMs + Math.max(0, Math.ceil((input.from - forecast.startMs) / step)) * step;
  for (; t < input.to; t += step) {
    const window = forecastOverWindow(forecast, t, t + windowMs, q);
    if (!window.covers || window.invalid || window.points === 0) break;
    const reference = input.recentPeakLoad ?? 0;
    const peak = reference > 0 ? Math.min(window.peakQuantile, options.explosionFactor * reference) : window.peakQuantile;
    const headroom = chooseHeadroom(q, window.relativeHalfWidth, input.calibration, options.headroom).headroom;
    const multiplier = input.budget ? headroomFor(input.budget.state, input.budget.config, { at: t }).multiplier : 1;
    const base = replicasForLoad(peak * multiplier, target.capacityPerReplica, headroom);
    points.push({ time: t, without: plan(base, others, t), with: plan(base, withEntry, t) });
  }
  const last = points.at(-1);
  return { coveredUntil: last ? Math.min(input.to, last.time + step) : input.from, points };
}
