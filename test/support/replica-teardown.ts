/**
 * The teardown of the multi-process e2e tests (two-replicas, sharded-replicas): whatever state a failed test left
 * its service processes in (running or SIGSTOPped), resume and kill them, then remove what the run wrote: the
 * Kubernetes double, the Redis keys under its prefix, its InfluxDB database and its temporary folder.
 */
import { rmSync } from 'node:fs';
import { Redis } from 'ioredis';
import type { FakeKubeApi } from './fake-kube-api.js';
import type { ServiceProcess } from './service-process.js';

export interface ReplicaRun {
  timers: ReturnType<typeof setInterval>[];
  services: (ServiceProcess | undefined)[];
  fake: FakeKubeApi | undefined;
  redisUrl: string;
  prefix: string;
  influxUrl: string;
  database: string;
  dir: string;
}

export async function tearDownReplicaRun(run: ReplicaRun): Promise<void> {
  for (const t of run.timers) clearInterval(t);
  for (const service of run.services) {
    service?.signal('SIGCONT');
    service?.signal('SIGKILL');
  }
  await Promise.all(run.services.map((s) => s?.exited));
  await run.fake?.close();
  const redis = new Redis(run.redisUrl);
  const keys = await redis.keys(`${run.prefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
  await fetch(`${run.influxUrl}/query?q=${encodeURIComponent(`DROP DATABASE ${run.database}`)}`, { method: 'POST' });
  rmSync(run.dir, { recursive: true, force: true });
}
