/**
 * Prescale runs on a read-only root filesystem (deploy/: readOnlyRootFilesystem, compose read_only) with two
 * writable volumes: the model store (PRESCALE_MODELS_DIR) and TMPDIR. This measures that instead of assuming it:
 * the real service (src/main.ts through tsx, all three roles, as the image's CMD starts it) runs under strace -f,
 * which records every file-changing system call of the process and its children (esbuild's service for tsx and the
 * dashboard bundle); the test serves a few requests, lets the workers start their scheduled jobs, stops the
 * service with SIGTERM and checks that every path opened for writing, created, renamed or removed lies under
 * TMPDIR, the model store or /dev. HOME points at a directory of its own, so a write there would show too.
 *
 * Left out: paths only a train job writes (the model store, which is a volume by design) and the kernel's own
 * view of a read-only mount (no container runtime here); strace sees the same calls the mount would refuse.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { REPO_ROOT } from '../../src/core/paths.js';
import { freePort } from '../support/ports.js';

const STRACE = '/usr/bin/strace';
const PREFIX = `read-only-root-test-${process.pid}-${Date.now()}`;
const dir = mkdtempSync(join(tmpdir(), 'prescale-read-only-root-'));
const TMP = join(dir, 'tmp');
const MODELS = join(dir, 'models');
const HOME = join(dir, 'home');

afterAll(async () => {
  const redis = new Redis(inject('redisUrl'));
  const keys = await redis.keys(`${PREFIX}:*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
  rmSync(dir, { recursive: true, force: true });
});

/** One file-changing call from strace's log: the syscall and the path(s) it names. */
interface Change {
  call: string;
  paths: string[];
  line: string;
}

const OPEN = /^(?:\d+\s+)?(open|openat|creat)\((?:AT_FDCWD, |\d+<[^>]*>, )?"([^"]*)", ([A-Z_|]+)/;
const PATH_CALLS = /^(?:\d+\s+)?(mkdir|mkdirat|rename|renameat|renameat2|unlink|unlinkat|rmdir|link|linkat|symlink|symlinkat|truncate)\((.*)$/;

/** The file-changing calls in an strace log (opens only with a write, create or truncate flag). */
function fileChanges(log: string): Change[] {
  const changes: Change[] = [];
  for (const line of log.split('\n')) {
    const open = OPEN.exec(line);
    if (open) {
      const flags = open[3]!;
      if (open[1] === 'creat' || /O_WRONLY|O_RDWR|O_CREAT|O_TRUNC|O_APPEND/.test(flags)) changes.push({ call: open[1]!, paths: [open[2]!], line });
      continue;
    }
    const other = PATH_CALLS.exec(line);
    if (other) changes.push({ call: other[1]!, paths: [...other[2]!.matchAll(/"([^"]*)"/g)].map((m) => m[1]!), line });
  }
  return changes;
}

describe('the service on a read-only root filesystem (measured with strace)', () => {
  it('fileChanges reads strace lines', () => {
    const log = [
      '101 openat(AT_FDCWD, "/app/src/main.ts", O_RDONLY|O_CLOEXEC) = 21',
      '101 openat(AT_FDCWD, "/tmp/tsx-0/abc.mjs", O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC, 0644) = 22',
      '102 mkdirat(AT_FDCWD, "/tmp/tsx-0", 0777) = -1 EEXIST (File exists)',
      '102 renameat2(AT_FDCWD, "/m/t/.tmp-1", AT_FDCWD, "/m/t/v0001", 0) = 0',
    ].join('\n');
    expect(fileChanges(log).map((c) => [c.call, c.paths])).toEqual([
      ['openat', ['/tmp/tsx-0/abc.mjs']],
      ['mkdirat', ['/tmp/tsx-0']],
      ['renameat2', ['/m/t/.tmp-1', '/m/t/v0001']],
    ]);
  });

  it('writes only under TMPDIR and the model store while serving and running its workers', { timeout: 180_000 }, async () => {
    expect(existsSync(STRACE), 'strace is installed').toBe(true);
    for (const d of [TMP, MODELS, HOME]) mkdirSync(d, { recursive: true });
    const port = await freePort();
    const logFile = join(dir, 'strace.log');
    const calls = 'trace=open,openat,creat,mkdir,mkdirat,rename,renameat,renameat2,unlink,unlinkat,rmdir,link,linkat,symlink,symlinkat,truncate';
    const child = spawn(STRACE, ['-f', '-qq', '-e', calls, '-o', logFile, process.execPath, '--import', 'tsx', join(REPO_ROOT, 'src', 'main.ts')], {
      cwd: REPO_ROOT,
      env: {
        PATH: process.env['PATH'] ?? '/usr/bin:/bin',
        HOME,
        TMPDIR: TMP,
        NODE_ENV: 'production',
        PRESCALE_ROLES: 'api,worker,scheduler',
        PRESCALE_CONFIG: join(REPO_ROOT, 'prescale.yaml'),
        PRESCALE_MODELS_DIR: MODELS,
        PRESCALE_REDIS_URL: inject('redisUrl'),
        PRESCALE_REDIS_PREFIX: PREFIX,
        PRESCALE_INFLUX_URL: inject('influxUrl'),
        PRESCALE_INFLUX_DATABASE: 'read_only_root_test',
        PRESCALE_HTTP_PORT: String(port),
        PRESCALE_EXTERNAL_METRICS_PORT: '0',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const exited = new Promise<number | null>((res) => child.once('close', (code) => res(code)));
    // strace blocks SIGTERM while it traces: the signal goes to the service itself, strace's child.
    const service = () => Number(readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(/\s+/)[0]);
    try {
      const deadline = Date.now() + 120_000;
      while (!output.includes('"prescale started"')) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`prescale did not start under strace:\n${output}`);
        await new Promise((r) => setTimeout(r, 200));
      }
      const base = `http://127.0.0.1:${port}`;
      // The paths the pods' probes use (deploy/base/workload/deployment.yaml), on the real service.
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      expect((await fetch(`${base}/readyz`)).status).toBe(200);
      expect((await fetch(`${base}/`)).status).toBe(200); // the dashboard: esbuild bundles it (in memory)
      expect((await fetch(`${base}/api/calendar`)).status).toBe(200);
      await new Promise((r) => setTimeout(r, 3_000)); // the scheduler's first jobs reach the workers
    } finally {
      const pid = service();
      process.kill(pid, 'SIGTERM');
      const stopped = await Promise.race([exited.then(() => true), new Promise<false>((r) => setTimeout(() => r(false), 30_000))]);
      if (!stopped) process.kill(pid, 'SIGKILL'); // the assertion below reports it
    }
    expect(await exited).toBe(0);

    const changes = fileChanges(readFileSync(logFile, 'utf8'));
    const under = (path: string, root: string) => path === root || path.startsWith(`${root}/`);
    const absolute = (path: string) => (isAbsolute(path) ? path : resolve(REPO_ROOT, path));
    const outside = changes.filter((c) => c.paths.map(absolute).some((p) => !under(p, TMP) && !under(p, MODELS) && !under(p, '/dev')));
    expect(outside.map((c) => c.line)).toEqual([]);
    // The trace saw the writes that do happen (tsx's compile cache in TMPDIR): a broken trace cannot pass.
    expect(changes.filter((c) => c.paths.some((p) => under(absolute(p), TMP))).length).toBeGreaterThan(0);
  });
});
