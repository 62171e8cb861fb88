/**
 * A real three-node Redis Cluster on loopback for one test file (beforeAll/afterAll): three redis-server
 * processes in cluster mode, each with a fresh data dir, joined with `redis-cli --cluster create`, and waited
 * for until every node reports cluster_state:ok (right after create they report fail for about a second).
 * The recipe and its pitfalls are in STACK.md section 9 item 8.
 *
 * Ports: the cluster bus listens on port + 10000, so both must be free. Ports are drawn from 10000-22767: the
 * bus ports then stay below the kernel's ephemeral range (32768+), where freePort() and every client socket
 * live, so nothing else on the machine grabs them meanwhile. Left out: replicas and failover (masters only).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis, type Cluster } from 'ioredis';
import { connectRedisCluster } from '../../src/core/redis.js';

export interface RedisClusterHandle {
  /** Seed nodes as the config takes them: "127.0.0.1:port". */
  seeds: string[];
  /** A new Cluster client through Prescale's own connect (the caller quits it; BullMQ never closes a passed Cluster). */
  connect(): Promise<Cluster>;
  /** Kills the three redis-server processes (their own pids) and removes the data dirs. */
  stop(): Promise<void>;
}

function listens(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** Three ports p with p and p + 10000 free, at random in 10000-22767. */
async function clusterPorts(): Promise<number[]> {
  const ports: number[] = [];
  for (let attempt = 0; ports.length < 3 && attempt < 200; attempt++) {
    const port = 10_000 + Math.floor(Math.random() * 12_768);
    if (!ports.includes(port) && (await listens(port)) && (await listens(port + 10_000))) ports.push(port);
  }
  if (ports.length < 3) throw new Error('no three free port pairs (p, p + 10000) in 10000-22767');
  return ports;
}

async function until(check: () => Promise<boolean>, what: string, ms = 20_000): Promise<void> {
  const t0 = Date.now();
  while (Date.now() - t0 < ms) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what} not within ${ms} ms`);
}

/** One command on one node, on a short-lived plain connection. */
async function onNode<T>(port: number, run: (client: Redis) => Promise<T>): Promise<T> {
  const client = new Redis({ host: '127.0.0.1', port, lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
  // Refused while the node starts: connect() rejects with it; without a listener ioredis would also print it.
  client.on('error', () => {});
  try {
    await client.connect();
    return await run(client);
  } finally {
    client.disconnect();
  }
}

function run(command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(output) : reject(new Error(`${command} exited ${code}: ${output}`))));
  });
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve())));
}

export async function startRedisCluster(): Promise<RedisClusterHandle> {
  const dir = mkdtempSync(join(tmpdir(), 'prescale-redis-cluster-'));
  const ports = await clusterPorts();
  // spawn of the binary itself: child.pid is redis-server's pid, so kill() reaches it (no shell in between).
  const children = ports.map((port) => {
    const nodeDir = join(dir, String(port));
    mkdirSync(nodeDir);
    return spawn(
      'redis-server',
      // announce-ip: a node reports its own address in CLUSTER SLOTS instead of an empty host (ioredis hangs on that).
      ['--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-announce-ip', '127.0.0.1', '--cluster-node-timeout', '5000', '--dir', nodeDir, '--save', '', '--appendonly', 'no', '--logfile', join(nodeDir, 'redis.log')],
      { stdio: 'ignore' },
    );
  });
  const stop = async () => {
    for (const child of children) child.kill('SIGTERM');
    await Promise.all(children.map(exited));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (const port of ports) await until(async () => (await onNode(port, (c) => c.ping())) === 'PONG', `redis-server on ${port}`);
    const seeds = ports.map((p) => `127.0.0.1:${p}`);
    await run('redis-cli', ['--cluster', 'create', ...seeds, '--cluster-replicas', '0', '--cluster-yes']);
    for (const port of ports) await until(async () => (await onNode(port, (c) => c.cluster('INFO'))).includes('cluster_state:ok'), `cluster_state:ok on ${port}`);
    return { seeds, connect: () => connectRedisCluster({ url: 'redis://127.0.0.1', cluster: seeds }, 10_000), stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
