/**
 * Vitest globalSetup: starts a real redis-server and a real influxd on free loopback ports, with their own
 * temporary data dirs, for the whole test run. Fails loudly when either binary is missing: a green run
 * means the real services were exercised (scripts/services.sh install installs them).
 */
import type { TestProject } from 'vitest/node';
import { ownInfluxd, ownRedis, requireBinary } from './support/own-services.js';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  requireBinary('redis-server');
  requireBinary('influxd');
  // Started as a test's own services are (the same influxdb.conf template scripts/services.sh renders), for the run.
  const [redis, influxd] = await Promise.all([ownRedis(['--appendonly', 'no']), ownInfluxd()]);
  project.provide('redisUrl', redis.url);
  project.provide('influxUrl', influxd.url);
  return async () => {
    await Promise.all([redis.dispose(), influxd.dispose()]);
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
    influxUrl: string;
  }
}
