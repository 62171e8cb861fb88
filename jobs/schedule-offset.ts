/**
 * Where in its period a recurring job falls due: a stable offset from the scheduler id, so the plan,
 * reactive and forecast ticks of 1,000 targets are spread over their period instead of all falling due in the
 * instant their schedulers were registered (bench:fleet: p99 plan lag 7.8 s from that burst alone). Stable, so
 * every scheduler replica upserts the same phase, and a restart keeps it.
 */
import { stableHash } from '../src/core/stable-hash.js';

export function scheduleOffsetMs(schedulerId: string, everyMs: number): number {
  if (everyMs <= 1) return 0;
  // In [1, every): BullMQ reads an offset of 0 as "none" (first run at once, then phased on the upsert instant).
  return 1 + (stableHash(schedulerId) % (everyMs - 1));
}
