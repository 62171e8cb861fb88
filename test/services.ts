/**
 * Vitest globalSetup: starts a real redis-server and a real influxd on free loopback ports, with their own
 * temporary data dirs, for the whole test run. Fails loudly when either binary is missing: a green run
 * means the real services were exercised (scripts/services.sh install installs them).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { REPO_ROOT } from '../src/core/paths.js';
import { freePort } from './support/ports.js';

async function waitFor(check: () => Promise<boolean>, what: string, ms = 20_000): Promise<void> {
  const t0 = Date.now();
  while (Date.now() - t0 < ms) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what} did not start within ${ms} ms`);
}

function requireBinary(binary: string): void {
  if (spawnSync('sh', ['-c', `command -v ${binary}`]).status !== 0) {
    throw new Error(`${binary} is not installed: run "bash scripts/services.sh install" (Debian packages redis-server, influxdb)`);
  }
}

const processes: ChildProcess[] = [];

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  requireBinary('redis-server');
  requireBinary('influxd');
  const dir = mkdtempSync(join(tmpdir(), 'prescale-test-'));
  const [redisPort, httpPort, rpcPort] = [await freePort(), await freePort(), await freePort()];
  processes.push(
    spawn('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' }),
  );
  // The same config template scripts/services.sh renders, with this run's ports and data dir.
  const template = readFileSync(join(REPO_ROOT, 'scripts', 'influxdb.conf.template'), 'utf8');
  writeFileSync(
    join(dir, 'influxdb.conf'),
    template.replaceAll('@RPC_PORT@', String(rpcPort)).replaceAll('@HTTP_PORT@', String(httpPort)).replaceAll('@DATA_DIR@', dir),
  );
  processes.push(spawn('influxd', ['run', '-config', join(dir, 'influxdb.conf')], { stdio: 'ignore' }));
  await waitFor(async () => (await fetch(`http://127.0.0.1:${httpPort}/ping`)).status === 204, `influxd on 127.0.0.1:${httpPort}`);
  const { Redis } = await import('ioredis');
  await waitFor(async () => {
    const client = new Redis({ port: redisPort, host: '127.0.0.1', lazyConnect: true, retryStrategy: () => null });
    try {
      await client.connect();
      return (await client.ping()) === 'PONG';
    } finally {
      client.disconnect();
    }
  }, `redis-server on 127.0.0.1:${redisPort}`);
  project.provide('redisUrl', `redis://127.0.0.1:${redisPort}`);
  project.provide('influxUrl', `http://127.0.0.1:${httpPort}`);
  return async () => {
    for (const p of processes) p.kill('SIGTERM');
    await Promise.all(processes.map((p) => new Promise((r) => (p.exitCode !== null ? r(null) : p.once('exit', r)))));
    rmSync(dir, { recursive: true, force: true });
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
    influxUrl: string;
  }
}
