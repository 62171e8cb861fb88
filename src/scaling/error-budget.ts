/**
 * The under-provisioning error budget: an online controller that turns "at most this share of minutes short
 * of capacity" into the headroom multiplier the planner sizes with. Pure functions over a plain-JSON state
 * (the service keeps one per target in Redis; the simulator keeps it in memory).
 *
 * Method: adaptive conformal inference (Gibbs & Candès 2021) on the log of the multiplier, which is also
 * quantile tracking by online gradient on the pinball loss and, read as an SRE budget, pacing:
 *   ln m  +=  gain x (short minutes - budget x observed minutes)
 * so every short minute tightens by `gain` and every clean minute relaxes by `gain x budget`. Summed up,
 * ln m - ln m0 = gain x (minutes spent - minutes the plan allowed so far): ahead of plan (spent more than the
 * even share) it is tighter, behind plan looser, and as long as it stays inside its bounds the long-run share
 * of short minutes is the budget (ACI's guarantee: |share - budget| <= range / (gain x minutes)). Bounds clamp
 * it (no wind-up: a burst of misses cannot push it beyond `maxMultiplier` and leave it there for weeks).
 *
 * Patterns: misses often cluster at the same time of day (a morning ramp the forecast is late for). A second
 * term per time-of-day slot learns the same way from the minutes of its slot only, so the multiplier rises
 * ahead of that hour and not all day. Slots are UTC (cycleMs / slotMs of them).
 *
 * Left out: what counts as short (the caller measures live load above the capacity of Ready replicas) and how
 * the planner applies the multiplier (planner.ts scales the forecast load it sizes for).
 */
import { InputError } from '../core/errors.js';

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

export interface ErrorBudgetConfig {
  /** Share of minutes allowed under-provisioned (live load above Ready capacity), 0 < budget < 1: 0.001 = 0.1%. */
  budget: number;
  /** The budget is spent evenly over this rolling window, ms (the report covers it). Default 7 days. */
  windowMs: number;
  /** The multiplier never goes below this (0.7: size for 70% of the forecast load at most). */
  minMultiplier: number;
  /** ... nor above this. */
  maxMultiplier: number;
  /** Where it starts, before any minute was observed. */
  initialMultiplier: number;
  /**
   * Change of ln(multiplier) per short minute (ACI's step); a clean minute relaxes by this x budget.
   * Default: enough that one window's worth of clean minutes relaxes by `relaxPerWindow` (0.03), at least 0.02.
   * Smaller is steadier: the multiplier's swings cost replica-hours at equal risk (bench:frontier, Azure at
   * 0.02%: relaxPerWindow 0.2 -> 0.03, a step of 0.099 -> 0.02 per short minute, held the same 8 short minutes
   * for 16,031 replica-hours instead of 16,421: after each 2-minute miss the multiplier rose 22%, then 4%).
   */
  gain: number;
  /**
   * Time-of-day learning: the slot terms' gain as a share of `gain`; 0 (the default) turns it off. Measured off:
   * at 0.5 it cost 4% more replica-hours at equal risk on Azure (bench:frontier): the misses of the bundled
   * traces do not keep to an hour of the day, so the slots learned noise.
   */
  patternGain: number;
  /** Length of one time-of-day slot, ms (default 1 h). */
  slotMs: number;
  /** The cycle the slots repeat over, ms (default 1 day). */
  cycleMs: number;
  /** A slot term stays within +- this (ln units). */
  maxPatternLog: number;
}

export type ErrorBudgetConfigInput = Partial<ErrorBudgetConfig> & {
  budget: number;
  /** For the default gain: ln(multiplier) one window of clean minutes relaxes by. Default 0.03. */
  relaxPerWindow?: number;
};

export const DEFAULT_ERROR_BUDGET = {
  windowMs: 7 * DAY_MS,
  minMultiplier: 0.5,
  maxMultiplier: 2,
  initialMultiplier: 1,
  relaxPerWindow: 0.03,
  minGain: 0.02,
  patternGain: 0,
  slotMs: HOUR_MS,
  cycleMs: DAY_MS,
  maxPatternLog: 0.3,
} as const;

/** Full config from a partial one; bad values throw an InputError naming the field. */
export function errorBudgetConfig(input: ErrorBudgetConfigInput, where = 'underProvisionedBudget'): ErrorBudgetConfig {
  const d = DEFAULT_ERROR_BUDGET;
  const need = (ok: boolean, field: string, value: unknown, expected: string) => {
    if (!ok) throw new InputError(`expected ${expected}, got ${String(value)}`, field === 'budget' ? where : `${where}.${field}`);
  };
  need(Number.isFinite(input.budget) && input.budget > 0 && input.budget < 1, 'budget', input.budget, 'a share of minutes between 0 and 1 (0.001 = 0.1%)');
  const windowMs = input.windowMs ?? d.windowMs;
  need(Number.isFinite(windowMs) && windowMs >= HOUR_MS, 'windowMs', windowMs, 'a window of at least one hour, ms');
  const minMultiplier = input.minMultiplier ?? d.minMultiplier;
  const maxMultiplier = input.maxMultiplier ?? d.maxMultiplier;
  need(Number.isFinite(minMultiplier) && minMultiplier > 0, 'minMultiplier', minMultiplier, 'a multiplier > 0');
  need(Number.isFinite(maxMultiplier) && maxMultiplier >= minMultiplier, 'maxMultiplier', maxMultiplier, `a multiplier >= minMultiplier (${minMultiplier})`);
  const initialMultiplier = input.initialMultiplier ?? Math.min(maxMultiplier, Math.max(minMultiplier, d.initialMultiplier));
  need(initialMultiplier >= minMultiplier && initialMultiplier <= maxMultiplier, 'initialMultiplier', initialMultiplier, `a multiplier within [${minMultiplier}, ${maxMultiplier}]`);
  const relaxPerWindow = input.relaxPerWindow ?? d.relaxPerWindow;
  need(Number.isFinite(relaxPerWindow) && relaxPerWindow > 0, 'relaxPerWindow', relaxPerWindow, 'ln units > 0');
  const gain = input.gain ?? Math.max(d.minGain, relaxPerWindow / (input.budget * (windowMs / MINUTE_MS)));
  need(Number.isFinite(gain) && gain > 0, 'gain', gain, 'ln units per short minute > 0');
  const patternGain = input.patternGain ?? d.patternGain;
  need(Number.isFinite(patternGain) && patternGain >= 0, 'patternGain', patternGain, 'a share of gain >= 0');
  const slotMs = input.slotMs ?? d.slotMs;
  const cycleMs = input.cycleMs ?? d.cycleMs;
  need(Number.isFinite(slotMs) && slotMs >= MINUTE_MS, 'slotMs', slotMs, 'a slot of at least one minute, ms');
  need(Number.isFinite(cycleMs) && cycleMs >= slotMs && cycleMs % slotMs === 0, 'cycleMs', cycleMs, `a whole number of slots of ${slotMs} ms`);
  const maxPatternLog = input.maxPatternLog ?? d.maxPatternLog;
  need(Number.isFinite(maxPatternLog) && maxPatternLog >= 0, 'maxPatternLog', maxPatternLog, 'ln units >= 0');
  return { budget: input.budget, windowMs, minMultiplier, maxMultiplier, initialMultiplier, gain, patternGain, slotMs, cycleMs, maxPatternLog };
}

/** The controller's memory: plain JSON. */
export interface ErrorBudgetState {
  version: 1;
  /** Epoch ms the state was created. */
  startedAt: number;
  /** Epoch ms of the latest observation (observations at or before it are ignored: a retried job counts once). */
  lastAt: number;
  /** ln of the global multiplier (before the slot term). */
  log: number;
  /** ln terms per time-of-day slot (cycleMs / slotMs of them). */
  pattern: number[];
  /** Per hour, oldest first: [epoch hour index, observed minutes, short minutes], kept for one window. */
  hours: [number, number, number][];
}

export function initialBudgetState(config: ErrorBudgetConfig, now: number): ErrorBudgetState {
  return { version: 1, startedAt: now, lastAt: now, log: Math.log(config.initialMultiplier), pattern: new Array<number>(config.cycleMs / config.slotMs).fill(0), hours: [] };
}

/** What was measured since the last observation. */
export interface BudgetObservation {
  /** Epoch ms the measurement ends at (the newest sample it covers). */
  at: number;
  /** Minutes the measurement covers (1 for one minute; 0.25 for a 15 s tick). Default 1. */
  minutes?: number;
  /** Of those, minutes the live load was above the capacity of Ready replicas (0..minutes); or `short`. */
  shortMinutes?: number;
  /** Shorthand for one minute: true = short all of it. Ignored when shortMinutes is given. */
  short?: boolean;
}

const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));
/** Stored numbers keep 9 decimals: plain JSON, no float tails. */
const round = (x: number) => Math.round(x * 1e9) / 1e9;
const round6 = (x: number) => Math.round(x * 1e6) / 1e6;

function slotOf(config: ErrorBudgetConfig, at: number): number {
  const phase = ((at % config.cycleMs) + config.cycleMs) % config.cycleMs;
  return Math.floor(phase / config.slotMs);
}

/**
 * The state after one measurement. Observations not after the last one are ignored (returns the same state).
 * Throws an InputError naming the field on bad input.
 */
export function observe(state: ErrorBudgetState, config: ErrorBudgetConfig, observation: BudgetObservation): ErrorBudgetState {
  const { at } = observation;
  if (!Number.isFinite(at)) throw new InputError(`expected epoch ms, got ${String(at)}`, 'observation.at');
  const minutes = observation.minutes ?? 1;
  if (!(Number.isFinite(minutes) && minutes >= 0)) throw new InputError(`expected minutes >= 0, got ${String(minutes)}`, 'observation.minutes');
  const short = observation.shortMinutes ?? (observation.short ? minutes : 0);
  if (!(Number.isFinite(short) && short >= 0 && short <= minutes)) throw new InputError(`expected 0..${minutes} short minutes, got ${String(short)}`, 'observation.shortMinutes');
  if (at <= state.lastAt) return state;

  // ACI on ln(multiplier): up by gain per short minute, down by gain x budget per observed minute.
  const error = short - config.budget * minutes;
  const lo = Math.log(config.minMultiplier);
  const hi = Math.log(config.maxMultiplier);
  const log = clamp(state.log + config.gain * error, lo, hi);
  let pattern = state.pattern;
  if (config.patternGain > 0 && pattern.length > 0) {
    const slot = slotOf(config, at - 1);
    pattern = [...pattern];
    pattern[slot] = round(clamp(pattern[slot]! + config.patternGain * config.gain * error, -config.maxPatternLog, config.maxPatternLog));
    // The slot terms say where in the cycle, not how much overall (the global term does): keep their mean at 0.
    const mean = pattern.reduce((a, b) => a + b, 0) / pattern.length;
    if (mean !== 0) pattern = pattern.map((p) => round(p - mean));
  }

  const hour = Math.floor((at - 1) / HOUR_MS);
  const last = state.hours[state.hours.length - 1];
  let hours: [number, number, number][];
  if (last && last[0] === hour) {
    hours = state.hours.slice();
    hours[hours.length - 1] = [hour, round(last[1] + minutes), round(last[2] + short)];
  } else {
    // A new hour: hours that left the window go.
    const keepFrom = Math.floor((at - config.windowMs) / HOUR_MS);
    hours = [...state.hours.filter((h) => h[0] >= keepFrom), [hour, round(minutes), round(short)]];
  }
  return { ...state, lastAt: at, log: round(log), pattern, hours };
}

/** What the planner sizes with at `at`. */
export interface BudgetHeadroom {
  /** Multiply the forecast load the planner sizes for by this (within [minMultiplier, maxMultiplier]). */
  multiplier: number;
  /** The global part of ln(multiplier). */
  log: number;
  /** The time-of-day part of ln(multiplier) at `at`. */
  patternLog: number;
}

export function headroomFor(state: ErrorBudgetState, config: ErrorBudgetConfig, query: { at: number }): BudgetHeadroom {
  const patternLog = config.patternGain > 0 ? (state.pattern[slotOf(config, query.at)] ?? 0) : 0;
  const multiplier = clamp(Math.exp(state.log + patternLog), config.minMultiplier, config.maxMultiplier);
  return { multiplier: round6(multiplier), log: state.log, patternLog };
}

/** The budget over the window ending at `now`, for decisions, status and the API. */
export interface BudgetReport {
  /** The configured share of minutes allowed short. */
  budget: number;
  windowMs: number;
  /** Minutes observed within the window. */
  observedMinutes: number;
  /** Short minutes within the window (the budget spent). */
  spentMinutes: number;
  /** Short minutes the whole window allows: budget x window minutes. */
  allowedMinutes: number;
  /** allowed - spent (negative when overspent). */
  leftMinutes: number;
  /** spent / allowed (1 = all of it). */
  spentFraction: number;
  /** spent / allowed so far (budget x observed minutes): above 1 = ahead of plan (spending too fast). */
  paceRatio: number;
  /** Share of the observed minutes that were short (the budget's unit): the budget spent as a share. */
  spentShare: number;
  /** budget - spentShare (negative when overspent). */
  leftShare: number;
  /** The multiplier the planner sizes with now. */
  multiplier: number;
}

export function budgetReport(state: ErrorBudgetState, config: ErrorBudgetConfig, now: number): BudgetReport {
  const keepFrom = Math.floor((now - config.windowMs) / HOUR_MS);
  let observed = 0;
  let spent = 0;
  for (const [hour, minutes, short] of state.hours) {
    if (hour < keepFrom || hour * HOUR_MS >= now) continue;
    observed += minutes;
    spent += short;
  }
  const allowed = config.budget * (config.windowMs / MINUTE_MS);
  const allowedSoFar = config.budget * observed;
  return {
    budget: config.budget,
    windowMs: config.windowMs,
    observedMinutes: round(observed),
    spentMinutes: round(spent),
    allowedMinutes: round(allowed),
    leftMinutes: round(allowed - spent),
    spentFraction: round(spent / allowed),
    paceRatio: allowedSoFar > 0 ? round(spent / allowedSoFar) : 0,
    spentShare: observed > 0 ? round6(spent / observed) : 0,
    leftShare: round6(config.budget - (observed > 0 ? spent / observed : 0)),
    multiplier: headroomFor(state, config, { at: now }).multiplier,
  };
}
