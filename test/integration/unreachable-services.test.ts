/** Redis or InfluxDB down: a clear error that names the address and says a retry may help. */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { ReplayClock } from '../../src/core/clock.js';
import { ServiceError } from '../../src/core/errors.js';
import { silentLogger } from '../../src/core/logger.js';
import { connectRedis } from '../../src/core/redis.js';
import { createRuntime } from '../../src/runtime.js';
import { SimulatedCluster } from '../../src/cluster/simulated-cluster.js';
import { inject } from 'vitest';
import { freePort } from '../support/ports.js';

/** A loopback port nothing listens on. */
const closedPort = freePort;

describe('unreachable services', () => {
  it('Redis: a retryable ServiceError naming the address and how to start it', async () => {
    const port = await closedPort();
    const error = await connectRedis(`redis://127.0.0.1:${port}`, 1_500).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServiceError);
    expect((error as ServiceError).retryable).toBe(true);
    expect((error as Error).message).toMatch(new RegExp(`^redis at 127\\.0\\.0\\.1:${port}: .*services:start`));
  });

  it('InfluxDB: start-up fails with the address, and no Redis connection is left open', async () => {
    const port = await closedPort();
    const config = parseConfig({ influx: { url: `http://127.0.0.1:${port}` }, redis: { url: inject('redisUrl') }, targets: [{ name: 'web', load: { measurement: 'http', field: 'rps' }, capacityPerReplica: 10, maxReplicas: 5 }] }, {});
    const clock = new ReplayClock(0);
    const error = await createRuntime(config, { clock, logger: silentLogger, cluster: SimulatedCluster.fromConfig(clock, config), modelsDir: join(tmpdir(), 'prescale-unused') }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServiceError);
    expect((error as Error).message).toContain(`127.0.0.1:${port}`);
    expect((error as ServiceError).retryable).toBe(true);
  });
});
