import type { Job } from 'bullmq';
import { findNodePool, findTarget, targetId } from '../../src/config/targets.js';
import { forecastFromPoints } from '../../src/forecasting/stored-forecast.js';
import type { LiveMetrics, ModelHealth, TickResult } from '../../src/scaling/engine.js';
import { planTick } from '../../src/scaling/planner.js';
import type { JobDeps } from '../deps.js';
import { leadTimeLookup } from '../lead-times.js';
import { selfHeal } from '../self-heal.js';
import { calendarEffectsForTick } from '../../src/scaling/calendar.js';
import { interventionFromDecision } from '../../src/scaling/learned-actions.js';
import type { JobPayload } from '../queues.js';
import { predictedLoadAt } from '../../src/publish/published-plan.js';
import { assessActuation, PLANNED_REPLICAS_METRIC } from '../../src/scaling/actuation.js';
import type { ScalingDecision } from '../../src/metrics/metrics-store.js';
import { autoscalerLookup } from '../autoscaler-lookup.js';
import { REQUIRED_HISTORY_DAYS } from './train.js';
import { SCALING_EVENTS, type ScalingEvent } from '../../src/observability/event-counters.js';
import { applyOnce } from '../apply-once.js';
import { readPlanForecast, readPlanLiveLoad } from '../plan-inputs.js';
import { recordFailedApply } from '../apply-failure.js';
import { budgetControlled, decisionBudget, observeTick, targetBudgetConfig } from '../../src/scaling/budget-observation.js';
import { budgetReport, headroomFor, initialBudgetState, observe } from '../../src/scaling/error-budget.js';
import { DEFAULT_PLANNER } from '../../src/scaling/planner.js';

export interface PlanResult {
  target: string;
  mode: string;
  from: number;
  to: number;
  applied: boolean;
  /** hpa/keda actuation: the change was published for the HPA / KEDA to apply. */
  published: boolean;
  rule: string;
}

/** Live metrics older than this are treated as missing (the reactive path never acts on stale data). */
const LIVE_STALENESS_STEPS = 3;

/**
 * One planning (or reactive) tick for one target: gathers forecast, live metrics, calendar and cluster state,
 * lets the pure engine decide, applies the change when this process is the leader and the target is not
 * forecast-only, and records the decision either way.
 *
 * Actuation (targets[].actuation, src/scaling/actuation.ts): `direct` patches the scale subresource unless
 * another autoscaler (HPA, ScaledObject) scales the workload: then the mode is `conflict` and nothing is
 * patched. `hpa` / `keda` never patch: the tick's plan is published (deps.published) for the workload's HPA or
 * ScaledObject to apply, and the decision says `published` where direct mode says `applied`.
 */
export function planProcessor(deps: JobDeps) {
  const leadTimes = leadTimeLookup(deps);
  const autoscalers = autoscalerLookup(deps);
  return async (job: Job<JobPayload<'plan'>>): Promise<PlanResult> => {
    const { at, loop } = job.data;
    // An unknown target is bad input: an InputError, which the worker turns into UnrecoverableError (no retries).
    const target = findTarget(deps.config, job.data.target);
    const id = targetId(target);
    const ref = { namespace: target.namespace, name: target.name, kind: target.kind };
    const step = deps.config.step;
    const pool = target.nodePool ? findNodePool(deps.config, target.nodePool) : undefined;
    const [podLead, nodeLead] = await Promise.all([leadTimes.pod(target), pool ? leadTimes.node(pool) : null]);
    const podLeadMs = podLead.ms;
    const windowEnd = at + podLeadMs + deps.config.schedule.plan + step;

    // The metrics store reads fall back to what Redis kept when InfluxDB does not answer (plan-inputs.ts).
    const budgeted = budgetControlled(target);
    const [workload, forecastRead, state, info, entries, liveRead, listing, storedBudget] = await Promise.all([
      deps.cluster.getWorkload(ref),
      readPlanForecast(deps, id, at - step, windowEnd + step, at),
      deps.state.getScalingState(id),
      deps.state.getModelInfo(id),
      deps.calendarEntries(id),
      readPlanLiveLoad(deps, target, at, LIVE_STALENESS_STEPS * step),
      autoscalers(ref.namespace),
      budgeted ? deps.state.getBudgetState(id) : null,
    ]);
    const points = forecastRead.points;
    const liveLoad = liveRead.sample;
    const calendar = calendarEffectsForTick(entries, id, at, windowEnd - at);
    // The forecast step that contains `at` starts at or before it: keep it so the window starts now.
    const forecast = forecastFromPoints(points.filter((p) => p.time + step > at), step);
    const live: LiveMetrics = { load: liveLoad ? liveLoad.value : null, at: liveLoad ? liveLoad.time : at };
    // Seasonal naive as champion is the baseline itself: "must beat seasonal naive" does not apply to it.
    const comparable = info !== null && info.kind !== 'snaive' && info.backtestMase !== undefined && info.naiveMase !== undefined;
    const model: ModelHealth = {
      model: info && info.kind !== 'none' ? info.description : null,
      trainedAt: info?.trainedAt ?? null,
      ...(comparable ? { backtestMase: info.backtestMase!, naiveMase: info.naiveMase! } : {}),
      historyDays: info?.historyDays ?? 0,
      requiredHistoryDays: info?.requiredHistoryDays ?? REQUIRED_HISTORY_DAYS,
    };
    // The error budget (unless targets[].quantile overrides it): a planning tick measures whether the target ran
    // short of capacity from what it just read, the controller learns from it, and the tick sizes with the
    // controller's multiplier. A reactive tick sizes with the same multiplier and measures nothing.
    const budgetConfig = budgeted ? targetBudgetConfig(target) : null;
    const planIntervalMs = deps.config.schedule.plan;
    let budgetState = budgetConfig ? (storedBudget ?? initialBudgetState(budgetConfig, at - planIntervalMs)) : null;
    const observation =
      budgetConfig && budgetState && loop === 'plan'
        ? observeTick({ at, load: live.load, loadAt: live.at, readyReplicas: workload.readyReplicas, capacityPerReplica: target.capacityPerReplica, maxLiveAgeMs: DEFAULT_PLANNER.maxLiveAgeMs, planIntervalMs, lastObservedAt: budgetState.lastAt })
        : null;
    if (budgetConfig && budgetState && observation) budgetState = observe(budgetState, budgetConfig, observation);
    const budgetSizing = budgetConfig && budgetState ? headroomFor(budgetState, budgetConfig, { at }) : null;
    const result: TickResult = planTick({
      now: at,
      target,
      ...(pool ? { nodePool: pool } : {}),
      workload,
      forecast,
      live,
      calendar,
      model,
      podLeadMs,
      planIntervalMs: deps.config.schedule.plan,
      ...(nodeLead ? { nodeLeadMs: nodeLead.ms } : {}),
      state,
      loop,
      recentPeakLoad: info?.peakLoad ?? null,
      ...(budgetSizing ? { budget: { multiplier: budgetSizing.multiplier } } : {}),
    });
    const { actuation } = target;
    const direct = actuation === 'direct';
    const check = assessActuation({ actuation, ref, listing });
    // A forecast-only target never writes, so another autoscaler is worth a note there, not a mode.
    const conflict = target.forecastOnly ? null : check.conflict;
    // hpa/keda: spec.replicas lags what was published (the HPA applies it on its own sync), so a reactive tick
    // raises the last published plan and never lowers it; only a planning tick may.
    const last = !direct && loop === 'reactive' ? await deps.published?.get(id) : undefined;
    const previous = last?.actuation === actuation ? last : undefined;
    const planned = previous ? Math.max(result.desiredReplicas, previous.plannedReplicas) : result.desiredReplicas;
    const change = planned !== workload.desiredReplicas;
    const acting = !target.forecastOnly && deps.isLeader({ target: id });
    const mayApply = change && direct && conflict === null && acting;
    const publishing = change && !direct && acting && deps.published !== undefined;
    // At most once per tick, and only while the Lease is still ours at the moment of the patch (apply-once.ts).
    const outcome = mayApply
      ? await applyOnce(deps, job, { subject: id, value: planned }, () => deps.cluster.scaleWorkload(ref, planned)).catch((error: unknown) =>
          // The log says what the API server did before the job retries (apply-failure.ts).
          recordFailedApply(deps, { ...result.decision, mode: result.decision.mode, target: id, time: at, loop, desiredReplicas: planned, applied: false, actuation, published: false, previousReplicas: workload.desiredReplicas }, error),
        )
      : null;
    const applied = outcome?.applied === true;
    // Shared state (scaling state, planned pods, published plan, event counters) is the leader's: a tick that ran
    // in a process which was not leading by then, or whose apply was refused (fence, tick already applied), records
    // its decision only. Otherwise its unapplied change would count in the leader's step limits and windows.
    let ownsState = target.forecastOnly || (acting && (outcome === null || outcome.applied));
    // Asked again right before those writes when this tick applied nothing (an applied patch was fenced a moment
    // ago): the tick may have outlasted the Lease (a slow InfluxDB or API server, a paused process). In hpa/keda
    // mode the published plan is what the HPA or ScaledObject applies, changed or not, so it is fenced like a
    // patch: the local bound and the Lease read back (deps.fence).
    let refused: string | null = null;
    if (ownsState && !target.forecastOnly && outcome === null) {
      const verdict = !direct && deps.fence ? await deps.fence({ target: id }) : deps.isLeader({ target: id }) ? null : { held: false as const, reason: 'the lease was lost while the tick ran' };
      if (verdict && !verdict.held) {
        ownsState = false;
        refused = verdict.reason;
      }
    }
    const published = publishing && refused === null;
    const decision: ScalingDecision = {
      ...result.decision,
      mode: conflict ? 'conflict' : result.decision.mode,
      target: id,
      time: at,
      loop,
      desiredReplicas: planned,
      applied,
      actuation,
      published,
      previousReplicas: workload.desiredReplicas,
      ...(budgetConfig && budgetState ? { budget: decisionBudget(budgetReport(budgetState, budgetConfig, at)) } : {}),
    };
    if (observation) decision.inputs = { ...decision.inputs, budgetShortMinutes: observation.shortMinutes, budgetObservedMinutes: observation.minutes };
    // Written right after the fence above, before anything slow (the decision goes to InfluxDB below).
    if (ownsState) await deps.published?.put({
      target: id,
      at,
      loop,
      actuation: target.actuation,
      mode: decision.mode,
      plannedReplicas: planned,
      desiredReplicas: workload.desiredReplicas,
      readyReplicas: workload.readyReplicas,
      ...(result.replicasAhead !== undefined ? { replicasAhead: Math.max(result.replicasAhead, planned) } : {}),
      quantile: target.quantile,
      ...(decision.budget && budgetSizing ? { budget: { ...decision.budget, multiplier: budgetSizing.multiplier } } : {}),
      podLeadMs,
      predictedNow: predictedLoadAt(forecast, at, target.quantile),
      predictedAhead: predictedLoadAt(forecast, at + podLeadMs, target.quantile),
      forecastIssuedAt: points[0]?.issuedAt ?? null,
      rule: decision.rule,
      ...(conflict ? { conflict } : {}),
      ...(check.warnings.length > 0 ? { actuationWarnings: check.warnings } : {}),
    });
    const notes = [conflict?.reason, decision.notes, ...forecastRead.notes, ...liveRead.notes];
    // Retries and re-reads on the way to the cluster (src/kube/kube-actuator.ts), when there were any.
    if (outcome?.applied && outcome.result) notes.push(...outcome.result.notes);
    if (previous && planned > result.desiredReplicas) notes.push(`held at ${planned}, published at ${new Date(previous.at).toISOString()} (a reactive tick only raises the published plan)`);
    if (published) notes.push(actuation === 'hpa' ? `published for the HPA (external metric ${PLANNED_REPLICAS_METRIC})` : 'published for KEDA (metrics-api scaler)');
    if (outcome && !outcome.applied) notes.push(outcome.reason);
    if (refused) notes.push(`not the leader: ${direct ? 'scaling state not written' : 'not published'} (${refused})`);
    else if (change && !mayApply && !published && !conflict) notes.push(`${target.forecastOnly ? 'forecast-only' : 'not the leader'}: not ${direct ? 'applied' : 'published'}`);
    if (target.forecastOnly && check.conflict) notes.push(check.conflict.reason);
    notes.push(...check.warnings);
    if (podLead.source === 'measured') notes.push(`pod lead time ${podLead.description}`);
    if (loop === 'reactive' && target.serviceCheck) {
      const healing = await selfHeal(deps, target, workload);
      notes.push(healing.reason);
      decision.inputs = { ...decision.inputs, checkFailures: healing.state.consecutiveFailures, redeployed: healing.action === 'redeploy' ? 1 : 0, ...(healing.alert ? { alertRedeployBudget: 1 } : {}) };
    }
    const joined = notes.filter(Boolean).join('; ');
    if (joined) decision.notes = joined;
    // Reactive scale-ups are remembered: recurring ones become suggested calendar floors (train job).
    const intervention = interventionFromDecision(decision);
    if (intervention && (applied || published)) await deps.state.addIntervention(intervention);
    if (ownsState) await deps.state.setScalingState(id, { ...result.state, mode: decision.mode });
    // The controller's state is the leader's like the scaling state; only a tick that observed something changed it.
    if (ownsState && budgetState && observation) await deps.state.setBudgetState(id, budgetState);
    if (ownsState && target.nodePool && loop === 'plan') await deps.state.setPlannedPods(id, { replicasAhead: result.replicasAhead ?? result.desiredReplicas, at });
    await deps.store.writeDecisions([decision]);
    // Counted once the decision is recorded (a retried tick that failed before this point counts once).
    const events: ScalingEvent[] = [];
    // A breach seen and replicas up (the rule may name a later stage, e.g. "max 8 (wanted 15)").
    if (decision.inputs['breachReplicas'] !== undefined && decision.desiredReplicas > decision.previousReplicas) events.push(SCALING_EVENTS.reactiveTrigger);
    if (decision.inputs['alertAboveMax']) events.push(SCALING_EVENTS.forecastAboveMax);
    if (ownsState && events.length > 0) await deps.events?.increment(id, events);
    if (applied || published) deps.logger.info({ target: id, job: job.id, from: workload.desiredReplicas, to: planned, rule: decision.rule, mode: decision.mode, actuation }, applied ? 'scaled' : 'published');
    return { target: id, mode: decision.mode, from: workload.desiredReplicas, to: planned, applied, published, rule: decision.rule };
  };
}
