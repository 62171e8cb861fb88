/**
 * The `oracle` policy: perfect foresight, the lower bound no real policy reaches. It reads the trace ahead
 * and asks for each pod exactly one pod start-up time (plus one tick, the replay's resolution) before the
 * load that needs it arrives, and for each node one node start-up time before those pods; it sizes at 100%
 * of a replica's capacity and removes capacity the moment no future load within the lead time needs it.
 */
import type { ScalingPolicy, SimEnv } from './environment.js';
import { maxDemandOver } from './trace.js';

export class OraclePolicy implements ScalingPolicy {
  readonly name = 'oracle';

  constructor(private readonly env: SimEnv) {}

  tick(now: number): string {
    const { cluster, ref, pool, trace, settings: s } = this.env;
    const podsFor = (load: number) => Math.min(s.maxReplicas, Math.max(s.minReplicas, Math.ceil(load / s.capacityPerReplica - 1e-9)));
    const replicas = podsFor(maxDemandOver(trace, now, now + s.podStartupMs + s.tickMs));
    if (replicas !== cluster.inspectWorkload(ref).desiredReplicas) cluster.setReplicas(ref, replicas);
    const snap = cluster.inspectNodePool(pool);
    if (snap.podsPerNode > 0) {
      const podsAhead = podsFor(maxDemandOver(trace, now, now + s.nodeStartupMs + s.podStartupMs + 2 * s.tickMs));
      const nodes = Math.max(Math.ceil(podsAhead / snap.podsPerNode), snap.nonEmptyNodes);
      if (nodes !== snap.desiredNodes) cluster.setNodes(pool, nodes);
    }
    return 'oracle';
  }
}
