import type { Job } from 'bullmq';
import { poolSubjectId } from '../../src/config/subjects.js';
import { findNodePool, targetId } from '../../src/config/targets.js';
import { forecastFromPoints } from '../../src/forecasting/stored-forecast.js';
import type { ScalingDecision } from '../../src/metrics/metrics-store.js';
import { planNodePool, type PodDemand } from '../../src/scaling/node-pool.js';
import { applyOnce } from '../apply-once.js';
import type { JobDeps } from '../deps.js';
import { leadTimeLookup } from '../lead-times.js';
import type { JobPayload } from '../queues.js';

/** Planned pods older than this are stale (their target's planning has stopped): fall back to what runs. */
const PLANNED_PODS_MAX_AGE_MS = 10 * 60_000;

export interface PlanPoolResult {
  pool: string;
  from: number;
  to: number;
  applied: boolean;
  rule: string;
}

/**
 * Node capacity for one pool: packs the pods every target of the pool planned for the node lead window,
 * adds reactive capacity for pending pods, and drives the pool through its configured driver (leader only,
 * never for driver "none"). Records the decision under target `nodepool/<name>`.
 */
export function planPoolProcessor(deps: JobDeps) {
  const leadTimes = leadTimeLookup(deps);
  return async (job: Job<JobPayload<'plan-pool'>>): Promise<PlanPoolResult> => {
    const { at } = job.data;
    // An unknown target is bad input: an InputError, which the worker turns into UnrecoverableError (no retries).
    const pool = findNodePool(deps.config, job.data.pool);
    const targets = deps.config.targets.filter((t) => t.nodePool === pool.name);
    const demands: PodDemand[] = await Promise.all(
      targets.map(async (t) => {
        const id = targetId(t);
        const planned = await deps.state.getPlannedPods(id);
        const fresh = planned && at - planned.at <= PLANNED_PODS_MAX_AGE_MS ? planned.replicasAhead : null;
        const replicas = fresh ?? (await deps.cluster.getWorkload({ namespace: t.namespace, name: t.name, kind: t.kind })).desiredReplicas;
        return { workload: id, replicas, requests: t.podRequests! };
      }),
    );
    // Node hardware metrics (utilisation 0..1 across the pool), live and forecast, when the pool names them.
    const step = deps.config.step;
    const storedForecast = async (subject: string, leadMs: number) =>
      forecastFromPoints((await deps.store.readForecast(subject, at - step, at + leadMs + deps.config.schedule.plan + 2 * step)).filter((p) => p.time + step > at), step);
    const live = (metric: typeof pool.cpu) =>
      metric ? deps.store.latest({ measurement: metric.measurement, field: metric.field, tags: metric.tags, at, lookbackMs: 3 * deps.config.step }).then((p) => p?.value ?? null) : Promise.resolve(null);
    const [cluster, state, nodeLead, liveCpu, liveMemory] = await Promise.all([
      deps.cluster.getNodePool(pool.name),
      deps.state.getPoolState(pool.name),
      leadTimes.node(pool),
      live(pool.cpu),
      live(pool.memory),
    ]);
    const plan = planNodePool({
      now: at,
      pool,
      cluster,
      demands,
      nodeLeadMs: nodeLead.ms,
      intervalMs: deps.config.schedule.plan,
      state,
      liveCpu,
      liveMemory,
      cpuForecast: pool.cpu ? await storedForecast(poolSubjectId(pool.name, 'cpu'), nodeLead.ms) : null,
      memoryForecast: pool.memory ? await storedForecast(poolSubjectId(pool.name, 'memory'), nodeLead.ms) : null,
    });
    const change = plan.desiredNodes !== cluster.desiredNodes;
    const mayApply = change && pool.driver.type !== 'none' && deps.isLeader({ pool: pool.name });
    const outcome = mayApply ? await applyOnce(deps, job, { subject: `nodepool/${pool.name}`, value: plan.desiredNodes }, () => deps.cluster.scaleNodePool(pool.name, plan.desiredNodes)) : null;
    const applied = outcome?.applied === true;
    // The pool state is the leader's (see plan.ts): a refused or non-leading tick records its decision only.
    if (pool.driver.type === 'none' || (outcome ? outcome.applied : deps.isLeader({ pool: pool.name }))) await deps.state.setPoolState(pool.name, plan.state);
    const pods = demands.reduce((sum, d) => sum + d.replicas, 0);
    const decision: ScalingDecision = {
      target: `nodepool/${pool.name}`,
      time: at,
      mode: 'predictive',
      rule: plan.rule,
      previousReplicas: pods,
      desiredReplicas: pods,
      applied,
      nodePool: pool.name,
      previousNodes: cluster.desiredNodes,
      desiredNodes: plan.desiredNodes,
      inputs: plan.inputs,
      ...(plan.notes.length > 0 || (change && !applied) ? { notes: [...plan.notes, ...(outcome && !outcome.applied ? [outcome.reason] : []), ...(change && !mayApply ? [pool.driver.type === 'none' ? 'driver none: not applied' : 'not the leader: not applied'] : [])].join('; ') } : {}),
    };
    await deps.store.writeDecisions([decision]);
    return { pool: pool.name, from: cluster.desiredNodes, to: plan.desiredNodes, applied, rule: plan.rule };
  };
}
