/**
 * The InfluxDB 2.x store (src/metrics/influx-v2.ts) runs the same MetricsStore contract as the memory store and the
 * v1 store, against the 2.x protocol double (test/support/fake-influx2.ts: /api/v2 buckets, write and query, with
 * every Flux query parsed by the real Flux parser and interpreted). A bucket per contract test. After each test,
 * every Flux text the store sent must have parsed without a syntax error and used only what the double
 * interprets; the parser itself is shown to reject broken Flux (so a syntax error cannot pass).
 *
 * Left out: what only recorded responses show (test/unit/influx-v2.test.ts: exact Flux text, error bodies).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ServiceError } from '../../src/core/errors.js';
import { createInfluxV2Store, fluxString } from '../../src/metrics/influx-v2.js';
import { FakeInflux2 } from '../support/fake-influx2.js';
import { metricsStoreContract } from './metrics-store.contract.js';

const ORG = 'prescale-org';
const TOKEN = 'contract-token';
let influx: FakeInflux2;
let buckets = 0;

beforeAll(async () => {
  influx = await FakeInflux2.start({ org: ORG, token: TOKEN });
});
afterAll(async () => {
  await influx.close();
});
afterEach(() => {
  // Taken out, so that one test's complaint is reported by that test only.
  expect(influx.syntaxErrors.splice(0)).toEqual([]);
  expect(influx.unsupported.splice(0)).toEqual([]);
});

async function freshStore() {
  const bucket = `contract-${buckets++}`;
  influx.createBucket(bucket);
  const store = createInfluxV2Store({ url: influx.url, org: ORG, bucket, token: TOKEN, timeoutMs: 10_000 });
  await store.ensureReady();
  return store;
}

metricsStoreContract('influx-v2 (2.x protocol double, real Flux parser)', freshStore);

describe('the 2.x double checks what the store sends', () => {
  it('every query the contract sent was Flux the real parser accepts (and there were many)', () => {
    expect(influx.queries.length).toBeGreaterThan(50);
    for (const flux of influx.queries) expect(FakeInflux2.syntaxErrorsOf(flux), flux).toEqual([]);
  });

  it('rejects malformed Flux with a 400 naming the parser error', async () => {
    const broken = 'from(bucket: "b")\n  |> range(start: 2026-01-01T00:00:00Z, stop: 2026-01-02T00:00:00Z\n  |> filter(fn: (r) => r._measurement == "m")';
    expect(FakeInflux2.syntaxErrorsOf(broken).length).toBeGreaterThan(0);
    const answer = await fetch(`${influx.url}/api/v2/query?org=${ORG}`, {
      method: 'POST',
      headers: { authorization: `Token ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ query: broken, type: 'flux' }),
    });
    expect(answer.status).toBe(400);
    expect(((await answer.json()) as { message: string }).message).toMatch(/^compilation failed: .*@\d+:\d+/);
    expect(influx.syntaxErrors.splice(0).map((e) => e.flux)).toEqual([broken]); // this one was on purpose
  });

  it('quotes odd tag values so that the parser reads them back as the same string (quotes, backslashes, $ and ${)', () => {
    for (const value of ['plain', 'a "b" c', 'back\\slash', 'cost $5', 'not ${interpolated}', 'ends with $', '\\${x}']) {
      const flux = `x = ${fluxString(value)}`;
      expect(FakeInflux2.syntaxErrorsOf(flux), flux).toEqual([]);
    }
  });

  it('answers a bucket it does not know as missing, and a wrong token as unauthorized', async () => {
    const missing = createInfluxV2Store({ url: influx.url, org: ORG, bucket: 'nope', token: TOKEN });
    await expect(missing.ensureReady()).rejects.toThrow(/bucket "nope" not found/);
    const wrong = createInfluxV2Store({ url: influx.url, org: ORG, bucket: 'nope', token: 'wrong' });
    const error = await wrong.ensureReady().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServiceError);
    expect((error as Error).message).toMatch(/authentication failed/);
  });

  it('refuses a field written with another type than before (422 field type conflict), storing nothing of that write', async () => {
    influx.createBucket('types');
    const write = (body: string) => fetch(`${influx.url}/api/v2/write?org=${ORG}&bucket=types&precision=ms`, { method: 'POST', headers: { authorization: `Token ${TOKEN}` }, body });
    expect((await write('m,t=a v=1 1000')).status).toBe(204);
    const conflict = await write('m,t=a w=2 2000\nm,t=a v="text" 3000');
    expect(conflict.status).toBe(422);
    expect(((await conflict.json()) as { message: string }).message).toMatch(/field type conflict/);
    const store = createInfluxV2Store({ url: influx.url, org: ORG, bucket: 'types', token: TOKEN });
    expect(await store.latest({ measurement: 'm', field: 'w', at: 5000, lookbackMs: 10_000 })).toBeNull();
    expect(await store.latest({ measurement: 'm', field: 'v', at: 5000, lookbackMs: 10_000 })).toEqual({ time: 1000, value: 1 });
  });
});
