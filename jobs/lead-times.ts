import type { NodePoolConfig, TargetConfig } from '../src/config/schema.js';
import { targetId } from '../src/config/targets.js';
import { chooseLeadTime, type LeadTime } from '../src/scaling/lead-time.js';
import type { JobDeps } from './deps.js';

/** Measured samples are re-read this often: listing pods and nodes every 15 s tick would load the API server. */
const REFRESH_MS = 5 * 60_000;

/**
 * Lead times for planning: the configured value until the cluster has reported enough samples, then the
 * measured percentile (scaling/lead-time.ts). Samples are cached per process for REFRESH_MS of clock time.
 */
export function leadTimeLookup(deps: Pick<JobDeps, 'clock' | 'leadTimes' | 'logger'>) {
  const cache = new Map<string, { at: number; samples: number[] }>();
  async function samples(key: string, read: () => Promise<number[]>): Promise<number[]> {
    const now = deps.clock.now();
    const hit = cache.get(key);
    if (hit && now - hit.at < REFRESH_MS) return hit.samples;
    let fresh: number[] = hit?.samples ?? [];
    try {
      fresh = await read();
    } catch (error) {
      // Lead times are an optimisation: plan with the last known (or configured) value rather than fail the tick.
      deps.logger.warn({ key, err: (error as Error).message }, 'could not read lead-time samples');
    }
    cache.set(key, { at: now, samples: fresh });
    return fresh;
  }
  return {
    async pod(target: TargetConfig): Promise<LeadTime> {
      const observer = deps.leadTimes;
      const ref = { namespace: target.namespace, name: target.name, kind: target.kind };
      const measured = observer ? await samples(`pod:${targetId(target)}`, () => observer.podStartupSamples(ref)) : [];
      return chooseLeadTime(target.podStartup, measured);
    },
    async node(pool: NodePoolConfig): Promise<LeadTime> {
      const observer = deps.leadTimes;
      const measured = observer ? await samples(`node:${pool.name}`, () => observer.nodeProvisioningSamples(pool.name)) : [];
      return chooseLeadTime(pool.provisioning, measured);
    },
  };
}
