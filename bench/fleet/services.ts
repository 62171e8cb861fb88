/**
 * The bench's own redis-server and influxd on free loopback ports, with a temporary data dir, so that Redis
 * INFO commandstats and the InfluxDB load count only the fleet (the shared Redis on 6379 carries other work).
 * Started the way test/services.ts starts them (the same influxdb.conf template). Fails with what to install
 * when a binary is missing.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { REPO_ROOT } from '../../src/core/paths.js';
import { freePort } from '../../test/support/ports.js';

export interface FleetServices {
  redisUrl: string;
  influxUrl: string;
  redisPid: number;
  influxPid: number;
  /** Scratch space for configs, models and logs (removed by stop). */
  dir: string;
  stop(): Promise<void>;
}

function requireBinary(binary: string): void {
  if (spawnSync('sh', ['-c', `command -v ${binary}`]).status !== 0) {
    throw new Error(`bench:fleet needs ${binary}: run "bash scripts/services.sh install" (Debian packages redis-server, influxdb)`);
  }
}

async function waitFor(check: () => Promise<boolean>, what: string, ms = 30_000): Promise<void> {
  const t0 = Date.now();
  while (Date.now() - t0 < ms) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not answer within ${ms / 1000} s`);
}

export async function startFleetServices(): Promise<FleetServices> {
  requireBinary('redis-server');
  requireBinary('influxd');
  const dir = mkdtempSync(join(tmpdir(), 'prescale-fleet-'));
  const [redisPort, httpPort, rpcPort] = [await freePort(), await freePort(), await freePort()];
  const children: ChildProcess[] = [];
  const redis = spawn('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
  children.push(redis);
  const template = readFileSync(join(REPO_ROOT, 'scripts', 'influxdb.conf.template'), 'utf8');
  writeFileSync(join(dir, 'influxdb.conf'), template.replaceAll('@RPC_PORT@', String(rpcPort)).replaceAll('@HTTP_PORT@', String(httpPort)).replaceAll('@DATA_DIR@', dir));
  const influx = spawn('influxd', ['run', '-config', join(dir, 'influxdb.conf')], { stdio: 'ignore' });
  children.push(influx);
  const stop = async () => {
    for (const child of children) child.kill('SIGTERM');
    await Promise.all(children.map((c) => new Promise((r) => (c.exitCode !== null || c.signalCode !== null ? r(null) : c.once('exit', r)))));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(async () => (await fetch(`http://127.0.0.1:${httpPort}/ping`)).status === 204, `influxd on 127.0.0.1:${httpPort}`);
    await waitFor(async () => {
      const client = new Redis({ port: redisPort, host: '127.0.0.1', lazyConnect: true, retryStrategy: () => null });
      try {
        await client.connect();
        return (await client.ping()) === 'PONG';
      } finally {
        client.disconnect();
      }
    }, `redis-server on 127.0.0.1:${redisPort}`);
  } catch (error) {
    await stop();
    throw error;
  }
  return { redisUrl: `redis://127.0.0.1:${redisPort}`, influxUrl: `http://127.0.0.1:${httpPort}`, redisPid: redis.pid!, influxPid: influx.pid!, dir, stop };
}
