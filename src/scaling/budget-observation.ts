/**
 * What one planning tick tells the error budget (src/scaling/error-budget.ts): whether the target ran short of
 * capacity, measured from what the tick already read, with no query of its own. Short: live load above what
 * the Ready replicas serve (readyReplicas x capacityPerReplica), the rule the simulator scores
 * under-provisioned minutes by. The tick speaks for the time since the previous observation, at most one
 * planning interval (ticks missed while the service was away are not guessed at).
 *
 * Observations are keyed by their time: the controller ignores one at or before the newest it has, so a
 * replayed tick (a retried job) never counts a miss twice. Also the service's status: whether budget control
 * is on for a target, and the report it shows.
 *
 * Left out: how misses become headroom (error-budget.ts) and where the state is kept (src/state/state-store.ts).
 */
import type { TargetConfig } from '../config/schema.js';
import type { DecisionBudget } from '../metrics/metrics-store.js';
import { budgetReport, errorBudgetConfig, headroomFor, type BudgetObservation, type BudgetReport, type ErrorBudgetConfig, type ErrorBudgetState } from './error-budget.js';

const MINUTE_MS = 60_000;

export interface TickEvidence {
  /** Epoch ms of the planning tick. */
  at: number;
  /** The tick's live load (load units) and when it was sampled; null when unknown. */
  load: number | null;
  loadAt: number;
  readyReplicas: number;
  capacityPerReplica: number;
  /** Live load older than this (ms before `at`) says nothing about now. */
  maxLiveAgeMs: number;
  /** Planning interval, ms: the most time one tick speaks for. */
  planIntervalMs: number;
  /** Epoch ms of the controller's newest observation. */
  lastObservedAt: number;
}

/** The tick's observation for the controller, or null when it has no evidence (live load unknown, negative or stale; not after the last one). */
export function observeTick(evidence: TickEvidence): (BudgetObservation & { minutes: number; shortMinutes: number }) | null {
  const { at, load } = evidence;
  if (load === null || !Number.isFinite(load) || load < 0 || at - evidence.loadAt > evidence.maxLiveAgeMs) return null;
  if (!(at > evidence.lastObservedAt)) return null;
  const minutes = Math.min(at - evidence.lastObservedAt, evidence.planIntervalMs) / MINUTE_MS;
  const short = load > Math.max(0, evidence.readyReplicas) * evidence.capacityPerReplica;
  return { at, minutes, shortMinutes: short ? minutes : 0 };
}

/** Whether the error budget sizes this target: on unless targets[].quantile overrides it. */
export function budgetControlled(target: Pick<TargetConfig, 'quantileOverride'>): boolean {
  return !target.quantileOverride;
}

/** The controller's configuration for a target (its budget and window; the rest the controller's defaults). */
export function targetBudgetConfig(target: Pick<TargetConfig, 'underProvisionedBudget' | 'budgetWindow'>): ErrorBudgetConfig {
  return errorBudgetConfig({ budget: target.underProvisionedBudget, windowMs: target.budgetWindow }, 'targets[].underProvisionedBudget');
}

/** The budget as a decision records it: shares of the observed minutes, the budget's unit. */
export function decisionBudget(report: BudgetReport): DecisionBudget {
  return { budget: report.budget, windowMs: report.windowMs, spent: report.spentShare, left: report.leftShare };
}

/** A target's budget as /api/status shows it. */
export type BudgetStatus =
  | {
      control: 'budget';
      budget: number;
      windowMs: number;
      /** Short minutes in the window as a share of the minutes observed, and budget - that. */
      spent: number;
      left: number;
      spentMinutes: number;
      allowedMinutes: number;
      leftMinutes: number;
      observedMinutes: number;
      /** Spent against the even share of the minutes observed so far: above 1 = spending too fast. */
      paceRatio: number;
      /** The multiplier the planner sizes the forecast load with now (1 = as forecast at the quantile). */
      multiplier: number;
      /** The forecast quantile the multiplier applies to, percent. */
      quantile: number;
      /** Epoch ms of the newest observation; null before the first planning tick. */
      lastObservedAt: number | null;
    }
  | { control: 'quantile'; quantile: number; reason: string };

export function budgetStatus(target: TargetConfig, state: ErrorBudgetState | null, now: number): BudgetStatus {
  if (!budgetControlled(target)) return { control: 'quantile', quantile: target.quantile, reason: 'targets[].quantile is set: it overrides the error budget, whose controller is off for this target' };
  const config = targetBudgetConfig(target);
  const report = state ? budgetReport(state, config, now) : null;
  return {
    control: 'budget',
    budget: config.budget,
    windowMs: config.windowMs,
    spent: report?.spentShare ?? 0,
    left: report?.leftShare ?? config.budget,
    spentMinutes: report?.spentMinutes ?? 0,
    allowedMinutes: report?.allowedMinutes ?? config.budget * (config.windowMs / MINUTE_MS),
    leftMinutes: report?.leftMinutes ?? config.budget * (config.windowMs / MINUTE_MS),
    observedMinutes: report?.observedMinutes ?? 0,
    paceRatio: report?.paceRatio ?? 0,
    multiplier: state ? headroomFor(state, config, { at: now }).multiplier : config.initialMultiplier,
    quantile: target.quantile,
    lastObservedAt: state && state.hours.length > 0 ? state.lastAt : null,
  };
}
