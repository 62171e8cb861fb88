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
import { REQUIRED_HISTORY_DAYS } from './train.js';

export interface PlanResult {
  target: string;
  mode: string;
  from: number;
  to: number;
  applied: boolean;
  rule: string;
}

/** Live metrics older than this are treated as missing (the reactive path never acts on stale data). */
const LIVE_STALENESS_STEPS = 3;

/**
 * One planning (or reactive) tick for one target: gathers forecast, live metrics, calendar and cluster state,
 * lets the pure engine decide, applies the change when this process is the leader and the target is not
 * forecast-only, and records the decision either way.
 */
export function planProcessor(deps: JobDeps) {
  const leadTimes = leadTimeLookup(deps);
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

    const [workload, points, state, info, entries, liveLoad] = await Promise.all([
      deps.cluster.getWorkload(ref),
      deps.store.readForecast(id, at - step, windowEnd + step),
      deps.state.getScalingState(id),
      deps.state.getModelInfo(id),
      deps.calendarEntries(id),
      deps.store.latest({ measurement: target.load.measurement, field: target.load.field, tags: target.load.tags, at, lookbackMs: LIVE_STALENESS_STEPS * step }),
    ]);
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
    });
    const change = result.desiredReplicas !== workload.desiredReplicas;
    const mayApply = change && !target.forecastOnly && deps.isLeader();
    if (mayApply) await deps.cluster.scaleWorkload(ref, result.desiredReplicas);
    const decision = { ...result.decision, target: id, time: at, loop, applied: mayApply, previousReplicas: workload.desiredReplicas };
    const notes = [decision.notes];
    if (change && !mayApply) notes.push(target.forecastOnly ? 'forecast-only: not applied' : 'not the leader: not applied');
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
    if (intervention && mayApply) await deps.state.addIntervention(intervention);
    await deps.state.setScalingState(id, result.state);
    if (target.nodePool && loop === 'plan') await deps.state.setPlannedPods(id, { replicasAhead: result.replicasAhead ?? result.desiredReplicas, at });
    await deps.store.writeDecisions([decision]);
    await deps.published?.put({
      target: id,
      at,
      loop,
      actuation: target.actuation,
      mode: decision.mode,
      plannedReplicas: result.desiredReplicas,
      desiredReplicas: workload.desiredReplicas,
      readyReplicas: workload.readyReplicas,
      ...(result.replicasAhead !== undefined ? { replicasAhead: result.replicasAhead } : {}),
      quantile: target.quantile,
      podLeadMs,
      predictedNow: predictedLoadAt(forecast, at, target.quantile),
      predictedAhead: predictedLoadAt(forecast, at + podLeadMs, target.quantile),
      forecastIssuedAt: points[0]?.issuedAt ?? null,
      rule: decision.rule,
    });
    if (mayApply) deps.logger.info({ target: id, from: workload.desiredReplicas, to: result.desiredReplicas, rule: decision.rule, mode: decision.mode }, 'scaled');
    return { target: id, mode: decision.mode, from: workload.desiredReplicas, to: result.desiredReplicas, applied: mayApply, rule: decision.rule };
  };
}
