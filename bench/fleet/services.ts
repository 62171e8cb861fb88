/**
 * The bench's own redis-server and influxd on free loopback ports, with a temporary data dir, so that Redis
 * INFO commandstats and the InfluxDB load count only the fleet (the shared Redis on 6379 carries other work).
 * Started as the tests start theirs (test/support/own-services.ts, the same influxdb.conf template). Fails with
 * what to install when a binary is missing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ownInfluxd, ownRedis, requireBinary } from '../../test/support/own-services.js';

export interface FleetServices {
  redisUrl: string;
  influxUrl: string;
  redisPid: number;
  influxPid: number;
  /** Scratch space for configs, models and logs (removed by stop). */
  dir: string;
  stop(): Promise<void>;
}

export async function startFleetServices(): Promise<FleetServices> {
  requireBinary('redis-server', 'bench:fleet');
  requireBinary('influxd', 'bench:fleet');
  const dir = mkdtempSync(join(tmpdir(), 'prescale-fleet-'));
  const started = await Promise.allSettled([ownRedis(['--appendonly', 'no']), ownInfluxd()]);
  const [redisStart, influxStart] = started;
  if (redisStart.status === 'rejected' || influxStart.status === 'rejected') {
    // Stop whichever one did start, then say why the other did not.
    await Promise.all(started.map((s) => (s.status === 'fulfilled' ? s.value.dispose() : undefined)));
    rmSync(dir, { recursive: true, force: true });
    throw redisStart.status === 'rejected' ? redisStart.reason : (influxStart as PromiseRejectedResult).reason;
  }
  const [redis, influxd] = [redisStart.value, influxStart.value];
  return {
    redisUrl: redis.url,
    influxUrl: influxd.url,
    redisPid: redis.pid!,
    influxPid: influxd.pid!,
    dir,
    async stop() {
      await Promise.all([redis.dispose(), influxd.dispose()]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
