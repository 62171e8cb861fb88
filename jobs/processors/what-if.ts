import { UnrecoverableError, type Job } from 'bullmq';
import { findNodePool, findTarget, targetId } from '../../src/config/targets.js';
import { InputError } from '../../src/core/errors.js';
import { whatIfId } from '../../src/what-if/what-if-id.js';
import { runWhatIf, type WhatIfSettings } from '../../src/what-if/what-if.js';
import type { JobDeps } from '../deps.js';
import { readHistory } from '../history.js';
import { leadTimeLookup } from '../lead-times.js';
import type { JobPayload } from '../queues.js';
import { budgetControlled } from '../../src/scaling/budget-observation.js';

/** Wall-time budget of one what-if run, ms: a replay that takes longer is stopped and the run fails. */
export const WHAT_IF_BUDGET_MS = 5 * 60_000;
/** Node start-up the simulator assumes for a target without a node pool, ms (the simulator's default). */
const DEFAULT_NODE_STARTUP_MS = 210_000;
const DAY_MS = 86_400_000;

export interface WhatIfJobResult {
  id: string;
  /** True when the result was in the cache already (another worker finished the same run). */
  cached: boolean;
}

/**
 * Replays a target's stored load of the `days` before `endMs` under the prescale, HPA and oracle policies
 * (src/what-if/what-if.ts) and caches the result under the run id. The training history before those days
 * (config.history) is read too, so the prescale policy forecasts from the first replayed step as the service
 * would. Progress goes to job.updateProgress (0..1); the run is stopped after its time budget.
 */
export function whatIfProcessor(deps: JobDeps) {
  const leadTimes = leadTimeLookup(deps);
  return async (job: Job<JobPayload<'what-if'>>): Promise<WhatIfJobResult> => {
    const { days, endMs } = job.data;
    const target = findTarget(deps.config, job.data.target);
    const cache = deps.whatIf?.cache;
    if (!cache) throw new UnrecoverableError('what-if: this worker has no result cache configured');
    const id = whatIfId({ namespace: target.namespace, name: target.name, days, endMs });
    if (await cache.get(id)) return { id, cached: true };

    const step = deps.config.step;
    const fromMs = endMs - days * DAY_MS;
    const series = await readHistory(deps.store, target.load, fromMs - deps.config.history, endMs, step);
    const seriesEnd = series ? series.startMs + series.values.length * step : 0;
    if (!series || seriesEnd <= fromMs) throw new InputError(`no stored load between ${new Date(fromMs).toISOString()} and ${new Date(endMs).toISOString()}`, 'target');

    const pool = target.nodePool ? findNodePool(deps.config, target.nodePool) : null;
    const [podLead, nodeLead] = await Promise.all([leadTimes.pod(target), pool ? leadTimes.node(pool) : null]);
    const settings: WhatIfSettings = {
      capacityPerReplica: target.capacityPerReplica,
      targetUtilization: target.targetUtilization,
      minReplicas: target.minReplicas,
      maxReplicas: target.maxReplicas,
      quantile: target.quantile,
      ...(budgetControlled(target) ? { underProvisionedBudget: target.underProvisionedBudget } : {}),
      podStartupMs: podLead.ms,
      nodeStartupMs: nodeLead?.ms ?? DEFAULT_NODE_STARTUP_MS,
      planEveryMs: deps.config.schedule.plan,
      forecastEveryMs: deps.config.schedule.forecast,
      retrainEveryMs: deps.config.schedule.train,
      historyMs: deps.config.history,
    };
    const budgetMs = deps.whatIf?.budgetMs ?? WHAT_IF_BUDGET_MS;
    let reported = 0;
    try {
      const result = await runWhatIf(
        id,
        { target: targetId(target), days, series, fromMs: Math.max(fromMs, series.startMs), toMs: endMs, settings },
        {
          signal: AbortSignal.timeout(budgetMs),
          // A Redis write per simulated day at most; a failed progress write must not fail the run.
          onProgress: (fraction) => {
            if (fraction < 1 && fraction - reported < 0.01) return;
            reported = fraction;
            job.updateProgress(Math.round(fraction * 1000) / 1000).catch((error: unknown) => deps.logger.warn({ id, err: (error as Error).message }, 'what-if progress not recorded'));
          },
        },
      );
      await cache.set(result);
      deps.logger.info({ id, wallMs: result.wallMs }, 'what-if done');
      return { id, cached: false };
    } catch (error) {
      if ((error as Error).name === 'TimeoutError') throw new UnrecoverableError(`what-if ${id} stopped: over its time budget of ${budgetMs / 1000} s`);
      throw error;
    }
  };
}
