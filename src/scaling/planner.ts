/**
 * The scaling engine: one pure, synchronous tick for one target (the port is engine.ts). It combines
 * capacity sizing, modes, the reactive path, the calendar and the policy, and explains itself: the
 * decision's `rule` names the stage that decided, `inputs` holds every number it used, `notes` what was
 * odd about the inputs (missing or negative metrics, an exploding forecast, a calendar beyond max).
 *
 * Stages, in order (each may change the replicas; the last one that did names the rule):
 *  1. sizing: the forecast quantile over the lead window (predictive), scaled by a smoothed live/forecast
 *     level ratio, plus a headroom calibrated online so the sized capacity holds the load `coverage`
 *     percent of the time (by default the target's quantile), times the error budget's multiplier when a
 *     controller gives one (TickInput.budget, error-budget.ts); or the HPA formula on live load (reactive,
 *     learning); CPU and memory utilisation by the HPA formula; the binding resource wins;
 *  2. reactive breaches: scale up at once with the HPA formula, enter reactive mode (an error-budget multiplier
 *     scales the headroom of the load target the formula uses, as it does the live margin of stage 3);
 *  3. live floor: never below what live load needs now (ceil(live x (1 + margin) / capacity); an error-budget
 *     multiplier below 1 shrinks the margin, down to none);
 *  4. calendar effects (floors, ceilings, absolute, relative); live need still wins over a ceiling;
 *  5. unknown live load: never scale in;
 *  6. maxReplicas (or the over-max buffer, with an alert) and minReplicas;
 *  7. stabilisation and step limits (state carried in TargetScalingState); they pace scale-ups only beyond
 *     the live need of stage 3 (up to max), which they never hold back;
 *  8. the reactive loop only ever scales up.
 */
import {
  bindingResource,
  ceilReplicas,
  chooseHeadroom,
  DEFAULT_HEADROOM,
  forecastOverWindow,
  replicasForLoad,
  replicasForUtilization,
  type HeadroomOptions,
  type ResourceNeed,
  type WindowForecast,
} from './capacity.js';
import { applyCalendar } from './calendar.js';
import type { TargetScalingState, TickInput, TickResult } from './engine.js';
import { assessMode, DEFAULT_MODE, type ModeOptions } from './mode.js';
import { applyOverMax, applyStepLimits, DEFAULT_POLICY, pruneState, stabilize, type PolicyOptions } from './policy.js';
import { DEFAULT_REACTIVE, detectBreaches, hpaReplicas, strongestBreach, type ReactiveOptions } from './reactive.js';

export interface PlannerOptions {
  /** Default time between planning ticks, ms, when the input does not say (TickInput.planIntervalMs). */
  planIntervalMs: number;
  /** Live floor margin: never below ceil(live load x (1 + this) / capacity per replica). 0.05 = 5%. */
  liveMargin: number;
  /** Live metrics older than this (LiveMetrics.at before now minus this), ms, count as unknown. */
  maxLiveAgeMs: number;
  /** A forecast above this many times max(recent peak, live load) is capped there and noted. */
  explosionFactor: number;
  /** Calibration ratios kept in the state (one per planning tick with live load and a forecast: 960 = 4 h at 15 s). */
  calibrationSamples: number;
  /**
   * Level correction: the forecast is scaled by a smoothed ratio of live load to the forecast mean for the
   * same moment, so a shift the model has not seen yet (traffic doubled since training) counts at once.
   * Time constant of the smoothing, ms (15 min: a 5-minute step moves the ratio about a quarter of the way);
   * 0 turns the correction off.
   */
  levelTimeConstantMs: number;
  /** The level ratio stays within [1 / this, this]. */
  maxLevelCorrection: number;
  headroom: HeadroomOptions;
  policy: PolicyOptions;
  reactive: ReactiveOptions;
  mode: ModeOptions;
}

export const DEFAULT_PLANNER: PlannerOptions = {
  planIntervalMs: 15_000,
  liveMargin: 0.05,
  maxLiveAgeMs: 600_000,
  explosionFactor: 3,
  calibrationSamples: 960,
  levelTimeConstantMs: 900_000,
  maxLevelCorrection: 2,
  headroom: DEFAULT_HEADROOM,
  policy: DEFAULT_POLICY,
  reactive: DEFAULT_REACTIVE,
  mode: DEFAULT_MODE,
};

/** Options with nested parts optional; unspecified fields keep their defaults. */
export type PlannerOptionsInput = Partial<Omit<PlannerOptions, 'headroom' | 'policy' | 'reactive' | 'mode'>> & {
  headroom?: Partial<HeadroomOptions>;
  policy?: Partial<PolicyOptions>;
  reactive?: Partial<ReactiveOptions>;
  mode?: Partial<ModeOptions>;
};

export function plannerOptions(input: PlannerOptionsInput = {}): PlannerOptions {
  return {
    ...DEFAULT_PLANNER,
    ...input,
    headroom: { ...DEFAULT_PLANNER.headroom, ...input.headroom },
    policy: { ...DEFAULT_PLANNER.policy, ...input.policy },
    reactive: { ...DEFAULT_PLANNER.reactive, ...input.reactive },
    mode: { ...DEFAULT_PLANNER.mode, ...input.mode },
  };
}

export function initialScalingState(): TargetScalingState {
  return { mode: 'reactive', recommendations: [], changes: [], reactiveUntil: null, calibration: [], planned: [] };
}

/** A planTick bound to options (the simulator and benchmarks tune them; the service uses the defaults). */
export function createPlanner(options: PlannerOptionsInput = {}): (input: TickInput) => TickResult {
  const resolved = plannerOptions(options);
  return (input) => planTick(input, resolved);
}

/** A gap between ticks longer than this (and ten plan intervals) is flagged in the notes, ms. */
const CLOCK_GAP_MS = 600_000;

const fmt = (x: number) => (Math.abs(x) >= 100 ? String(Math.round(x)) : String(Math.round(x * 100) / 100));
const pct = (x: number) => `${Math.round(x * 100)}%`;

/** A metric as the engine trusts it: a finite number, negative clamped to 0 (noted), or null. */
function sanitize(name: string, value: number | null | undefined, notes: string[]): number | null {
  if (value === null || value === undefined) return null;
  if (!Number.isFinite(value)) {
    notes.push(`live ${name} ${String(value)} treated as unknown`);
    return null;
  }
  if (value < 0) {
    notes.push(`negative live ${name} ${fmt(value)} clamped to 0`);
    return 0;
  }
  return value;
}

const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));

/** The end of the forecast step holding the live sample taken at `liveAt` (not before now). */
function afterObservedStep(forecast: { startMs: number; stepMs: number }, liveAt: number, now: number): number {
  if (liveAt < forecast.startMs) return now;
  const stepEnd = forecast.startMs + (Math.floor((liveAt - forecast.startMs) / forecast.stepMs) + 1) * forecast.stepMs;
  return Math.max(now, stepEnd);
}

/** The level ratio to apply now: the stored one, fading back to 1 when it has not been updated for long. */
function levelRatio(state: TargetScalingState, now: number, options: PlannerOptions): number {
  if (options.levelTimeConstantMs <= 0 || !state.level) return 1;
  const age = Math.max(0, now - state.level.at);
  const keep = Math.exp(-Math.max(0, age - options.levelTimeConstantMs) / options.levelTimeConstantMs);
  return Math.round((1 + (state.level.ratio - 1) * keep) * 1e4) / 1e4;
}

/** A window summary with every load figure multiplied by `factor`. */
function scaleWindow(w: WindowForecast, factor: number): WindowForecast {
  if (factor === 1) return w;
  return { ...w, peakQuantile: w.peakQuantile * factor, peakMean: w.peakMean * factor, upper95AtPeak: w.upper95AtPeak * factor };
}

export function planTick(input: TickInput, options: PlannerOptions = DEFAULT_PLANNER): TickResult {
  const { now, target, workload } = input;
  const notes: string[] = [];
  const inputs: Record<string, number> = {};
  const record = (key: string, value: number | null | undefined) => {
    if (value !== null && value !== undefined && Number.isFinite(value)) inputs[key] = value;
  };
  const state = input.state ?? initialScalingState();
  const cap = target.capacityPerReplica;
  const q = target.quantile;
  const current = Math.max(0, Math.round(workload.desiredReplicas));
  const ready = Math.max(0, Math.round(workload.readyReplicas));
  const intervalMs = input.planIntervalMs ?? options.planIntervalMs;
  const windowEnd = now + input.podLeadMs + intervalMs;

  // The clock against the state's own record of the last tick: flagged, never trusted blindly. A tick "before"
  // the last one means the clock went back (the policy stages ignore entries from the future); a long gap means
  // it jumped forward or ticks were missed (live metrics then look stale and count as unknown: no scale-in).
  const lastTick = Math.max(-Infinity, ...state.recommendations.map((r) => r.time));
  if (lastTick > now) {
    notes.push(`clock went back: the last tick was ${fmt((lastTick - now) / 1000)} s after now`);
    inputs.clockBackS = (lastTick - now) / 1000;
  } else if (Number.isFinite(lastTick) && now - lastTick > Math.max(10 * intervalMs, CLOCK_GAP_MS)) {
    notes.push(`no tick for ${fmt((now - lastTick) / 1000)} s (the clock jumped forward, or ticks were missed)`);
    inputs.sinceLastTickS = (now - lastTick) / 1000;
  }

  // Live metrics: unknown stays unknown, never guessed; stale counts as unknown.
  const stale = now - input.live.at > options.maxLiveAgeMs;
  if (stale) notes.push(`live metrics ${Math.round((now - input.live.at) / 1000)} s old treated as unknown`);
  const load = stale ? null : sanitize('load', input.live.load, notes);
  const cpu = stale ? null : sanitize('cpu utilisation', input.live.cpuUtilization, notes);
  const memory = stale ? null : sanitize('memory utilisation', input.live.memoryUtilization, notes);
  if (load === null && input.live.load === null) notes.push('live load unknown');
  record('liveLoad', load);
  record('cpuUtilization', cpu);
  record('memoryUtilization', memory);
  record('liveAgeS', (now - input.live.at) / 1000);
  record('currentReplicas', current);
  record('readyReplicas', ready);
  record('capacityPerReplica', cap);
  record('targetUtilization', target.targetUtilization);
  record('quantile', q);
  record('podLeadS', input.podLeadMs / 1000);
  record('windowS', (windowEnd - now) / 1000);
  // The error budget's multiplier on the forecast load (1 without a controller); a bad value sizes as configured.
  const budgetMultiplier = input.budget && Number.isFinite(input.budget.multiplier) && input.budget.multiplier > 0 ? input.budget.multiplier : 1;
  if (input.budget) record('budgetMultiplier', budgetMultiplier);
  // The reactive target's headroom is the budget's too: x2 sizes load at 40% instead of 80%, x0.5 at 100%.
  const loadUtilization = budgetMultiplier === 1 ? target.targetUtilization : clamp(target.targetUtilization / budgetMultiplier, 0.05, 1);

  // The forecast over the sizing window, level-corrected, and capped when it explodes.
  const level = levelRatio(state, now, options);
  record('levelRatio', level);
  // The forecast step that live metrics already show is sized by live load (stage 3), not by what the model
  // guessed for it before it began: the forecast sizes the steps after it.
  const sizingFrom = input.forecast && load !== null ? Math.min(windowEnd, afterObservedStep(input.forecast, input.live.at, now)) : now;
  record('sizingFromS', (sizingFrom - now) / 1000);
  let window: WindowForecast | null = input.forecast ? scaleWindow(forecastOverWindow(input.forecast, sizingFrom, windowEnd, q), level) : null;
  const reference = Math.max(input.recentPeakLoad ?? 0, load ?? 0);
  if (window && !window.invalid && reference > 0 && window.peakQuantile > options.explosionFactor * reference) {
    const capped = options.explosionFactor * reference;
    notes.push(`forecast P${q} ${fmt(window.peakQuantile)} capped at ${options.explosionFactor} x recent peak ${fmt(reference)}`);
    record('forecastUncapped', window.peakQuantile);
    window = { ...window, peakQuantile: capped, peakMean: Math.min(window.peakMean, capped) };
    inputs.forecastCapped = 1;
  }
  if (window) {
    record('forecastPeakQuantile', window.peakQuantile);
    record('forecastPeakMean', window.peakMean);
    record('forecastUpper95', window.upper95AtPeak);
    record('forecastPoints', window.points);
  }

  const modeAssessment = assessMode(
    {
      now,
      forecastOnly: target.forecastOnly,
      model: input.model,
      hasForecast: input.forecast !== null,
      forecastCovers: window?.covers ?? false,
      forecastInvalid: window?.invalid ?? false,
      reactiveUntil: state.reactiveUntil,
    },
    options.mode,
  );
  record('historyDays', input.model.historyDays);
  record('requiredHistoryDays', input.model.requiredHistoryDays);
  record('backtestMase', input.model.backtestMase);
  record('naiveMase', input.model.naiveMase);

  // The forecast for the current moment: its 95% bound is the breach line, its quantile the calibration base.
  const nowPoint = input.forecast && !window?.invalid ? scaleWindow(forecastOverWindow(input.forecast, now, now + 1, q), level) : null;
  const forecastNow = nowPoint && nowPoint.points > 0 && !nowPoint.invalid ? nowPoint : null;
  const upper95Now = forecastNow && Number.isFinite(forecastNow.upper95AtPeak) ? forecastNow.upper95AtPeak : null;
  record('forecastUpper95Now', upper95Now);

  // 1. Sizing.
  let desired: number;
  let rule: string;
  const needs: ResourceNeed[] = [];
  if (modeAssessment.sizing === 'forecast' && window) {
    const headroom = chooseHeadroom(q, window.relativeHalfWidth, state.calibration ?? [], options.headroom);
    record('headroom', headroom.headroom);
    const replicas = replicasForLoad(window.peakQuantile * budgetMultiplier, cap, headroom.headroom);
    record('forecastReplicas', replicas);
    needs.push({
      resource: 'load',
      replicas,
      rule: `forecast P${q} ${fmt(window.peakQuantile)}${level !== 1 ? ` (level x${level.toFixed(2)})` : ''}${budgetMultiplier !== 1 ? ` x${budgetMultiplier.toFixed(2)} error budget` : ''} over ${Math.round((windowEnd - now) / 1000)}s lead / ${fmt(cap)} per replica ${headroom.headroom < 0 ? '-' : '+'} ${pct(Math.abs(headroom.headroom))} headroom (${headroom.source})`,
    });
  } else if (load !== null) {
    // The HPA formula on the per-replica average against an AverageValue target of utilisation x capacity.
    const perReplicaTarget = cap * loadUtilization;
    const replicas = current > 0 ? hpaReplicas(current, load / current, perReplicaTarget, options.reactive.tolerance) : ceilReplicas(load / perReplicaTarget);
    const who = modeAssessment.mode === 'learning' ? 'learning' : 'reactive';
    needs.push({ resource: 'load', replicas, rule: `${who}: load ${fmt(load)} / (${fmt(cap)} x ${pct(loadUtilization)})` });
  } else {
    needs.push({ resource: 'load', replicas: current, rule: `live load unknown: hold ${current}` });
  }
  const utilizationBase = ready > 0 ? ready : current;
  if (cpu !== null) needs.push({ resource: 'cpu', replicas: replicasForUtilization(utilizationBase, cpu, target.targetUtilization), rule: `cpu ${pct(cpu)} of ${utilizationBase} at target ${pct(target.targetUtilization)}` });
  if (memory !== null) needs.push({ resource: 'memory', replicas: replicasForUtilization(utilizationBase, memory, target.targetUtilization), rule: `memory ${pct(memory)} of ${utilizationBase} at target ${pct(target.targetUtilization)}` });
  const binding = bindingResource(needs)!;
  desired = binding.replicas;
  rule = binding.rule;
  for (const need of needs) record(`${need.resource}Replicas`, need.replicas);

  // 2. Reactive breaches.
  let mode = modeAssessment.mode;
  let reactiveUntil = state.reactiveUntil !== null && state.reactiveUntil > now ? state.reactiveUntil : null;
  const breaches = detectBreaches(
    {
      load,
      cpuUtilization: cpu,
      memoryUtilization: memory,
      sloBreached: !stale && input.live.sloBreached === true,
      readyReplicas: ready,
      currentReplicas: current,
      capacityPerReplica: cap,
      targetUtilization: target.targetUtilization,
      loadTargetUtilization: loadUtilization,
      forecastUpper95: modeAssessment.sizing === 'forecast' ? upper95Now : null,
    },
    options.reactive,
  );
  const breach = strongestBreach(breaches);
  if (breach) {
    reactiveUntil = now + options.reactive.holdMs;
    if (mode === 'predictive') mode = 'reactive';
    record('breachObserved', breach.observed);
    record('breachThreshold', breach.threshold);
    record('breachReplicas', breach.replicas);
    if (breaches.length > 1) notes.push(`breaches: ${breaches.map((b) => b.signal).join(', ')}`);
    // A breach never scales in, whatever the formula says about over-provisioned replicas.
    const floor = Math.max(breach.replicas, current);
    if (floor >= desired) {
      desired = floor;
      rule = breach.rule;
    } else {
      notes.push(`${breach.rule} (plan already ${desired})`);
    }
  }

  // 3. Live floor: never below what the load needs right now.
  // The live margin is headroom too: an error budget that sizes below the forecast (multiplier < 1) shrinks it,
  // never below the live load itself.
  const liveMargin = budgetMultiplier < 1 ? Math.max(0, (1 + options.liveMargin) * budgetMultiplier - 1) : options.liveMargin;
  const liveNeed = load !== null ? replicasForLoad(load, cap, liveMargin) : 0;
  record('liveNeed', liveNeed);
  if (desired < liveNeed) {
    desired = liveNeed;
    rule = `live load ${fmt(load!)} needs ${liveNeed} (+${pct(liveMargin)})`;
  }

  // 4. Calendar.
  if (input.calendar.length > 0) {
    const outcome = applyCalendar(desired, input.calendar);
    notes.push(...outcome.notes);
    record('calendarFloor', outcome.floor);
    record('calendarCeiling', outcome.ceiling);
    inputs.calendarEntries = input.calendar.length;
    notes.push(`calendar: ${input.calendar.map((e) => e.entryId).join(', ')}`);
    if (outcome.rule && outcome.replicas !== desired) {
      desired = outcome.replicas;
      rule = outcome.rule;
    }
    if (desired < liveNeed) {
      notes.push(`${outcome.rule ?? 'calendar'} is below the live need ${liveNeed}: live load wins`);
      desired = liveNeed;
      rule = `live load ${fmt(load!)} needs ${liveNeed} (+${pct(liveMargin)})`;
    }
    if (outcome.floor !== null && outcome.floor > target.maxReplicas) notes.push(`calendar floor ${outcome.floor} is above maxReplicas ${target.maxReplicas}: max wins`);
    if (outcome.ceiling !== null && outcome.ceiling < target.minReplicas) notes.push(`calendar ceiling ${outcome.ceiling} is below minReplicas ${target.minReplicas}: min wins`);
  }

  // 5. Never scale in on unknown live load.
  if (load === null && desired < current) {
    desired = current;
    rule = `live load unknown: no scale-in below ${current}`;
  }

  // 6. Max (or the over-max buffer) and min.
  const overMax = applyOverMax(desired, target.maxReplicas, options.policy.overMax);
  const maxAllowed = Math.max(target.maxReplicas, overMax.replicas);
  if (overMax.alert) {
    inputs.alertAboveMax = 1;
    inputs.wantedAboveMax = overMax.excess;
    notes.push(`alert: ${desired} replicas wanted, above maxReplicas ${target.maxReplicas}`);
    desired = overMax.replicas;
    rule = overMax.rule!;
  }
  if (desired < target.minReplicas) {
    desired = target.minReplicas;
    rule = `min ${target.minReplicas}`;
  }
  const recommended = desired;
  record('recommendedReplicas', recommended);

  // 7. Stabilisation and step limits, against the replicas asked for now.
  // These stages hold back what an earlier rule wanted: the rule says both.
  const stabilized = stabilize(current, desired, state.recommendations, now, options.policy);
  if (stabilized.rule) {
    rule = `${stabilized.rule}; wanted ${desired} by ${rule}`;
    desired = stabilized.replicas;
  }
  const stepped = applyStepLimits(current, desired, state.changes, now, options.policy);
  if (stepped.rule) {
    rule = stabilized.rule ? `${stepped.rule}; ${rule.slice(rule.indexOf('wanted'))}` : `${stepped.rule}; wanted ${desired} by ${rule}`;
    desired = stepped.replicas;
  }
  // Live need wins over the scale-up stages: they pace growth beyond what load needs now (a forecast's rise),
  // never the need itself. The step limits count Prescale's own recent scale-ups against the replicas running
  // now, so after someone scaled the workload down outside Prescale (40 -> 1) the period's start comes out
  // negative and the limit would hold 1 while load needs 38. `recommended` is at least min(live need, max).
  const liveFloor = Math.min(liveNeed, recommended);
  if (desired < liveFloor) {
    const heldBy = stepped.rule ?? stabilized.rule ?? 'the scale-up limits';
    record('heldBackTo', desired);
    rule = `live load ${fmt(load!)} needs ${liveFloor} (+${pct(liveMargin)}), above ${heldBy}; ${rule.slice(rule.indexOf('wanted'))}`;
    desired = liveFloor;
  }

  // 8. The fast loop reacts; it never scales in.
  if (input.loop === 'reactive' && desired < current) {
    desired = current;
    rule = `reactive loop holds ${current} (scale-in is the planning tick's)`;
  }
  // min and max are hard limits, also after step limits (e.g. when max was lowered below current).
  const bounded = Math.min(maxAllowed, Math.max(target.minReplicas, desired));
  if (bounded !== desired) {
    rule = bounded === target.minReplicas ? `min ${target.minReplicas}` : `max ${maxAllowed}`;
    desired = bounded;
  }

  // Replicas expected within the node lead window, for node-pool packing.
  let replicasAhead = desired;
  if (input.nodeLeadMs !== undefined && modeAssessment.sizing === 'forecast' && input.forecast) {
    const ahead = scaleWindow(forecastOverWindow(input.forecast, now, windowEnd + input.nodeLeadMs, q), level);
    if (!ahead.invalid && ahead.points > 0) {
      const peak = reference > 0 ? Math.min(ahead.peakQuantile, options.explosionFactor * reference) : ahead.peakQuantile;
      replicasAhead = Math.max(desired, Math.min(maxAllowed, replicasForLoad(peak * budgetMultiplier, cap, inputs.headroom ?? 0)));
    }
  }
  record('replicasAhead', replicasAhead);

  // Calibration: how the load that came compares with what the plan made one pod lead time ago sized for
  // this moment (the window's quantile, before headroom): the whole pipeline's error, window and level
  // correction included, so the headroom makes the capacity hold the load `coverage` percent of the time.
  let calibration = state.calibration ?? [];
  let planned = state.planned ?? [];
  if (input.loop === 'plan') {
    const basis = [...planned].reverse().find((p) => p.time <= now - input.podLeadMs);
    if (load !== null && basis && basis.load > 0) {
      const ratio = Math.min(load / basis.load, 10);
      calibration = [...calibration, Math.round(ratio * 1e4) / 1e4].slice(-options.calibrationSamples);
      record('calibrationRatio', ratio);
    }
    if (window && !window.invalid && window.points > 0) planned = [...planned, { time: now, load: Math.round(window.peakQuantile * 1e4) / 1e4 }];
    const keep = now - input.podLeadMs - 2 * intervalMs;
    const firstKept = planned.findIndex((p) => p.time >= keep);
    planned = firstKept <= 0 ? planned : planned.slice(firstKept - 1);
  }
  let nextLevel = state.level;
  if (input.loop === 'plan' && options.levelTimeConstantMs > 0 && load !== null && forecastNow && forecastNow.peakMean > 0) {
    const observed = clamp(level * (load / forecastNow.peakMean), 1 / options.maxLevelCorrection, options.maxLevelCorrection);
    // Age never negative: a state written at a later time (a replay restarted, a clock stepped back) must not blow up.
    const age = Math.max(0, now - (state.level?.at ?? now - intervalMs));
    const alpha = 1 - Math.exp(-Math.min(age, 6 * options.levelTimeConstantMs) / options.levelTimeConstantMs);
    nextLevel = { ratio: Math.round((level + alpha * (observed - level)) * 1e4) / 1e4, at: now };
  }

  const nextState = pruneState(
    {
      mode,
      recommendations: [...state.recommendations, { time: now, replicas: recommended }],
      // A forecast-only target never applies, so nothing changed for the step limits to count.
      changes: desired !== current && !target.forecastOnly ? [...state.changes, { time: now, from: current, to: desired }] : state.changes,
      reactiveUntil,
      calibration,
      planned,
      ...(nextLevel ? { level: nextLevel } : {}),
    },
    now,
    options.policy,
  );

  if (modeAssessment.reason) notes.unshift(modeAssessment.reason);
  return {
    desiredReplicas: desired,
    replicasAhead,
    state: nextState,
    decision: {
      target: `${target.namespace}/${target.name}`,
      time: now,
      mode,
      rule,
      previousReplicas: current,
      desiredReplicas: desired,
      applied: false,
      ...(target.nodePool ? { nodePool: target.nodePool } : {}),
      inputs,
      notes: notes.join('; '),
    },
  };
}
