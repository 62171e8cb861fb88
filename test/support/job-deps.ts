/**
 * JobDeps for tests that run some processors for real: the given config, clock, stores and extras, the
 * given cluster or else the simulated cluster built from the config, and stand-ins for what those processors do not touch (no models,
 * no training, no calendar, nothing to collect, always the leader). Left out: anything a test checks.
 */
import { SimulatedCluster } from '../../src/cluster/simulated-cluster.js';
import type { PrescaleConfig } from '../../src/config/schema.js';
import type { ReplayClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import type { JobDeps } from '../../jobs/deps.js';

export function testJobDeps(config: PrescaleConfig, clock: ReplayClock, deps: Pick<JobDeps, 'store' | 'state'> & Partial<JobDeps>): JobDeps {
  return {
    config,
    clock,
    logger: silentLogger,
    // Built only when none is given: a config with node pools needs the test's own seeded cluster.
    cluster: deps.cluster ?? SimulatedCluster.fromConfig(clock, config),
    models: { saveVersion: async () => ({ version: 1, promoted: true }), load: async () => null },
    train: async () => {
      throw new Error('training is not part of this test');
    },
    calendarEntries: async () => [],
    collect: async () => [],
    isLeader: () => true,
    ...deps,
  };
}
