/**
 * The calendar survives a restart of the real service process (src/main.ts via tsx, api role): an entry created
 * through the HTTP API of one process is read back, with its meta, from the next process on the same Redis.
 * The first process runs without tokens (it must warn that the API is open), the second with a token file
 * config (reads then need the token).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { REPO_ROOT } from '../../src/core/paths.js';
import { freePort } from '../support/ports.js';
import { startService } from '../support/service-process.js';

const PREFIX = `calendar-process-test-${process.pid}-${Date.now()}`;
const TOKEN = 'process-test-token-0123456789';
const dir = mkdtempSync(join(tmpdir(), 'prescale-calendar-process-'));

/** The service's api role on `port`, against this run's Redis (under PREFIX) and InfluxDB. */
const startPrescale = (port: number, configFile?: string) =>
  startService(
    {
      PRESCALE_ROLES: 'api',
      PRESCALE_INFLUX_URL: inject('influxUrl'),
      PRESCALE_INFLUX_DATABASE: 'calendar_process_test',
      PRESCALE_REDIS_URL: inject('redisUrl'),
      PRESCALE_REDIS_PREFIX: PREFIX,
      PRESCALE_HTTP_PORT: String(port),
      PRESCALE_EXTERNAL_METRICS_PORT: '0',
      PRESCALE_MODELS_DIR: join(dir, 'models'),
    },
    configFile ? [`--config=${configFile}`] : [],
  );

afterAll(async () => {
  const redis = new Redis(inject('redisUrl'));
  const keys = await redis.keys(`${PREFIX}:*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
  rmSync(dir, { recursive: true, force: true });
});

describe('calendar across a restart of the service process', () => {
  it('reads back, after a restart, the entry the previous process stored', async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const entry = { id: 'launch-day', targets: ['*'], title: 'Launch', effect: { kind: 'floor', replicas: 4 }, timeZone: 'Europe/Paris', start: '2026-12-01T08:00', end: '2026-12-01T20:00' };

    const first = await startPrescale(port);
    expect(first.output()).toContain('no api.tokens configured');
    const created = await fetch(`${base}/api/calendar`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(entry) });
    expect(created.status).toBe(201);
    const body = (await created.json()) as { meta: { createdBy: string; revision: number } };
    expect(body.meta).toMatchObject({ createdBy: 'anonymous', revision: 1 });
    expect(await first.stop()).toBe(0);

    // The same config with a token: the second process must not warn, and reads need the token.
    const config = parse(readFileSync(join(REPO_ROOT, 'prescale.yaml'), 'utf8')) as Record<string, unknown>;
    const configFile = join(dir, 'prescale-with-tokens.yaml');
    writeFileSync(configFile, stringify({ ...config, api: { tokens: [{ name: 'ops', scopes: ['read', 'write'], token: TOKEN }] } }));
    const second = await startPrescale(port, configFile);
    try {
      expect(second.output()).not.toContain('no api.tokens configured');
      expect((await fetch(`${base}/api/calendar/launch-day`)).status).toBe(401);
      const back = await fetch(`${base}/api/calendar/launch-day`, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(back.status).toBe(200);
      expect(back.headers.get('etag')).toBe('"1"');
      expect(await back.json()).toEqual(body);
    } finally {
      expect(await second.stop()).toBe(0);
    }
  }, 150_000);
});
