/**
 * The container image and the local compose stack, checked statically: no Docker engine runs on these machines, so
 * nothing is built or started here. deploy/Dockerfile is parsed into instructions (line continuations and
 * comments handled) and checked: a pinned base on a Node release package.json accepts, the lockfile copied and
 * installed with `npm ci --omit=dev` (never `npm install`), a numeric non-root USER that owns only the model
 * store's mount point, the model store and TMPDIR set, an exec-form CMD. deploy/compose.yaml is parsed and checked:
 * Redis with its append-only file on a volume, InfluxDB 1.x on its own volume, Prescale built from the Dockerfile,
 * running as the image's user on a read-only root with exactly the writable mounts the service needs, health
 * checks and start order, and the config the service would load there (the real loader, with the compose
 * environment) pointing at the compose service names. Each check list is also run on a broken example, so the
 * checks are shown to fail.
 *
 * Left out: whether the image builds and the stack starts (needs an engine); whether the service writes only
 * where these files allow is measured in test/e2e/read-only-root.test.ts.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { loadConfig } from '../../src/config/load-config.js';
import { REPO_ROOT } from '../../src/core/paths.js';

interface Instruction {
  keyword: string;
  args: string;
  line: number;
}

/** Dockerfile -> instructions: comments and blank lines dropped, `\` continuations joined. */
function parseDockerfile(text: string): Instruction[] {
  const out: Instruction[] = [];
  let pending: { text: string; line: number } | null = null;
  text.split('\n').forEach((raw, i) => {
    const trimmed = raw.trim();
    if (!pending && (trimmed === '' || trimmed.startsWith('#'))) return;
    if (pending && trimmed.startsWith('#')) return; // comments inside a continued instruction
    const continued = trimmed.endsWith('\\');
    const part = continued ? trimmed.slice(0, -1).trim() : trimmed;
    pending = pending ? { text: `${pending.text} ${part}`, line: pending.line } : { text: part, line: i + 1 };
    if (!continued) {
      const m = /^(\S+)\s*(.*)$/.exec(pending.text)!;
      out.push({ keyword: m[1]!.toUpperCase(), args: m[2]!, line: pending.line });
      pending = null;
    }
  });
  return out;
}

const NODE_ENGINES = (major: number, minor: number) => (major === 20 && minor >= 19) || major >= 22; // package.json engines

/** What is wrong with a Dockerfile for Prescale, one message per problem. */
function dockerfileProblems(text: string): string[] {
  const problems: string[] = [];
  const instructions = parseDockerfile(text);
  const all = (keyword: string) => instructions.filter((i) => i.keyword === keyword);
  const froms = all('FROM');
  if (froms.length !== 1) problems.push(`expected one FROM (a single stage), got ${froms.length}`);
  const base = froms.at(-1)?.args.split(/\s+/)[0] ?? '';
  const pinned = /^node:(\d+)\.(\d+)\.(\d+)(-[a-z0-9.-]+)?(@sha256:[a-f0-9]{64})?$/.exec(base);
  if (!pinned) problems.push(`FROM ${base}: not pinned to a full Node release (node:<major>.<minor>.<patch>[-variant][@sha256:...])`);
  else if (!NODE_ENGINES(Number(pinned[1]), Number(pinned[2]))) problems.push(`FROM ${base}: Node ${pinned[1]}.${pinned[2]} is outside package.json engines`);
  const runs = all('RUN');
  if (runs.some((r) => /\bnpm\s+(install|i|add)\b/.test(r.args))) problems.push('RUN npm install: use npm ci (exactly the lockfile)');
  const ci = runs.find((r) => /\bnpm\s+ci\b/.test(r.args));
  if (!ci) problems.push('no RUN npm ci');
  else {
    if (!/--omit=dev\b/.test(ci.args)) problems.push('npm ci without --omit=dev');
    if (/--omit=optional\b/.test(ci.args)) problems.push('npm ci --omit=optional drops @tensorflow/tfjs-node');
    const lockCopy = all('COPY').find((c) => /\bpackage-lock\.json\b/.test(c.args));
    if (!lockCopy || lockCopy.line > ci.line) problems.push('package-lock.json is not copied before npm ci');
  }
  if (instructions.some((i) => i.keyword === 'ADD' && /https?:\/\//.test(i.args))) problems.push('ADD of a URL: not reproducible');
  const users = all('USER');
  const user = /^(\d+)(?::(\d+))?$/.exec(users.at(-1)?.args ?? '');
  if (!user) problems.push(`USER ${users.at(-1)?.args ?? '(none)'}: not numeric uid[:gid] (runAsNonRoot cannot verify a name)`);
  else if (Number(user[1]) === 0 || Number(user[2] ?? 1) === 0) problems.push('USER is root');
  const lastUser = users.at(-1)?.line ?? Infinity;
  if (instructions.some((i) => i.line > lastUser && (i.keyword === 'RUN' || i.keyword === 'COPY' || i.keyword === 'ADD'))) problems.push('RUN/COPY after USER: build steps run as the service user or leave files it owns');
  const env = new Map<string, string>();
  for (const e of all('ENV')) for (const m of e.args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|\S+)/g)) env.set(m[1]!, m[2]!.replace(/^"|"$/g, ''));
  for (const name of env.keys()) if (/TOKEN|PASSWORD|SECRET/.test(name)) problems.push(`ENV ${name}: a secret baked into the image`);
  if (!env.get('PRESCALE_MODELS_DIR')?.startsWith('/')) problems.push('ENV PRESCALE_MODELS_DIR not set: the default is inside the (read-only) application directory');
  if (env.get('TMPDIR') !== '/tmp') problems.push('ENV TMPDIR=/tmp not set');
  if (user && env.get('PRESCALE_MODELS_DIR')) {
    const owned = runs.some((r) => new RegExp(`chown (-R )?${user[1]}:${user[2] ?? user[1]} ${env.get('PRESCALE_MODELS_DIR')!.replace(/\/models$/, '')}`).test(r.args));
    if (!owned) problems.push('the model store mount point is not owned by the service user');
  }
  if (runs.some((r) => /chown[^&]*\/app\b/.test(r.args))) problems.push('the application directory is owned by the service user: it could change its own code');
  const cmd = all('CMD').at(-1)?.args ?? '';
  let argv: unknown;
  try {
    argv = JSON.parse(cmd);
  } catch {
    argv = null;
  }
  if (JSON.stringify(argv) !== JSON.stringify(['node', '--import', 'tsx', 'src/main.ts'])) problems.push(`CMD ${cmd}: expected the exec form ["node", "--import", "tsx", "src/main.ts"] (SIGTERM reaches node)`);
  if (all('ENTRYPOINT').length > 0) problems.push('ENTRYPOINT: the CMD alone starts the service');
  return problems;
}

const DOCKERFILE = readFileSync(join(REPO_ROOT, 'deploy', 'Dockerfile'), 'utf8');
const COMPOSE_FILE = join(REPO_ROOT, 'deploy', 'compose.yaml');

describe('deploy/Dockerfile (parsed; no engine here to build it)', () => {
  it('passes every check: pinned base, npm ci of the lockfile without dev dependencies, numeric non-root user, exec CMD', () => {
    expect(dockerfileProblems(DOCKERFILE)).toEqual([]);
  });

  it('the checks catch a careless Dockerfile', () => {
    const bad = ['FROM node:20-slim', 'COPY . .', 'RUN npm install \\', '  --omit=optional', 'ENV API_TOKEN=abc', 'USER node', 'CMD npm start', ''].join('\n');
    expect(dockerfileProblems(bad)).toEqual([
      'FROM node:20-slim: not pinned to a full Node release (node:<major>.<minor>.<patch>[-variant][@sha256:...])',
      'RUN npm install: use npm ci (exactly the lockfile)',
      'no RUN npm ci',
      'USER node: not numeric uid[:gid] (runAsNonRoot cannot verify a name)',
      'ENV API_TOKEN: a secret baked into the image',
      'ENV PRESCALE_MODELS_DIR not set: the default is inside the (read-only) application directory',
      'ENV TMPDIR=/tmp not set',
      'CMD npm start: expected the exec form ["node", "--import", "tsx", "src/main.ts"] (SIGTERM reaches node)',
    ]);
    expect(dockerfileProblems(DOCKERFILE.replace('FROM node:20.20.2-slim', 'FROM node:18.20.4-slim'))).toEqual(['FROM node:18.20.4-slim: Node 18.20 is outside package.json engines']);
    expect(dockerfileProblems(DOCKERFILE.replace(/^USER .*$/m, 'USER 0:0'))).toEqual(['USER is root', 'the model store mount point is not owned by the service user']);
  });

  it('copies only what exists and what the build context keeps; tsx survives --omit=dev', () => {
    const ignored = readFileSync(join(REPO_ROOT, 'deploy', 'Dockerfile.dockerignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
    expect(ignored).toEqual(expect.arrayContaining(['node_modules', '.git', 'test']));
    for (const copy of parseDockerfile(DOCKERFILE).filter((i) => i.keyword === 'COPY')) {
      const sources = copy.args.split(/\s+/).filter((a) => !a.startsWith('--')).slice(0, -1);
      for (const source of sources) {
        expect(existsSync(join(REPO_ROOT, source)), source).toBe(true);
        expect(ignored, source).not.toContain(source);
      }
    }
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    expect(pkg.dependencies['tsx']).toBeTruthy();
  });
});

interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
  user?: string;
  read_only?: boolean;
  tmpfs?: string[];
  cap_drop?: string[];
  security_opt?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
}
interface Compose {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

/** `source:target[:mode]`, the source a named volume or a path relative to the compose file. */
function mount(spec: string): { source: string; target: string; readOnly: boolean; named: boolean } {
  const [source, target, mode] = spec.split(':');
  return { source: source!, target: target!, readOnly: mode === 'ro', named: !/^[./~]/.test(source!) };
}

/** What is wrong with a compose file for Prescale, one message per problem. */
function composeProblems(compose: Compose, file: string): string[] {
  const problems: string[] = [];
  const { redis, influxdb, prescale } = compose.services ?? {};
  if (!redis || !influxdb || !prescale) return [`services: expected redis, influxdb and prescale, got ${Object.keys(compose.services ?? {}).join(', ')}`];
  const declared = new Set(Object.keys(compose.volumes ?? {}));
  for (const [name, service] of Object.entries(compose.services)) for (const v of (service.volumes ?? []).map(mount)) if (v.named && !declared.has(v.source)) problems.push(`${name}: volume ${v.source} is not declared`);
  const dataVolume = (service: ComposeService, path: string) => (service.volumes ?? []).map(mount).find((v) => v.target === path && v.named);
  // Redis: the append-only file on a volume.
  const args = redis.command ?? [];
  if (args[0] !== 'redis-server' || args[args.indexOf('--appendonly') + 1] !== 'yes' || !args.includes('--appendonly')) problems.push('redis: --appendonly yes is not on');
  if (!dataVolume(redis, '/data')) problems.push('redis: /data is not on a named volume');
  if (!/^influxdb:1\.(8|11)(\.\d+)?$/.test(influxdb.image ?? '')) problems.push(`influxdb: image ${influxdb.image} is not InfluxDB 1.8 or 1.11`);
  if (!dataVolume(influxdb, '/var/lib/influxdb')) problems.push('influxdb: /var/lib/influxdb is not on a named volume');
  if (dataVolume(influxdb, '/var/lib/influxdb')?.source === dataVolume(redis, '/data')?.source) problems.push('influxdb and redis share a volume');
  // Prescale: built from the Dockerfile, started after healthy dependencies, hardened like the pods.
  const dockerfile = prescale.build ? resolve(dirname(file), prescale.build.context, prescale.build.dockerfile) : '';
  if (dockerfile !== join(REPO_ROOT, 'deploy', 'Dockerfile')) problems.push(`prescale: not built from deploy/Dockerfile (${dockerfile || 'no build'})`);
  for (const dependency of ['redis', 'influxdb']) {
    if (prescale.depends_on?.[dependency]?.condition !== 'service_healthy') problems.push(`prescale: does not wait for ${dependency} to be healthy`);
    if (!compose.services[dependency]!.healthcheck?.test?.length) problems.push(`${dependency}: no healthcheck`);
  }
  if (!prescale.healthcheck?.test?.join(' ').includes('/healthz')) problems.push('prescale: the healthcheck does not ask /healthz');
  const user = /^USER (\S+)$/m.exec(DOCKERFILE)?.[1];
  if (prescale.user !== user) problems.push(`prescale: user ${prescale.user} is not the image's ${user}`);
  if (prescale.read_only !== true) problems.push('prescale: the root filesystem is writable');
  if (!prescale.cap_drop?.includes('ALL')) problems.push('prescale: capabilities not dropped');
  if (!prescale.security_opt?.some((o) => /^no-new-privileges(:true)?$/.test(o))) problems.push('prescale: no-new-privileges not set');
  const env = prescale.environment ?? {};
  const tmpfs = (prescale.tmpfs ?? []).map((t) => t.split(':')[0]);
  const mounts = (prescale.volumes ?? []).map(mount);
  const writable = [...mounts.filter((m) => !m.readOnly).map((m) => m.target), ...tmpfs].sort();
  if (JSON.stringify(writable) !== JSON.stringify([env['PRESCALE_MODELS_DIR'], env['TMPDIR']].sort())) problems.push(`prescale: writable mounts ${writable.join(', ')} are not exactly PRESCALE_MODELS_DIR and TMPDIR`);
  if (!dataVolume(prescale, env['PRESCALE_MODELS_DIR'] ?? '')) problems.push('prescale: the model store is not on a named volume');
  const config = mounts.find((m) => m.target === env['PRESCALE_CONFIG']);
  if (!config?.readOnly) problems.push('prescale: the config is not mounted read-only at PRESCALE_CONFIG');
  for (const spec of Object.values(compose.services).flatMap((s) => s.ports ?? [])) if (!spec.startsWith('127.0.0.1:')) problems.push(`port ${spec} is published on every interface`);
  return problems;
}

describe('deploy/compose.yaml (parsed; no engine here to start it)', () => {
  const compose = parseYaml(readFileSync(COMPOSE_FILE, 'utf8')) as Compose;

  it('passes every check: Redis with AOF, InfluxDB 1.x, each on its own volume, Prescale hardened and started after both are healthy', () => {
    expect(composeProblems(compose, COMPOSE_FILE)).toEqual([]);
  });

  it('the config Prescale loads there (the real loader, the compose environment) reaches the compose services', () => {
    const prescale = compose.services['prescale']!;
    const env = prescale.environment!;
    const configMount = prescale.volumes!.map(mount).find((m) => m.target === env['PRESCALE_CONFIG'])!;
    const config = loadConfig(resolve(dirname(COMPOSE_FILE), configMount.source), env);
    const redis = new URL(config.redis.url);
    const influx = new URL(config.influx.url);
    expect([redis.hostname, redis.port]).toEqual(['redis', '6379']);
    expect([influx.hostname, influx.port]).toEqual(['influxdb', '8086']);
    expect(compose.services['influxdb']!.environment!['INFLUXDB_DB']).toBe(config.influx.database);
    expect(config.http.host).toBe('0.0.0.0');
    expect(prescale.ports).toEqual([`127.0.0.1:${config.http.port}:${config.http.port}`]);
    expect(prescale.healthcheck!.test.join(' ')).toContain(`http://127.0.0.1:${config.http.port}/healthz`);
    expect(config.kubernetes.mode).toBe('simulated'); // no cluster locally
    expect(env['PRESCALE_ROLES']!.split(',').sort()).toEqual(['api', 'scheduler', 'worker']);
  });

  it('the checks catch a careless compose file', () => {
    const bad = structuredClone(compose);
    bad.services['redis']!.command = ['redis-server'];
    bad.services['influxdb']!.image = 'influxdb:2.7';
    bad.services['prescale']!.read_only = false;
    bad.services['prescale']!.tmpfs = [];
    bad.services['prescale']!.depends_on = { redis: { condition: 'service_started' }, influxdb: { condition: 'service_healthy' } };
    bad.services['prescale']!.ports = ['8080:8080'];
    delete bad.volumes!['redis-data'];
    expect(composeProblems(bad, COMPOSE_FILE)).toEqual([
      'redis: volume redis-data is not declared',
      'redis: --appendonly yes is not on',
      'influxdb: image influxdb:2.7 is not InfluxDB 1.8 or 1.11',
      'prescale: does not wait for redis to be healthy',
      'prescale: the root filesystem is writable',
      'prescale: writable mounts /var/lib/prescale/models are not exactly PRESCALE_MODELS_DIR and TMPDIR',
      'port 8080:8080 is published on every interface',
    ]);
  });
});
