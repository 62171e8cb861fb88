/**
 * A test's own redis-server or influxd, on a free loopback port with its own temporary data dir, so the test
 * can kill, stop and restart it (the shared ones from test/services.ts serve every other test and must stay
 * up). Restarts reuse the port and the data dir: what the service persisted is what the test gets back.
 *
 * Left out: anything but loopback, authentication, and clean-up of a process the test forgot (each test
 * calls `dispose()` in afterAll).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { REPO_ROOT } from '../../src/core/paths.js';
import { freePort } from './ports.js';

async function waitFor(check: () => Promise<boolean>, what: string, ms = 20_000): Promise<void> {
  const t0 = Date.now();
  while (Date.now() - t0 < ms) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what} did not answer within ${ms} ms`);
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve())));
}

/** Fails, saying what to install, when a service binary is missing (a spawn would only emit an unhandled error). */
export function requireBinary(binary: string, who = 'the tests'): void {
  if (spawnSync('sh', ['-c', `command -v ${binary}`]).status !== 0) {
    throw new Error(`${who} need ${binary}: run "bash scripts/services.sh install" (Debian packages redis-server, influxdb)`);
  }
}

export interface OwnService {
  url: string;
  /** The running process's pid (for /proc readings); undefined while stopped. */
  readonly pid: number | undefined;
  /** The data dir (AOF, WAL), kept across restarts. */
  dir: string;
  /** Starts the process (again, unless it runs) and waits until it answers. */
  start(): Promise<void>;
  /** Sends the signal and waits for the process to exit (SIGKILL: no shutdown, no final fsync). */
  stop(signal?: NodeJS.Signals): Promise<void>;
  dispose(): Promise<void>;
}

/**
 * One process the test owns: `spawnOne` starts it, `answers` says it serves. start/stop/dispose are the same
 * for every kind of service.
 */
async function ownProcess(dir: string, url: string, spawnOne: () => ChildProcess, answers: () => Promise<boolean>): Promise<OwnService> {
  let child: ChildProcess | null = null;
  const service: OwnService = {
    url,
    dir,
    get pid() {
      return child?.pid;
    },
    async start() {
      if (child) return; // running already
      child = spawnOne();
      await waitFor(answers, url);
    },
    async stop(signal = 'SIGTERM') {
      if (!child) return;
      const running = child;
      child = null;
      running.kill(signal);
      await exited(running);
    },
    async dispose() {
      await service.stop('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await service.start();
  return service;
}

/** redis-server with extra arguments (e.g. `--appendonly yes --appendfsync everysec`). */
export async function ownRedis(args: string[]): Promise<OwnService> {
  const dir = mkdtempSync(join(tmpdir(), 'prescale-own-redis-'));
  const port = await freePort();
  return ownProcess(
    dir,
    `redis://127.0.0.1:${port}`,
    () => spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', ...args], { stdio: 'ignore' }),
    async () => {
      const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, retryStrategy: () => null });
      // Refused while the server starts: connect() rejects, which is the answer; the event is not news.
      client.on('error', () => undefined);
      try {
        await client.connect();
        // Loading the AOF answers LOADING errors until done: wait for a real PONG.
        return (await client.ping()) === 'PONG';
      } finally {
        client.disconnect();
      }
    },
  );
}

/** influxd 1.x from scripts/influxdb.conf.template (as test/services.ts starts the shared one). */
export async function ownInfluxd(): Promise<OwnService> {
  const dir = mkdtempSync(join(tmpdir(), 'prescale-own-influxd-'));
  const [httpPort, rpcPort] = [await freePort(), await freePort()];
  const template = readFileSync(join(REPO_ROOT, 'scripts', 'influxdb.conf.template'), 'utf8');
  writeFileSync(join(dir, 'influxdb.conf'), template.replaceAll('@RPC_PORT@', String(rpcPort)).replaceAll('@HTTP_PORT@', String(httpPort)).replaceAll('@DATA_DIR@', dir));
  const url = `http://127.0.0.1:${httpPort}`;
  return ownProcess(dir, url, () => spawn('influxd', ['run', '-config', join(dir, 'influxdb.conf')], { stdio: 'ignore' }), async () => (await fetch(`${url}/ping`)).status === 204);
}
