import type { WorkloadState } from '../src/cluster/cluster.js';
import type { TargetConfig } from '../src/config/schema.js';
import { targetId } from '../src/config/targets.js';
import { decideHealing, DEFAULT_HEALING, probeHttp, readyRatioCheck, type HealingDecision } from '../src/scaling/self-healing.js';
import type { JobDeps } from './deps.js';
import { isNotLeader } from '../src/cluster/fenced-cluster.js';

/**
 * Runs a target's service check (HTTP probe, or the ready ratio of its pods), feeds the outcome to the pure
 * healing decision, and redeploys (rolling restart) when it says so — only from the Lease holder and never for
 * forecast-only targets. The consecutive-failure count and redeploy history live in Redis.
 */
export async function selfHeal(deps: JobDeps, target: TargetConfig, workload: WorkloadState): Promise<HealingDecision> {
  const check = target.serviceCheck!;
  const id = targetId(target);
  const now = deps.clock.now();
  const result = check.url
    ? await probeHttp(check.url, deps.fetch ?? ((url, init) => fetch(url, init)), check.timeout)
    : readyRatioCheck(workload, check.minReadyRatio);
  const previous = await deps.state.getHealingState(id);
  const decision = decideHealing(now, result, workload.rolloutInProgress, previous, { ...DEFAULT_HEALING, failureThreshold: check.failureThreshold });
  if (decision.action === 'redeploy') {
    if (target.forecastOnly || !deps.isLeader({ target: id })) {
      const why = target.forecastOnly ? 'forecast-only' : 'not the leader';
      await deps.state.setHealingState(id, { ...decision.state, redeploys: previous?.redeploys ?? [] });
      return { ...decision, action: 'hold', reason: `${decision.reason} (${why}: not applied)` };
    }
    try {
      await deps.cluster.restartWorkload({ namespace: target.namespace, name: target.name, kind: target.kind }, decision.reason);
    } catch (error) {
      // The fence (src/cluster/fenced-cluster.ts): leadership moved while the tick ran.
      if (!isNotLeader(error)) throw error;
      await deps.state.setHealingState(id, { ...decision.state, redeploys: previous?.redeploys ?? [] });
      return { ...decision, action: 'hold', reason: `${decision.reason} (not the leader: not applied, ${error.reason})` };
    }
    deps.logger.warn({ target: id, reason: decision.reason }, 'redeployed');
  }
  await deps.state.setHealingState(id, decision.state);
  return decision;
}
