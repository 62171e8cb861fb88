/**
 * The plan job's view of the other autoscalers in a namespace (HPAs, KEDA ScaledObjects), cached per
 * namespace for AUTOSCALER_CHECK_TTL_MS of clock time: a 15 s tick for each of hundreds of targets must not
 * list them every time; one pair of list calls per namespace per minute serves every target in it, and an
 * HPA created or deleted shows within a minute.
 *
 * A failed listing never fails the tick: the last good listing is used (a conflict seen before stays a
 * conflict), or, without one, the listing is "unchecked" and src/scaling/actuation.ts turns that into a
 * warning. Left out: watching HPAs (a watch per namespace would be faster to notice but is one more
 * long-lived connection per namespace for a fact that changes rarely).
 */
import type { AutoscalerListing } from '../src/cluster/cluster.js';
import { TtlCache } from '../src/core/ttl-cache.js';
import type { JobDeps } from './deps.js';

export const AUTOSCALER_CHECK_TTL_MS = 60_000;

export function autoscalerLookup(deps: Pick<JobDeps, 'clock' | 'cluster' | 'logger'>, ttlMs = AUTOSCALER_CHECK_TTL_MS) {
  const cache = new TtlCache<string, AutoscalerListing>(deps.clock, ttlMs);
  return (namespace: string): Promise<AutoscalerListing> =>
    cache.get(
      namespace,
      () => deps.cluster.listAutoscalers(namespace),
      (error, lastGood) => {
        const message = (error as Error).message;
        deps.logger.warn({ namespace, err: message }, 'could not list autoscalers');
        if (lastGood) return { autoscalers: lastGood.autoscalers, unchecked: [...lastGood.unchecked, `listing failed, using the previous one: ${message}`] };
        return { autoscalers: [], unchecked: [`listing failed: ${message}`] };
      },
    );
}
