/**
 * Plan shards (kubernetes.shards: 2) with two service processes against the strict Kubernetes double: each shard
 * has its own plan queue and Lease (`prescale-leader-0`, `prescale-leader-1`), and every PATCH of a target is
 * fenced by its shard's Lease (src/kube/plan-shards.ts, src/kube/shard-leadership.ts). The two-replicas test's
 * setting (test/e2e/two-replicas.test.ts) with four Deployments, two per shard, and two processes whose
 * identities prefer different shards, so each leads one.
 *
 * Witness of "exactly one actor per target": the double's request log. For every successful PATCH of a target's
 * /scale, the last successful write of that target's shard Lease before it (create or replace, by arrival) names
 * the process that sent the PATCH. Scenarios: (1) the two processes lead one shard each and both patch their own
 * targets only; (2) the holder of shard 1 is SIGSTOPped while one of its ticks waits on a workload read: the other
 * takes shard 1 over and patches its targets; resumed, the stopped one applies nothing (its held tick's decision
 * says "not the leader"); (3) the other is SIGKILLed: the resumed one takes both shards and patches all four.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { generate } from 'selfsigned';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { stringify } from 'yaml';
import { parseConfig } from '../../src/config/load-config.js';
import { silentLogger } from '../../src/core/logger.js';
import { preferredShard, shardOf } from '../../src/kube/plan-shards.js';
import { createMetricsStore } from '../../src/metrics/create-store.js';
import { createRedisAppliedTicks } from '../../src/state/applied-ticks.js';
import { DEFAULT_RESOURCE_TYPES, FakeKubeApi, type RecordedRequest } from '../support/fake-kube-api.js';
import { reconcileDeployments } from '../support/fake-kube-controllers.js';
import { deployment } from '../support/kube-objects.js';
import { freePort } from '../support/ports.js';
import { tearDownReplicaRun } from '../support/replica-teardown.js';
import { startService, type ServiceProcess } from '../support/service-process.js';

const RUN = `${process.pid}-${Date.now()}`;
const PREFIX = `sharded-${RUN}`;
const DATABASE = `sharded_${RUN.replace(/-/g, '_')}`;
const SHARDS = 2;
const LEASE_SECONDS = 6;
const RETRY_MS = 1000;
const LEASES = '/apis/coordination.k8s.io/v1/namespaces/prescale/leases';
const TAKEOVER_BOUND_MS = LEASE_SECONDS * 1000 + 2 * RETRY_MS;
const SLACK_MS = 5000;
const REQUEST_TIMEOUT = '60s';

/** Two Deployments per shard, by the service's own hash. */
const candidates = Array.from({ length: 20 }, (_, i) => `web-${i}`);
const byShard = (k: number) => candidates.filter((n) => shardOf({ target: `shop/${n}` }, SHARDS) === k).slice(0, 2);
const NAMES = [...byShard(0), ...byShard(1)];
const shardOfName = (name: string) => shardOf({ target: `shop/${name}` }, SHARDS);
/** Two identities that prefer different shards (each starts on its own shard's Lease). */
const identities = Array.from({ length: 20 }, (_, i) => `prescale-${i}`);
const IDENTITY = [0, 1].map((k) => identities.find((id) => preferredShard(id, SHARDS) === k)!);

interface Replica {
  name: string;
  token: string;
  port: number;
  service?: ServiceProcess;
}

const dir = mkdtempSync(join(tmpdir(), 'prescale-sharded-'));
const influxUrl = inject('influxUrl');
const redisUrl = inject('redisUrl');
let fake: FakeKubeApi;
let caPem: string;
let replicas: Replica[] = [];
let timers: NodeJS.Timeout[] = [];
const rampStart = Date.now();

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const progress = (what: string) => console.log(`[sharded +${((Date.now() - rampStart) / 1000).toFixed(1)} s] ${what}`);

async function until<T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}

const scalePath = (name: string) => `/apis/apps/v1/namespaces/shop/deployments/${name}/scale`;
const from = (replica: Replica) => (r: RecordedRequest) => r.authorization === `Bearer ${replica.token}`;
const whoSent = (r: RecordedRequest) => replicas.find((x) => from(x)(r))?.name ?? 'unknown';
const patchesOf = (name: string) => fake.requestsTo('PATCH', scalePath(name)).filter((r) => r.status === 200);
const patchesBy = (replica: Replica, name: string, since = 0) => patchesOf(name).filter((r) => from(replica)(r) && (r.at ?? 0) >= since);
const leaseHolder = (k: number) => ((fake.get('coordination.k8s.io/v1', 'Lease', 'prescale', `prescale-leader-${k}`)?.['spec'] ?? {}) as { holderIdentity?: string }).holderIdentity;
const replicasOf = (name: string) => ((fake.get('apps/v1', 'Deployment', 'shop', name)?.['spec'] ?? {}) as { replicas: number }).replicas;

/** Successful writes of shard k's Lease (create and replace), in arrival order, with the holder they name. */
function leaseWrites(k: number): { at: number; holder: string }[] {
  const name = `prescale-leader-${k}`;
  return fake.requests
    .filter((r) => r.status >= 200 && r.status < 300 && ((r.method === 'POST' && r.path === LEASES && (r.body as { metadata?: { name?: string } }).metadata?.name === name) || (r.method === 'PUT' && r.path === `${LEASES}/${name}`)))
    .map((r) => ({ at: r.at ?? 0, holder: (r.body as { spec?: { holderIdentity?: string } }).spec?.holderIdentity ?? '' }));
}

/** Every successful PATCH of a target came from the process its shard's Lease last named before it arrived. */
function expectOneActorPerTarget(): number {
  let checked = 0;
  for (const name of NAMES) {
    const writes = leaseWrites(shardOfName(name));
    for (const patch of patchesOf(name)) {
      const holder = writes.filter((w) => w.at <= patch.at!).pop()?.holder;
      expect({ target: name, by: whoSent(patch), at: patch.at }).toEqual({ target: name, by: holder, at: patch.at });
      checked++;
    }
  }
  return checked;
}

/** Load growing 4 % a second for every Deployment (see two-replicas.test.ts): every tick wants more replicas. */
async function writeLoad(): Promise<void> {
  const rps = 160 * 1.04 ** ((Date.now() - rampStart) / 1000);
  const lines = NAMES.map((n) => `sharded_load,service=${n} rps=${rps.toFixed(1)} ${Date.now()}`).join('\n');
  await fetch(`${influxUrl}/write?db=${DATABASE}&precision=ms`, { method: 'POST', body: lines });
}

function kubeconfig(replica: Replica): string {
  const file = join(dir, `${replica.name}.kubeconfig`);
  writeFileSync(file, stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'fake', cluster: { server: fake.url, 'certificate-authority-data': Buffer.from(caPem).toString('base64') } }],
    users: [{ name: replica.name, user: { token: replica.token } }],
    contexts: [{ name: 'fake', context: { cluster: 'fake', user: replica.name } }],
    'current-context': 'fake',
  }));
  return file;
}

const CONFIG = {
  influx: { url: influxUrl, database: DATABASE, timeout: REQUEST_TIMEOUT },
  redis: { url: redisUrl, prefix: PREFIX },
  kubernetes: { mode: 'kubeconfig', leaseName: 'prescale-leader', leaseNamespace: 'prescale', shards: SHARDS, leaseDuration: `${LEASE_SECONDS}s`, renewDeadline: '4s', retryPeriod: `${RETRY_MS / 1000}s`, requestTimeout: REQUEST_TIMEOUT },
  step: '1m',
  schedule: { plan: '1s', reactive: '1s', collect: '30s', train: '1h', forecast: '1h', accuracy: '1h' },
  targets: NAMES.map((name) => ({ name, namespace: 'shop', load: { measurement: 'sharded_load', field: 'rps', tags: { service: name } }, capacityPerReplica: 10, minReplicas: 1, maxReplicas: 5000, podStartup: '10s' })),
};

function start(replica: Replica, configFile: string): Promise<ServiceProcess> {
  return startService({
    PRESCALE_CONFIG: configFile,
    PRESCALE_ROLES: 'worker,scheduler',
    KUBECONFIG: kubeconfig(replica),
    POD_NAME: replica.name,
    PRESCALE_HTTP_PORT: String(replica.port),
    PRESCALE_MODELS_DIR: join(dir, `models-${replica.name}`),
  }, [], 45_000);
}

beforeAll(async () => {
  expect(byShard(0)).toHaveLength(2);
  expect(byShard(1)).toHaveLength(2);
  const pems = await generate([{ name: 'commonName', value: '127.0.0.1' }], { keySize: 2048, algorithm: 'sha256', extensions: [{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] }] });
  caPem = pems.cert;
  replicas = await Promise.all(IDENTITY.map(async (name) => ({ name, token: `token-${name}-0123456789abcdef`, port: await freePort() })));
  fake = await FakeKubeApi.start({ tls: { key: pems.private, cert: pems.cert }, tokens: replicas.map((r) => r.token), resourceTypes: DEFAULT_RESOURCE_TYPES });
  for (const name of NAMES) fake.seed(deployment({ namespace: 'shop', name, replicas: 20 }));
  await fetch(`${influxUrl}/query?q=${encodeURIComponent(`CREATE DATABASE ${DATABASE}`)}`, { method: 'POST' });
  await writeLoad();
  timers = [setInterval(() => void writeLoad(), 500), setInterval(() => reconcileDeployments(fake, Date.now()), 500)];
}, 30_000);

afterAll(() => tearDownReplicaRun({ timers, services: replicas.map((r) => r.service), fake, redisUrl, prefix: PREFIX, influxUrl, database: DATABASE, dir }), 30_000);

describe('two service processes, two plan shards', () => {
  it('each target is patched only by its shard\'s Lease holder, through a stop and a kill', async () => {
    const configFile = join(dir, 'prescale.yaml');
    parseConfig(CONFIG, {});
    writeFileSync(configFile, stringify(CONFIG));
    const [a, b] = replicas as [Replica, Replica];
    [a.service, b.service] = await Promise.all([start(a, configFile), start(b, configFile)]);
    progress(`started ${a.name} (prefers shard 0) and ${b.name} (prefers shard 1); targets ${NAMES.join(', ')}`);

    // (1) One shard each; each patches its own shard's targets and no other.
    await until('each process leading its preferred shard', () => leaseHolder(0) === a.name && leaseHolder(1) === b.name, 20_000);
    await until('two patches of every target', () => NAMES.every((n) => patchesOf(n).length >= 2), 40_000);
    progress('every target patched');
    for (const n of byShard(0)) expect(patchesOf(n).every(from(a))).toBe(true);
    for (const n of byShard(1)) expect(patchesOf(n).every(from(b))).toBe(true);
    // The plan work is shared: each process made patches.
    expect(fake.requestsTo('PATCH', /\/scale$/).filter((r) => r.status === 200 && from(b)(r)).length).toBeGreaterThan(0);
    expect(fake.requestsTo('PATCH', /\/scale$/).filter((r) => r.status === 200 && from(a)(r)).length).toBeGreaterThan(0);

    // (2) Stop b (shard 1's holder) inside a tick of a shard-1 target, waiting on its workload read.
    // Every shard-1 tick of b is held at its workload read, before its fence, when b stops. A tick stopped between
    // its fence and its PATCH would send that PATCH on resume: the Lease fence cannot refuse a write it already
    // allowed (a resourceVersion precondition on the PATCH would; not built yet). This test proves the rest.
    const victim = byShard(1)[0]!;
    const holds = byShard(1).map((n) => fake.hold({ method: 'GET', path: `/apis/apps/v1/namespaces/shop/deployments/${n}`, authorization: `Bearer ${b.token}` }));
    await Promise.race([Promise.all(holds.map((h) => h.arrived)), sleep(10_000).then(() => Promise.reject(new Error(`no tick of ${b.name} read ${byShard(1).join(' and ')} within 10 s`)))]);
    b.service!.signal('SIGSTOP');
    const stoppedAt = Date.now();
    const outputAtStop = b.service!.output().length;
    progress(`${b.name} stopped inside a tick of ${victim}`);
    await until(`${a.name} takes shard 1`, () => leaseHolder(1) === a.name, TAKEOVER_BOUND_MS + SLACK_MS);
    const takeover = Date.now();
    progress(`${a.name} took shard 1 after ${takeover - stoppedAt} ms`);
    await until(`${a.name} patches the shard-1 targets`, () => byShard(1).every((n) => patchesBy(a, n, takeover).length >= 1), 15_000);
    // The held tick resumes wanting a scale-up (an operator scaled down for a moment; see two-replicas.test.ts).
    const before = replicasOf(victim);
    const operatorValue = Math.max(1, Math.floor(before / 4));
    fake.update('apps/v1', 'Deployment', 'shop', victim, (d) => void ((d['spec'] as { replicas: number }).replicas = operatorValue));
    for (const h of holds) h.release();
    await new Promise((r) => setImmediate(r));
    fake.update('apps/v1', 'Deployment', 'shop', victim, (d) => void ((d['spec'] as { replicas: number }).replicas = before));
    b.service!.signal('SIGCONT');
    const resumedAt = Date.now();
    progress(`${b.name} resumed`);
    const store = createMetricsStore(parseConfig(CONFIG, {}).influx, silentLogger);
    // The held tick's decision: it read the operator's value, wanted more, and was refused by shard 1's Lease.
    const refused = await until('the resumed tick\'s decision', async () => (await store.readDecisions(`shop/${victim}`, stoppedAt - 30_000, stoppedAt)).find((d) => d.notes?.includes('not the leader: not applied') && d.previousReplicas === operatorValue), 15_000);
    expect(refused).toMatchObject({ applied: false });
    expect(refused.desiredReplicas).toBeGreaterThan(operatorValue);
    await until(`${b.name} sees it lost shard 1`, () => b.service!.output().slice(outputAtStop).includes('"lost leadership"'), 10_000);
    await until(`a patch of every target by ${a.name} after the resume`, () => NAMES.every((n) => patchesBy(a, n, resumedAt).length >= 1), 20_000);
    // Nothing from b once a held shard 1 (a PATCH it had sent just before the stop may arrive after it): not the
    // held tick, not a later one; the Lease timeline check below covers the moments around the stop.
    for (const n of NAMES) expect(patchesBy(b, n, takeover)).toEqual([]);

    // (3) Kill a, which now holds both shards: b takes both back and patches every target.
    a.service!.signal('SIGKILL');
    const killedAt = Date.now();
    await a.service!.exited;
    progress(`${a.name} killed`);
    await until(`${b.name} holds both shards`, () => leaseHolder(0) === b.name && leaseHolder(1) === b.name, TAKEOVER_BOUND_MS + SLACK_MS + 2 * LEASE_SECONDS * 1000);
    progress(`${b.name} holds both shards after ${Date.now() - killedAt} ms`);
    await until(`${b.name} patches every target`, () => NAMES.every((n) => patchesBy(b, n, killedAt).length >= 1), 20_000);
    const exitCode = await b.service!.stop();
    // On a non-zero exit, the process's last output says why (it is what a failed run needs to be read).
    expect({ exitCode, tail: exitCode === 0 ? '' : b.service!.output().slice(-3000) }).toEqual({ exitCode: 0, tail: '' });

    // The whole run: every PATCH of a target by its shard's Lease holder of the moment; no tick applied twice.
    const checked = expectOneActorPerTarget();
    progress(`${checked} patches checked against the shard Leases`);
    expect(checked).toBeGreaterThanOrEqual(NAMES.length * 4);
    const redis = new Redis(redisUrl);
    const claims = await createRedisAppliedTicks(redis, PREFIX, 'test').list();
    await redis.quit();
    expect(new Set(claims.map((c) => c.tick)).size).toBe(claims.length);
    await store.close();
  }, 180_000);
});
