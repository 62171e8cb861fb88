/**
 * `prescale calendar add|list|get|edit|rm|preview` as processes against a real server (createApp on a free
 * port, the calendar in a real Redis under a unique prefix, a forecast in the in-memory metrics store):
 * every command's output and --json read back against the store; bad input exits 2 printing the field the
 * server named and stores nothing; stale revisions exit 2 and change nothing; tokens from --token,
 * --token-file and PRESCALE_TOKEN, a missing or read-only token exits 2 saying what to pass.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createApp } from '../../src/api/create-app.js';
import { SimulatedCluster } from '../../src/cluster/simulated-cluster.js';
import { parseConfig } from '../../src/config/load-config.js';
import { ReplayClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import { createMemoryStore } from '../../src/metrics/memory-store.js';
import { startPublishedCache } from '../../src/publish/published-cache.js';
import { createMemoryPublishedPlanStore } from '../../src/publish/published-plan-store.js';
import { createRedisCalendarStore } from '../../src/scaling/redis-calendar-store.js';
import { createMemoryStateStore } from '../../src/state/state-store.js';
import { runPrescale, type CliResult } from '../support/cli-process.js';
import { freePort } from '../support/ports.js';

const T0 = Date.UTC(2026, 10, 27, 14); // Friday 09:00 in New York, the CLI's TZ here
const WRITER = 'alice-writes-0123456789';
const READER = 'robot-reads-0123456789';
const PREFIX = `test-cli-calendar-${process.pid}-${Date.now()}`;
const config = parseConfig(
  {
    targets: [
      { name: 'web', namespace: 'shop', load: { measurement: 'http', field: 'rps' }, capacityPerReplica: 100, maxReplicas: 40 },
      { name: 'api', namespace: 'shop', load: { measurement: 'api', field: 'rps' }, capacityPerReplica: 100, maxReplicas: 40 },
    ],
    api: {
      tokens: [
        { name: 'alice', scopes: ['read', 'write'], token: WRITER },
        { name: 'robot', scopes: ['read'], token: READER },
      ],
    },
  },
  {},
);

type Entry = { id: string; title: string; targets: string[]; effect: { kind: string; replicas?: number }; meta: { revision: number; createdBy: string; updatedBy: string; createdAt: string } };

describe('prescale calendar', () => {
  let server: Server;
  let redis: Redis;
  const env: Record<string, string> = {};
  const calendar = () => createRedisCalendarStore(redis, { prefix: PREFIX });
  const cli = (args: string[], extraEnv: Record<string, string> = {}, stdin?: string): Promise<CliResult> => runPrescale(['calendar', ...args], { ...env, ...extraEnv }, stdin);
  const stored = async () => (await calendar().listWithMeta()).map((s) => ({ ...s.entry, meta: s.meta }));

  beforeAll(async () => {
    redis = new Redis(inject('redisUrl'), { lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect();
    const clock = new ReplayClock(T0);
    const store = createMemoryStore();
    // Two days of forecast on the config's grid: 300 rps, so the plan sits well below a floor of 15.
    for (const target of ['shop/web', 'shop/api']) {
      const mean = Array.from({ length: (2 * 86_400_000) / config.step }, () => 300);
      await store.writeForecast({ target, issuedAt: T0 - 60_000, model: 'snaive[288]', startMs: T0, stepMs: config.step, mean, intervals: [{ level: 80, lower: mean.map((m) => m - 30), upper: mean.map((m) => m + 30) }, { level: 95, lower: mean.map((m) => m - 60), upper: mean.map((m) => m + 60) }] });
    }
    const cluster = SimulatedCluster.fromConfig(clock, config, { replicas: { 'shop/web': 4, 'shop/api': 4 } });
    server = createServer(
      createApp({ config, clock, logger: silentLogger, store, state: createMemoryStateStore(), cluster, calendar: calendar(), published: startPublishedCache(createMemoryPublishedPlanStore()) }),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    env['PRESCALE_SERVER'] = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    env['PRESCALE_TOKEN'] = WRITER;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const keys = await redis.keys(`${PREFIX}:*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });

  it('add from flags stores the entry with its author; --json is the stored entry', async () => {
    const result = await cli(['add', '--id', 'sale', '--target', 'shop/web', '--title', 'Black Friday', '--start', '2026-11-28 09:00', '--end', '2026-11-28T17:00', '--tz', 'America/New_York', '--floor', '20']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('created sale: floor 20 for shop/web, 2026-11-28 09:00–17:00 America/New_York, once (revision 1)\n');
    const json = await cli(['add', '--json', '--id', 'standup', '--target', 'shop/web', '--target', 'shop/api', '--start', '2026-11-30T09:00', '--end', '2026-11-30T10:00', '--tz', 'Europe/Paris', '--add', '2', '--add-percent', '10', '--weekly', '--weekdays', 'mon,wed,fri', '--count', '12', '--exclude-date', '2026-12-25']);
    expect(json.code).toBe(0);
    const body = JSON.parse(json.stdout) as Entry;
    const [sale, standup] = await stored();
    expect(body).toEqual(standup);
    expect(standup).toMatchObject({ id: 'standup', targets: ['shop/web', 'shop/api'], effect: { kind: 'relative', replicas: 2, percent: 10 }, recurrence: { frequency: 'weekly', weekdays: [1, 3, 5], count: 12 }, exclusions: { dates: ['2026-12-25'] } });
    expect(sale).toMatchObject({ id: 'sale', title: 'Black Friday', timeZone: 'America/New_York', start: '2026-11-28T09:00', meta: { revision: 1, createdBy: 'alice', createdAt: new Date(T0).toISOString() } });
  });

  it('add --file - reads YAML from stdin', async () => {
    const yaml = 'id: freeze\ntargets: ["*"]\ntitle: Change freeze\neffect: {kind: ceiling, replicas: 30}\nstart: 2026-12-20T00:00\nend: 2026-12-27T00:00\n';
    const result = await cli(['add', '--file', '-'], {}, yaml);
    expect(result.code).toBe(0);
    expect((await calendar().get('freeze'))?.entry).toMatchObject({ targets: ['*'], effect: { kind: 'ceiling', replicas: 30 }, timeZone: 'UTC' });
  });

  it('list prints a table; --json filters by target and time range as the API does', async () => {
    const table = await cli(['list']);
    expect(table.code).toBe(0);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^id\s+targets\s+title\s+effect\s+priority\s+when \(local, zone\)\s+recurrence\s+updated$/);
    expect(lines.slice(2).map((l) => l.split(/\s+/)[0])).toEqual(['freeze', 'sale', 'standup']);
    expect(table.stdout).toMatch(/sale\s+shop\/web\s+Black Friday\s+floor 20\s+0\s+2026-11-28 09:00–17:00 America\/New_York\s+once\s+alice 2026-11-27 09:00 EST/);
    expect(table.stdout).toMatch(/standup\s+shop\/web,shop\/api\s+\+10% \+2 replicas\s+0\s+2026-11-30 09:00–10:00 Europe\/Paris\s+weekly Mon,Wed,Fri 12 times \(1 exclusion\)/);

    const forApi = JSON.parse((await cli(['list', '--json', '--target', 'shop/api'])).stdout) as { entries: Entry[] };
    expect(forApi.entries.map((e) => e.id)).toEqual(['freeze', 'standup']);
    const inRange = JSON.parse((await cli(['list', '--json', '--from', '2026-11-28T00:00:00Z', '--to', '2026-11-29T00:00:00Z'])).stdout) as { entries: Entry[] };
    expect(inRange.entries.map((e) => e.id)).toEqual(['sale']);
    const badRange = await cli(['list', '--from', 'tomorrow']);
    expect(badRange.code).toBe(2);
    expect(badRange.stderr).toMatch(/\n {2}query\.from: expected epoch milliseconds or an ISO date-time/);
  });

  it('get prints YAML with the revision; --json is the stored entry', async () => {
    const yaml = await cli(['get', 'sale']);
    expect(yaml.code).toBe(0);
    expect(yaml.stdout.split('\n')[0]).toBe('# revision 1; created by alice 2026-11-27 09:00 EST; updated by alice 2026-11-27 09:00 EST');
    expect(yaml.stdout).toContain('\nid: sale\n');
    expect(yaml.stdout).toContain('\n  kind: floor\n  replicas: 20\n');
    expect(JSON.parse((await cli(['get', 'sale', '--json'])).stdout)).toEqual((await stored()).find((e) => e.id === 'sale'));
    const missing = await cli(['get', 'nope']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('GET /api/calendar/nope failed with 404');
  });

  it('bad input exits 2, prints each field the server named, and stores nothing', async () => {
    const before = await stored();
    const reversed = await cli(['add', '--id', 'bad', '--target', 'shop/web', '--start', '2026-11-28T17:00', '--end', '2026-11-28T09:00', '--floor', '5']);
    expect(reversed.code).toBe(2);
    expect(reversed.stderr).toBe('error: POST /api/calendar failed with 400:\n  end: end (2026-11-28T09:00) must be after start (2026-11-28T17:00)\n');
    const several = await cli(['add', '--id', 'bad', '--target', 'shop/web', '--start', '2026-11-28T09:00', '--end', '2026-11-28T10:00', '--tz', 'Mars/Olympus', '--absolute', '1000000000']);
    expect(several.code).toBe(2);
    expect(several.stderr).toMatch(/^error: POST \/api\/calendar failed with 400:\n {2}effect\.replicas: .*\n {2}timeZone: expected an IANA time zone/);
    const unknownTarget = await cli(['add', '--id', 'bad', '--target', 'shop/nope', '--start', '2026-11-28T09:00', '--end', '2026-11-28T10:00', '--floor', '5']);
    expect(unknownTarget.code).toBe(2);
    expect(unknownTarget.stderr).toMatch(/\n {2}targets\.0: .*shop\/nope/);
    const taken = await cli(['add', '--id', 'sale', '--target', 'shop/web', '--start', '2026-11-28T09:00', '--end', '2026-11-28T10:00', '--floor', '5']);
    expect(taken.code).toBe(2);
    expect(taken.stderr).toContain('failed with 409');
    const flag = await cli(['add', '--id', 'bad', '--target', 'shop/web', '--start', '2026-11-28T09:00', '--end', '2026-11-28T10:00', '--floor', 'lots']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toBe('error: --floor: expected a number, got "lots"\n');
    expect(await stored()).toEqual(before);
  });

  it('edit applies flags over the stored entry with If-Match; a stale revision exits 2 and changes nothing', async () => {
    const edited = await cli(['edit', 'sale', '--floor', '25']);
    expect(edited.code).toBe(0);
    expect(edited.stdout).toBe('updated sale: floor 25 for shop/web, 2026-11-28 09:00–17:00 America/New_York, once (revision 2)\n');
    expect((await calendar().get('sale'))).toMatchObject({ entry: { effect: { kind: 'floor', replicas: 25 }, title: 'Black Friday' }, meta: { revision: 2, updatedBy: 'alice' } });

    const stale = await cli(['edit', 'sale', '--floor', '30', '--if-match', '1']);
    expect(stale.code).toBe(2);
    expect(stale.stderr).toContain('failed with 412');
    expect(stale.stderr).toContain('hint: the entry changed since that revision');
    expect((await calendar().get('sale'))?.meta.revision).toBe(2);
    expect((await calendar().get('sale'))?.entry.effect).toEqual({ kind: 'floor', replicas: 25 });
  });

  it('edit without flags opens $EDITOR on the YAML and saves what was written', async () => {
    const result = await cli(['edit', 'freeze'], { EDITOR: `sed -i -e 's/^title: .*/title: Holiday freeze/'` });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^updated freeze: ceiling 30 for \*/);
    expect((await calendar().get('freeze'))).toMatchObject({ entry: { title: 'Holiday freeze' }, meta: { revision: 2 } });
    const unchanged = await cli(['edit', 'freeze'], { EDITOR: 'true' });
    expect(unchanged.stdout).toBe('no change to freeze\n');
    expect((await calendar().get('freeze'))?.meta.revision).toBe(2);
  });

  it('preview prints the hours the entry changes, per target; --json has with and without per step; nothing is stored', async () => {
    const before = await stored();
    const flags = ['--id', 'peek', '--target', 'shop/web', '--start', '2026-11-27T11:00', '--end', '2026-11-27T13:00', '--tz', 'America/New_York', '--floor', '15', '--days', '1'];
    const table = await cli(['preview', ...flags]);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^preview 2026-11-27 09:00 EST to 2026-11-28 09:00 EST \(times in America\/New_York\)/);
    expect(table.stdout).toMatch(/shop\/web: changes planned replicas in 1 period, \+\d+ replica-hours/);
    expect(table.stdout).toMatch(/2026-11-27 11:00 EST\s+2026-11-27 13:00 EST\s+\d+\s+15\s+\+\d+/);
    const json = JSON.parse((await cli(['preview', '--json', ...flags])).stdout) as { stepMs: number; targets: { target: string; points: { time: number; without: number; with: number }[] }[] };
    expect(json.targets.map((t) => t.target)).toEqual(['shop/web']);
    const changed = json.targets[0]!.points.filter((p) => p.with !== p.without);
    expect(changed.length).toBeGreaterThan(0);
    expect(changed.every((p) => p.with === 15 && p.without < 15 && p.time >= T0 + 2 * 3_600_000 && p.time < T0 + 4 * 3_600_000)).toBe(true);
    const replicaHours = changed.reduce((sum, p) => sum + ((p.with - p.without) * json.stepMs) / 3_600_000, 0);
    expect(table.stdout).toContain(`shop/web: changes planned replicas in 1 period, +${Math.round(replicaHours * 10) / 10} replica-hours`);
    expect(await stored()).toEqual(before);
  });

  it('rm with a stale --if-match exits 2 and keeps the entry; rm removes it; rm again exits 2', async () => {
    const stale = await cli(['rm', 'sale', '--if-match', '1']);
    expect(stale.code).toBe(2);
    expect(stale.stderr).toContain('failed with 412');
    expect(await calendar().get('sale')).not.toBeNull();
    const removed = await cli(['rm', 'sale', '--if-match', '2', '--json']);
    expect(removed.code).toBe(0);
    expect(JSON.parse(removed.stdout)).toEqual({ id: 'sale', removed: true });
    expect(await calendar().get('sale')).toBeNull();
    const again = await cli(['rm', 'sale']);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('DELETE /api/calendar/sale failed with 404');
  });

  it('add without an id prints the id the server generated from the title', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'prescale-entry-')), 'entry.json');
    writeFileSync(file, JSON.stringify({ targets: ['shop/api'], title: 'Cyber Monday', effect: { kind: 'absolute', replicas: 12 }, start: '2026-11-30T00:00', end: '2026-12-01T00:00' }));
    const result = await cli(['add', '--file', file, '--priority', '3']);
    expect(result.code).toBe(0);
    const id = /^created (cyber-monday-[0-9a-f]{8}): absolute 12 for shop\/api, 2026-11-30 00:00–2026-12-01 00:00 UTC, once \(revision 1\)\n$/.exec(result.stdout)?.[1];
    expect((await calendar().get(id ?? 'none'))?.entry).toMatchObject({ title: 'Cyber Monday', priority: 3 });
    const renamed = await cli(['edit', id ?? 'none', '--id', 'other']);
    expect(renamed.code).toBe(2);
    expect(renamed.stderr).toContain('--id: an entry keeps its id');
  });

  it('takes the token from --token, --token-file or PRESCALE_TOKEN; a missing or read-only token exits 2 saying what to pass', async () => {
    const none = await runPrescale(['calendar', 'list'], { PRESCALE_SERVER: env['PRESCALE_SERVER']! });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('failed with 401: missing bearer token');
    expect(none.stderr).toContain('hint: pass a valid token with --token, --token-file or PRESCALE_TOKEN');
    const wrong = await cli(['list', '--token', 'not-a-token-at-all']);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('the bearer token is not valid');

    const readOnly = await cli(['add', '--id', 'ro', '--target', 'shop/web', '--start', '2026-11-28T09:00', '--end', '2026-11-28T10:00', '--floor', '5'], { PRESCALE_TOKEN: READER });
    expect(readOnly.code).toBe(2);
    expect(readOnly.stderr).toContain('lacks the "write" scope');
    expect(await calendar().get('ro')).toBeNull();

    const file = join(mkdtempSync(join(tmpdir(), 'prescale-token-')), 'token');
    writeFileSync(file, `${READER}\n`);
    const fromFile = await runPrescale(['calendar', 'list', '--json', '--token-file', file], { PRESCALE_SERVER: env['PRESCALE_SERVER']! });
    expect(fromFile.code).toBe(0);
    expect((JSON.parse(fromFile.stdout) as { entries: Entry[] }).entries.map((e) => e.id)).toEqual((await stored()).map((e) => e.id));
    const both = await cli(['list', '--token', WRITER, '--token-file', file]);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain("option '--token <token>' cannot be used with option '--token-file <file>'");
  });

  it('exits 1 when the server is unreachable', async () => {
    const port = await freePort();
    const result = await cli(['list'], { PRESCALE_SERVER: `http://127.0.0.1:${port}` });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`error: cannot reach Prescale at http://127.0.0.1:${port} (ECONNREFUSED)`);
  });
});
