/**
 * Fuzzing the config loader (config/load-config.ts parseConfig, with its environment overrides):
 *   - documents: arbitrary JSON, and a valid config with up to three fields set to arbitrary values, with
 *     random PRESCALE_* variables. The loader either accepts, and then the config keeps every invariant the
 *     rest of Prescale relies on (checked here field by field), or throws an InputError whose every line
 *     names a field, one of them a field that was changed (or a sibling checked with it); nothing else.
 *   - mutations: one field of a valid config set to a value the contract calls invalid (a table below, with
 *     the field the error must name) must be refused naming that field.
 * Left out: YAML syntax (load-config's YAML errors are InputErrors at file:line, tested in test/unit/config.test.ts).
 */
import { afterAll, describe, expect } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { ENV_OVERRIDES, parseConfig } from '../../src/config/load-config.js';
import type { PrescaleConfig } from '../../src/config/schema.js';
import { InputError } from '../../src/core/errors.js';
import { fuzzCounter, fuzzParams } from './fuzz-settings.js';

const TOKEN = 'a-token-of-sixteen-chars';
const base = () => ({
  influx: { url: 'http://127.0.0.1:8086', database: 'prescale', timeout: '10s' },
  redis: { url: 'redis://127.0.0.1:6379', prefix: 'prescale' },
  http: { host: '127.0.0.1', port: 8080 },
  api: { tokens: [{ name: 'ops', scopes: ['read', 'write'], token: TOKEN }], bodyLimitBytes: 65_536, writesPerMinute: 60 },
  externalMetrics: { enabled: false, port: 8443, hpaTolerance: 0.1 },
  kubernetes: { mode: 'simulated' },
  step: '5m',
  horizon: '1d',
  history: '28d',
  schedule: { train: '6h', forecast: '1m', plan: '15s', reactive: '15s', collect: '30s', accuracy: '5m' },
  targets: [
    {
      name: 'web',
      namespace: 'shop',
      load: { measurement: 'http', field: 'rps', tags: { service: 'web' } },
      capacityPerReplica: 100,
      minReplicas: 1,
      maxReplicas: 20,
      quantile: 95,
      podStartup: '90s',
      nodePool: 'general',
      podRequests: { cpu: 0.5, memoryMiB: 512 },
      serviceCheck: { url: 'http://web.shop/healthz', timeout: '2s' },
    },
    { name: 'api', namespace: 'shop', load: { measurement: 'http', field: 'rps' }, capacityPerReplica: 50, maxReplicas: 10 },
  ],
  nodePools: [{ name: 'general', allocatable: { cpu: 4, memoryMiB: 16_384 }, maxNodes: 10, provisioning: '210s', driver: { type: 'simulated' } }],
});

type Path = (string | number)[];
const show = (path: Path) => path.reduce<string>((acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : acc ? `${acc}.${p}` : p), '');

function setAt(doc: Record<string, unknown>, path: Path, value: unknown): void {
  let node: Record<string | number, unknown> = doc;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== 'object' || next === null) node[key] = typeof path[path.indexOf(key) + 1] === 'number' ? [] : {};
    node = node[key] as Record<string | number, unknown>;
  }
  node[path.at(-1)!] = value;
}

/** Every field path of the valid config (leaves and sections), plus a few that do not exist yet. */
function pathsOf(value: unknown, path: Path = []): Path[] {
  const here = path.length > 0 ? [path] : [];
  if (Array.isArray(value)) return [...here, ...value.flatMap((v, i) => pathsOf(v, [...path, i]))];
  if (value && typeof value === 'object') return [...here, ...Object.entries(value).flatMap(([k, v]) => pathsOf(v, [...path, k]))];
  return here;
}
const PATHS: Path[] = [...pathsOf(base()), ['targets', 2], ['nodePools', 1], ['api', 'tokens', 1], ['targets', 0, 'cpu'], ['unknownSection'], ['targets', 0, 'bogus']];

const finiteNumbers = (value: unknown): boolean =>
  typeof value === 'number' ? Number.isFinite(value) : Array.isArray(value) ? value.every(finiteNumbers) : value && typeof value === 'object' ? Object.values(value).every(finiteNumbers) : true;

/** The invariants the rest of Prescale relies on; a list of what an accepted config breaks. */
function brokenInvariants(c: PrescaleConfig): string[] {
  const broken: string[] = [];
  const check = (ok: boolean, what: string) => void (ok || broken.push(what));
  check(finiteNumbers(c), 'a number that is not finite');
  check(c.targets.length >= 1, 'no target');
  check(new Set(c.targets.map((t) => `${t.namespace}/${t.name}`)).size === c.targets.length, 'duplicate targets');
  for (const t of c.targets) {
    check(Number.isInteger(t.minReplicas) && Number.isInteger(t.maxReplicas) && t.minReplicas >= 0 && t.maxReplicas >= 1 && t.minReplicas <= t.maxReplicas, `${t.name}: replica bounds`);
    check(t.capacityPerReplica > 0, `${t.name}: capacity`);
    check(t.targetUtilization > 0 && t.targetUtilization <= 1, `${t.name}: utilisation`);
    check(t.quantile >= 50 && t.quantile <= 99, `${t.name}: quantile`);
    check(t.podStartup >= 0, `${t.name}: podStartup`);
    check(!t.nodePool || (c.nodePools.some((p) => p.name === t.nodePool) && t.podRequests !== undefined), `${t.name}: node pool`);
    check(!t.serviceCheck || t.serviceCheck.timeout > 0, `${t.name}: service check timeout`);
  }
  for (const p of c.nodePools) check(Number.isInteger(p.minNodes) && p.minNodes >= 0 && p.minNodes <= p.maxNodes && p.allocatable.cpu > 0 && p.allocatable.memoryMiB > 0, `${p.name}: pool`);
  for (const [name, ms] of Object.entries({ step: c.step, horizon: c.horizon, history: c.history, influxTimeout: c.influx.timeout, ...c.schedule })) check(ms > 0, `${name} must be positive`);
  for (const port of [c.http.port, c.externalMetrics.port]) check(Number.isInteger(port) && port >= 0 && port <= 65_535, 'port');
  for (const token of [...c.api.tokens, ...c.externalMetrics.tokens]) check((token.token === undefined) !== (token.tokenFile === undefined) && (token.token?.length ?? 16) >= 16 && token.scopes.length > 0, 'token');
  check(/^(rediss?:\/\/|\/)/.test(c.redis.url), 'redis url');
  check(c.api.bodyLimitBytes >= 1024 && c.api.writesPerMinute >= 1, 'api limits');
  return broken;
}

/** An InputError from parseConfig: every line after the first names a field ("  path: what"). */
function fieldLines(error: unknown): string[] {
  expect(error).toBeInstanceOf(InputError);
  const [head, ...lines] = (error as InputError).message.split('\n');
  expect(head).toBe('invalid configuration in config:');
  expect(lines.length).toBeGreaterThan(0);
  for (const line of lines) expect(line).toMatch(/^ {2}\S.*: \S/);
  return lines.map((l) => l.trim());
}

function outcome(document: unknown, env: Record<string, string>): { config: PrescaleConfig } | { error: unknown } {
  try {
    return { config: parseConfig(document, env) };
  } catch (error) {
    return { error };
  }
}

const envArb = fc.dictionary(
  fc.constantFrom(...Object.keys(ENV_OVERRIDES)),
  fc.oneof(fc.string(), fc.constantFrom('', '8080', '-1', '65536', 'v2', 'kubeconfig', 'redis://:secret@127.0.0.1:6379', 'http://127.0.0.1:8086', 'nope')),
  { maxKeys: 3 },
);

describe('fuzz: config loader', () => {
  const documents = fuzzCounter('configDocuments');
  const mutations = fuzzCounter('configMutations');
  // Both outcomes and every row of the table must be reached, or the properties hold vacuously.
  const reached = { accepted: 0, refused: 0, rows: new Set<number>() };
  afterAll(() => {
    console.log(`fuzz config: ${reached.accepted} accepted, ${reached.refused} refused documents; ${reached.rows.size} of ${INVALID.length} invalid values drawn`);
    expect(reached.accepted).toBeGreaterThan(20);
    expect(reached.refused).toBeGreaterThan(50);
    expect(reached.rows.size).toBe(INVALID.length);
  });

  // Values of every kind: arbitrary JSON, edge numbers, and plausible ones (so that some changed configs pass).
  const valueArb = fc.oneof(
    fc.jsonValue({ maxDepth: 2 }),
    fc.double(),
    fc.constantFrom(Infinity, -Infinity, Number.NaN, 0, -1, '0s', '', 1e300),
    fc.integer({ min: 1, max: 200 }),
    fc.constantFrom('10s', '2m', '1h', 'web2', 'shop', 'v2', 'mean', true, false, 0.5, 'http://127.0.0.1:9999', 'redis://:pw@127.0.0.1:6380/2'),
  );
  const changedArb = fc.array(fc.tuple(fc.constantFrom(...PATHS), valueArb), { minLength: 1, maxLength: 2 });
  const documentArb = fc.oneof(
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('any' as const), doc: fc.jsonValue({ maxDepth: 3 }), changes: fc.constant([] as [Path, unknown][]) }) },
    { weight: 4, arbitrary: fc.record({ kind: fc.constant('changed' as const), doc: fc.constant(null), changes: changedArb }) },
  );

  test.prop([documentArb, envArb], fuzzParams('configDocuments'))('accepts only configs that keep the invariants; refuses with InputError naming a changed field', (input, env) => {
    let document: unknown = input.doc;
    if (input.kind === 'changed') {
      const doc = base();
      for (const [path, value] of input.changes) setAt(doc, path, value);
      document = doc;
    }
    const result = outcome(document, env);
    if ('config' in result) {
      reached.accepted++;
      expect(brokenInvariants(result.config)).toEqual([]);
    } else {
      reached.refused++;
      const lines = fieldLines(result.error);
      // A changed field, its section (a cross-field check reports a sibling), or an environment variable's field.
      const named = [...input.changes.map(([path]) => show(path.slice(0, -1)) || '(root)'), ...Object.keys(env).map((v) => ENV_OVERRIDES[v]![0]!)];
      const anyDocument = input.kind === 'any';
      expect(anyDocument || lines.some((line) => named.some((section) => section === '(root)' || line.startsWith(section))), `${lines.join(' / ')} names none of ${named.join(', ')}`).toBe(true);
    }
    documents.hit();
  });

  /** [field, invalid value, the field the error must name (default: the same)]. */
  const INVALID: [Path, unknown, Path?][] = [
    [['targets', 0, 'capacityPerReplica'], 0],
    [['targets', 0, 'capacityPerReplica'], -5],
    [['targets', 0, 'capacityPerReplica'], Infinity],
    [['targets', 0, 'capacityPerReplica'], Number.NaN],
    [['targets', 0, 'capacityPerReplica'], '100'],
    [['targets', 0, 'targetUtilization'], 0],
    [['targets', 0, 'targetUtilization'], 1.5],
    [['targets', 0, 'minReplicas'], -1],
    [['targets', 0, 'minReplicas'], 1.5],
    [['targets', 0, 'minReplicas'], 21],
    [['targets', 0, 'maxReplicas'], 0],
    [['targets', 0, 'maxReplicas'], Infinity],
    [['targets', 0, 'quantile'], 49],
    [['targets', 0, 'quantile'], 100],
    [['targets', 0, 'name'], 'Web'],
    [['targets', 0, 'name'], ''],
    [['targets', 0, 'name'], '-web'],
    [['targets', 0, 'namespace'], 'shop floor'],
    [['targets', 0, 'kind'], 'Pod'],
    [['targets', 0, 'load'], 'http'],
    [['targets', 0, 'load', 'measurement'], ''],
    [['targets', 0, 'load', 'aggregate'], 'median'],
    [['targets', 0, 'load', 'tags'], { service: 5 }, ['targets', 0, 'load', 'tags', 'service']],
    [['targets', 0, 'podStartup'], '-5s'],
    [['targets', 0, 'podStartup'], 'soon'],
    [['targets', 0, 'podStartup'], -1],
    [['targets', 0, 'podStartup'], true],
    [['targets', 0, 'actuation'], 'manual'],
    [['targets', 0, 'serviceCheck', 'url'], 'not a url'],
    [['targets', 0, 'serviceCheck', 'timeout'], 0],
    [['targets', 0, 'nodePool'], 'missing'],
    [['targets', 0, 'podRequests'], undefined, ['targets', 0, 'podRequests']],
    [['targets', 0, 'podRequests', 'cpu'], 0],
    [['targets', 0, 'extra'], 1, ['targets', 0]],
    [['targets', 1, 'name'], 'web', ['targets', 1, 'name']],
    [['targets'], []],
    [['nodePools', 0, 'maxNodes'], 0],
    [['nodePools', 0, 'minNodes'], 11],
    [['nodePools', 0, 'allocatable', 'cpu'], Infinity],
    [['nodePools', 0, 'allocatable', 'memoryMiB'], -1],
    [['nodePools', 0, 'driver'], { type: 'magic' }, ['nodePools', 0, 'driver', 'type']],
    [['nodePools', 0, 'driver'], { type: 'placeholder' }, ['nodePools', 0, 'driver', 'namespace']],
    [['influx', 'url'], 'nope'],
    [['influx', 'api'], 'v3'],
    [['influx', 'timeout'], 'later'],
    [['influx', 'timeout'], 0],
    [['redis', 'url'], 'not a url'],
    [['redis', 'url'], 'http://127.0.0.1:6379'],
    [['http', 'port'], 65_536],
    [['http', 'port'], -1],
    [['http', 'port'], '8080'],
    [['api', 'tokens', 0, 'token'], 'short'],
    [['api', 'tokens', 0, 'scopes'], []],
    [['api', 'tokens', 0, 'scopes'], ['admin'], ['api', 'tokens', 0, 'scopes', 0]],
    [['api', 'bodyLimitBytes'], 10],
    [['api', 'writesPerMinute'], 0],
    [['externalMetrics', 'port'], 70_000],
    [['externalMetrics', 'hpaTolerance'], 0.9],
    [['kubernetes', 'mode'], 'cluster'],
    [['step'], 0],
    [['step'], '0s'],
    [['step'], -1],
    [['step'], 'five minutes'],
    [['horizon'], 0],
    [['history'], '0d'],
    [['schedule', 'plan'], 0],
    [['schedule', 'train'], '0s'],
    [['schedule', 'reactive'], Infinity],
    [['unknownSection'], {}, []],
    // A section that is not an object stays refused when an environment variable sets a field inside it.
    [['influx'], 5],
    [['redis'], 'redis://127.0.0.1:6379'],
    [['http'], [8080]],
  ];

  const mutationArb = fc.record({
    which: fc.integer({ min: 0, max: INVALID.length - 1 }),
    // A few valid changes elsewhere must not hide the invalid one.
    noise: fc.subarray([
      [['targets', 1, 'maxReplicas'], 30],
      [['schedule', 'train'], '12h'],
      [['api', 'writesPerMinute'], 120],
      [['influx', 'database'], 'other'],
    ] as [Path, unknown][]),
    // Valid environment overrides must not hide an invalid value either.
    env: fc.constantFrom<Record<string, string>>({}, { PRESCALE_INFLUX_URL: 'http://127.0.0.1:9999' }, { PRESCALE_REDIS_URL: 'redis://127.0.0.1:6390', PRESCALE_HTTP_PORT: '9090' }),
  });

  test.prop([mutationArb], fuzzParams('configMutations'))('refuses every invalid value, naming its field', ({ which, noise, env }) => {
    const [path, value, expectedPath = path] = INVALID[which]!;
    reached.rows.add(which);
    const doc = base();
    for (const [p, v] of noise) setAt(doc, p, v);
    if (value === undefined) {
      const parent = path.slice(0, -1).reduce<Record<string | number, unknown>>((node, key) => node[key] as Record<string | number, unknown>, doc);
      delete parent[path.at(-1)!];
    } else setAt(doc, path, value);
    // An environment variable for the very field replaces the file's value (by design): leave it out.
    const otherEnv = Object.fromEntries(Object.entries(env).filter(([variable]) => show(ENV_OVERRIDES[variable]!) !== show(path)));
    const result = outcome(doc, otherEnv);
    expect('config' in result, `${show(path)} = ${JSON.stringify(value)} was accepted (env ${JSON.stringify(otherEnv)})`).toBe(false);
    const lines = fieldLines((result as { error: unknown }).error);
    expect(lines.some((line) => line.startsWith(`${show(expectedPath) || '(root)'}: `)), `${lines.join(' / ')} does not name ${show(expectedPath)}`).toBe(true);
    mutations.hit();
  });
});
