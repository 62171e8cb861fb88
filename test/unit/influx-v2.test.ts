/**
 * The InfluxDB 2.x adapter, tested against recorded-format 2.x responses (test/fixtures/influx2, see its README):
 * no 2.x server can run here. A local node:http server plays InfluxDB 2.x: it checks every request (path, org,
 * bucket, precision, token, Flux text) and answers with the fixture a test queued for a matching Flux query.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { InputError, ServiceError } from '../../src/core/errors.js';
import { REPO_ROOT } from '../../src/core/paths.js';
import { createInfluxV2Store, fluxString } from '../../src/metrics/influx-v2.js';
import type { ScalingDecision } from '../../src/metrics/metrics-store.js';
import { createMetricsStore } from '../../src/metrics/create-store.js';

const FIXTURES = join(REPO_ROOT, 'test', 'fixtures', 'influx2');
const fixture = (name: string) => readFileSync(join(FIXTURES, name), 'utf8');

const ORG = 'acme';
const BUCKET = 'prescale';
const TOKEN = 'test-token-2x';
const MIN = 60_000;
const STEP = 5 * MIN;
const at = (hhmm: string) => Date.parse(`1995-07-01T${hhmm}:00Z`);

interface Recorded {
  method: string;
  path: string;
  params: URLSearchParams;
  authorization?: string;
  contentType?: string;
  body: string;
  flux?: string;
}

interface Reply {
  status: number;
  body: string;
  contentType: string;
}

/** A stand-in for InfluxDB 2.x: answers queued replies for Flux queries that match, records everything. */
function fakeInflux2() {
  const requests: Recorded[] = [];
  const queries: { match: RegExp; reply: Reply }[] = [];
  let writeReply: Reply | undefined;
  let failure: string | undefined;
  const json = (status: number, body: string): Reply => ({ status, body, contentType: 'application/json; charset=utf-8' });

  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const recorded: Recorded = { method: req.method ?? '', path: url.pathname, params: url.searchParams, authorization: req.headers.authorization, contentType: req.headers['content-type'], body };
      requests.push(recorded);
      const send = (reply: Reply) => {
        res.writeHead(reply.status, { 'content-type': reply.contentType });
        res.end(reply.body);
      };
      if (req.headers.authorization !== `Token ${TOKEN}`) return send(json(401, fixture('error-unauthorized.json')));
      if (url.pathname === '/api/v2/buckets' && req.method === 'GET') {
        if (url.searchParams.get('org') !== ORG) return send(json(404, '{"code":"not found","message":"organization name \\"' + url.searchParams.get('org') + '\\" not found"}'));
        return send(json(200, fixture(url.searchParams.get('name') === BUCKET ? 'buckets-prescale.json' : 'buckets-none.json')));
      }
      if (url.pathname === '/api/v2/write' && req.method === 'POST') {
        if (url.searchParams.get('org') !== ORG || url.searchParams.get('bucket') !== BUCKET || url.searchParams.get('precision') !== 'ms') {
          failure = `bad write parameters ${url.search}`;
          return send(json(400, '{"code":"invalid","message":"bad write parameters"}'));
        }
        return writeReply ? send(writeReply) : (res.writeHead(204), res.end());
      }
      if (url.pathname === '/api/v2/query' && req.method === 'POST') {
        const parsed = JSON.parse(body) as { query: string; type: string; dialect: { annotations: string[] } };
        recorded.flux = parsed.query;
        if (url.searchParams.get('org') !== ORG || parsed.type !== 'flux') failure = `bad query request ${url.search} ${parsed.type}`;
        const index = queries.findIndex((q) => q.match.test(parsed.query));
        if (index === -1) {
          failure = `no recorded response for Flux:\n${parsed.query}`;
          return send(json(400, '{"code":"invalid","message":"no recorded response for this query"}'));
        }
        const [queued] = queries.splice(index, 1);
        return send(queued!.reply);
      }
      failure = `unexpected ${req.method} ${url.pathname}`;
      send(json(404, '{"code":"not found","message":"path not found"}'));
    });
  });

  return {
    requests,
    server,
    /** Queue a CSV fixture for the next Flux query matching `match`. */
    onQuery(match: RegExp, file: string, status = 200) {
      queries.push({ match, reply: status === 200 ? { status, body: fixture(file), contentType: 'text/csv; charset=utf-8' } : json(status, fixture(file)) });
    },
    failWrites(status: number, file: string) {
      writeReply = json(status, fixture(file));
    },
    reset() {
      requests.length = 0;
      queries.length = 0;
      writeReply = undefined;
      const f = failure;
      failure = undefined;
      return { failure: f };
    },
    get failure() {
      return failure;
    },
    get pending() {
      return queries.length;
    },
  };
}

const influx = fakeInflux2();
let url = '';
const store = (over: Partial<Parameters<typeof createInfluxV2Store>[0]> = {}) =>
  createInfluxV2Store({ url, org: ORG, bucket: BUCKET, token: TOKEN, timeoutMs: 5000, ...over });

beforeAll(async () => {
  await new Promise<void>((resolve) => influx.server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(influx.server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => influx.server.close(resolve));
});
afterEach(() => {
  // Every request the adapter made must have been one the fake server recognised, and every queued reply used.
  const pending = influx.pending;
  const { failure } = influx.reset();
  expect(failure).toBeUndefined();
  expect(pending).toBe(0);
});

describe('influx-v2 adapter (recorded InfluxDB 2.x responses)', () => {
  it('ensureReady finds the bucket through /api/v2/buckets with the token', async () => {
    await store().ensureReady();
    const [request] = influx.requests;
    expect(request?.path).toBe('/api/v2/buckets');
    expect(request?.params.get('org')).toBe(ORG);
    expect(request?.params.get('name')).toBe(BUCKET);
    expect(request?.authorization).toBe(`Token ${TOKEN}`);
  });

  it('a missing bucket is a non-retryable error naming it', async () => {
    const error = await store({ bucket: 'missing' }).ensureReady().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServiceError);
    expect((error as ServiceError).retryable).toBe(false);
    expect((error as Error).message).toContain('bucket "missing" not found in org "acme"');
  });

  it('a wrong token is a non-retryable authentication error with the server message', async () => {
    const error = await store({ token: 'wrong' }).ensureReady().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServiceError);
    expect((error as ServiceError).retryable).toBe(false);
    expect((error as Error).message).toMatch(/authentication failed: unauthorized access/);
  });

  it('writes line protocol to /api/v2/write?org&bucket&precision=ms in batches', async () => {
    const points = Array.from({ length: 12 }, (_, i) => ({ measurement: 'http_requests', tags: { service: 'nasa-http' }, fields: { requests: 200 + i }, time: at('04:05') + i * STEP }));
    await store({ batchLines: 5 }).writePoints(points);
    const writes = influx.requests.filter((r) => r.path === '/api/v2/write');
    expect(writes.map((w) => w.body.split('\n').length)).toEqual([5, 5, 2]);
    expect(writes[0]?.contentType).toBe('text/plain; charset=utf-8');
    expect(writes[0]?.body.split('\n')[0]).toBe(`http_requests,service=nasa-http requests=200 ${at('04:05')}`);
  });

  it('rejects a NaN field before sending anything', async () => {
    const bad = [{ measurement: 'm', tags: {}, fields: { v: 1 }, time: 0 }, { measurement: 'm', tags: {}, fields: { v: Number.NaN }, time: 1 }];
    await expect(store().writePoints(bad)).rejects.toThrow(InputError);
    await expect(store().writePoints([{ measurement: '', tags: {}, fields: { v: 1 }, time: 0 }])).rejects.toThrow('points[0].measurement');
    expect(influx.requests).toEqual([]);
  });

  it('a 400 on write is non-retryable with the server message; a 503 is retryable', async () => {
    influx.failWrites(400, 'error-write-type-conflict.json');
    const conflict = await store().writePoints([{ measurement: 'prescale_decision', tags: {}, fields: { applied: 1 }, time: 0 }]).catch((e: unknown) => e);
    expect(conflict).toBeInstanceOf(ServiceError);
    expect((conflict as ServiceError).retryable).toBe(false);
    expect((conflict as Error).message).toMatch(/write: HTTP 400: .*field type conflict: input field "applied"/);
    influx.failWrites(503, 'error-unavailable.json');
    const down = await store().writePoints([{ measurement: 'm', tags: {}, fields: { v: 1 }, time: 0 }]).catch((e: unknown) => e);
    expect((down as ServiceError).retryable).toBe(true);
    expect((down as Error).message).toContain('HTTP 503: service unavailable');
  });

  it('an unreachable server is a retryable ServiceError naming the address', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createNetServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    const error = await store({ url: `http://127.0.0.1:${port}` })
      .readSeries({ measurement: 'm', field: 'v', from: 0, to: MIN, stepMs: MIN })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServiceError);
    expect((error as ServiceError).retryable).toBe(true);
    expect((error as Error).message).toContain(`influxdb at http://127.0.0.1:${port}: query: unreachable (ECONNREFUSED)`);
  });

  it('readSeries sends range/filter/group/aggregateWindow Flux and fills gaps by policy (seeded from before the range)', async () => {
    const query = { measurement: 'http_requests', field: 'requests', tags: { service: 'nasa-http' }, from: at('04:10'), to: at('05:10'), stepMs: STEP };
    influx.onQuery(/aggregateWindow/, 'series-mean-5m.csv');
    const raw = await store().readSeries(query);
    expect(raw).toEqual({ startMs: at('04:10'), stepMs: STEP, values: [null, 282, 319, 344, null, null, 319, 205, 313, 286, 241, null] });
    expect(influx.requests[0]?.flux).toBe(
      [
        'from(bucket: "prescale")',
        '  |> range(start: 1995-07-01T04:10:00.000Z, stop: 1995-07-01T05:10:00.000Z)',
        '  |> filter(fn: (r) => r._measurement == "http_requests" and r._field == "requests" and r["service"] == "nasa-http")',
        '  |> group()',
        '  |> aggregateWindow(every: 300000ms, fn: mean, createEmpty: true, timeSrc: "_start")',
      ].join('\n'),
    );

    influx.onQuery(/aggregateWindow/, 'series-mean-5m.csv');
    const linear = await store().readSeries({ ...query, gap: 'linear' });
    expect(linear.values).toEqual([null, 282, 319, 344, 344 - 25 / 3, 344 - 50 / 3, 319, 205, 313, 286, 241, null]);

    influx.onQuery(/aggregateWindow/, 'series-mean-5m.csv');
    influx.onQuery(/\|> last\(\)/, 'series-seed.csv');
    const previous = await store().readSeries({ ...query, gap: 'previous' });
    expect(previous.values).toEqual([267, 282, 319, 344, 344, 344, 319, 205, 313, 286, 241, 241]);
    expect(influx.requests[3]?.flux).toContain('range(start: 1995-06-24T04:10:00.000Z, stop: 1995-07-01T04:10:00.000Z)');

    influx.onQuery(/aggregateWindow/, 'series-mean-5m.csv');
    expect((await store().readSeries({ ...query, gap: 'zero' })).values).toEqual([0, 282, 319, 344, 0, 0, 319, 205, 313, 286, 241, 0]);
  });

  it('readSeries with last sorts by time after merging series', async () => {
    influx.onQuery(/sort\(columns: \["_time"\]\)\n {2}\|> aggregateWindow\(every: 300000ms, fn: last, createEmpty: true/, 'series-mean-5m.csv');
    const s = await store().readSeries({ measurement: 'http_requests', field: 'requests', from: at('04:10'), to: at('05:10'), stepMs: STEP, aggregate: 'last', gap: 'null' });
    expect(s.values[1]).toBe(282);
  });

  it('latest asks for the last point up to and including `at`', async () => {
    influx.onQuery(/\|> last\(\)/, 'latest.csv');
    expect(await store().latest({ measurement: 'http_requests', field: 'requests', at: at('05:00'), lookbackMs: 30 * MIN })).toEqual({ time: at('04:55'), value: 286 });
    expect(influx.requests[0]?.flux).toContain('range(start: 1995-07-01T04:30:00.000Z, stop: 1995-07-01T05:00:00.001Z)');
    influx.onQuery(/\|> last\(\)/, 'empty.csv');
    expect(await store().latest({ measurement: 'http_requests', field: 'requests', at: at('09:00'), lookbackMs: 30 * MIN })).toBeNull();
  });

  it('writeForecast skips timestamps a later-issued forecast already covers', async () => {
    influx.onQuery(/r\._field == "issued_at"/, 'forecast-newer.csv');
    await store().writeForecast({
      target: 'nasa/web',
      issuedAt: at('04:55'),
      model: 'seasonal-naive',
      startMs: at('05:05'),
      stepMs: STEP,
      mean: [250, 251, 252],
      intervals: [{ level: 80, lower: [220, 221, 222], upper: [280, 281, 282] }],
    });
    expect(influx.requests[0]?.flux).toContain(`filter(fn: (r) => r._value > ${at('04:55')}.0)`);
    const write = influx.requests.find((r) => r.path === '/api/v2/write');
    expect(write?.body.split('\n')).toEqual([
      `prescale_forecast,target=nasa/web hi80=280,issued_at=${at('04:55')},lo80=220,mean=250,model="seasonal-naive" ${at('05:05')}`,
      `prescale_forecast,target=nasa/web hi80=281,issued_at=${at('04:55')},lo80=221,mean=251,model="seasonal-naive" ${at('05:10')}`,
      // Every point younger than an hour goes to the history too, tagged by its age bucket (minutes).
      `prescale_forecast_history,age=10,target=nasa/web age_ms=600000,hi80=280,issued_at=${at('04:55')},lo80=220,mean=250,model="seasonal-naive" ${at('05:05')}`,
      `prescale_forecast_history,age=15,target=nasa/web age_ms=900000,hi80=281,issued_at=${at('04:55')},lo80=221,mean=251,model="seasonal-naive" ${at('05:10')}`,
      `prescale_forecast_history,age=20,target=nasa/web age_ms=1200000,hi80=282,issued_at=${at('04:55')},lo80=222,mean=252,model="seasonal-naive" ${at('05:15')}`,
    ]);
  });

  it('readForecastAsIssued asks for the qualifying age buckets and keeps the youngest issue per timestamp', async () => {
    influx.onQuery(/prescale_forecast_history/, 'forecast-history-pivot.csv');
    const points = await store().readForecastAsIssued({ target: 'nasa/web', from: at('05:05'), to: at('05:15'), leadMs: 90_000, stepMs: STEP });
    // 05:05 holds issues 2 and 3 minutes old: the younger one wins; 05:10 holds only a 4-minute-old one.
    expect(points).toEqual([
      { time: at('05:05'), mean: 250, lo80: 220, hi80: 280, model: 'holt-winters', issuedAt: at('05:03') },
      { time: at('05:10'), mean: 255, lo80: 225, hi80: 285, model: 'holt-winters', issuedAt: at('05:06') },
    ]);
    const flux = influx.requests[0]?.flux ?? '';
    expect(flux).toContain('r._measurement == "prescale_forecast_history" and r["target"] == "nasa/web"');
    expect(flux).toContain('r.age == "1" or r.age == "2"');
    expect(flux).not.toContain('r.age == "0"');
    expect(flux).toContain('filter(fn: (r) => r.age_ms >= 90000.0)');
  });

  it('readForecast pivots fields into forecast points', async () => {
    influx.onQuery(/pivot\(rowKey: \["_time"\], columnKey: \["_field"\], valueColumn: "_value"\)/, 'forecast-pivot.csv');
    const points = await store().readForecast('nasa/web', at('05:05'), at('05:20'));
    expect(points).toEqual([
      { time: at('05:05'), mean: 251.5, lo80: 221.5, hi80: 281.5, lo95: 196.5, hi95: 306.5, model: 'holt-winters', issuedAt: at('05:00') },
      { time: at('05:10'), mean: 248.25, lo80: 218.25, hi80: 278.25, lo95: 193.25, hi95: 303.25, model: 'holt-winters', issuedAt: at('05:00') },
      { time: at('05:15'), mean: 240, lo80: 210, hi80: 270, lo95: 185, hi95: 295, model: 'holt-winters', issuedAt: at('05:00') },
    ]);
    expect(influx.requests[0]?.flux).toContain('r._measurement == "prescale_forecast" and r["target"] == "nasa/web"');
  });

  it('decisions: written as one line each, read back from two annotated tables in time order', async () => {
    const decision: ScalingDecision = {
      target: 'nasa/web', time: at('05:05'), mode: 'predictive', loop: 'plan', rule: 'forecast P80 281 rps / 100 per replica',
      previousReplicas: 2, desiredReplicas: 3, applied: true, inputs: { forecastMean: 251.5, forecastHi80: 281 },
    };
    await store().writeDecisions([decision]);
    expect(influx.requests[0]?.body).toBe(
      `prescale_decision,loop=plan,mode=predictive,target=nasa/web applied=T,desired_replicas=3,input_forecastHi80=281,input_forecastMean=251.5,inputs_json="{\\"forecastMean\\":251.5,\\"forecastHi80\\":281}",previous_replicas=2,rule="forecast P80 281 rps / 100 per replica" ${at('05:05')}`,
    );
    influx.onQuery(/prescale_decision/, 'decisions-pivot.csv');
    const read = await store().readDecisions(undefined, at('05:00'), at('06:00'));
    expect(read).toEqual([
      {
        target: 'nasa/web', time: at('05:02'), mode: 'reactive', loop: 'reactive', rule: 'reactive: cpu 93% > 80%', previousReplicas: 3, desiredReplicas: 4, applied: false,
        inputs: { cpu: 0.93 }, notes: 'calendar "launch",\nsecond line', nodePool: 'pool-a', previousNodes: 2, desiredNodes: 3,
      },
      decision,
    ]);
  });

  it('Flux string literals escape quotes, backslashes and interpolation', () => {
    expect(fluxString('a"b\\c${x}')).toBe('"a\\"b\\\\c\\${x}"');
  });
});

describe('createMetricsStore', () => {
  const base = { url: 'http://127.0.0.1:18086', database: 'prescale', timeout: 10_000 };

  it('picks v2 with org, bucket and token, and says which are missing otherwise', async () => {
    expect(() => createMetricsStore({ ...base, api: 'v2', org: ORG })).toThrow(/influx\.bucket, influx\.token/);
    const v2 = createMetricsStore({ ...base, url, api: 'v2', org: ORG, bucket: BUCKET, token: TOKEN });
    await v2.ensureReady();
    expect(influx.requests[0]?.path).toBe('/api/v2/buckets');
  });

  it('picks v1 by default (InfluxQL over /query)', async () => {
    const v1 = createMetricsStore({ ...base, url, api: 'v1', token: TOKEN });
    // The fake 2.x server has no /ping: the v1 adapter's request shows which API it speaks.
    await expect(v1.ensureReady()).rejects.toThrow(/GET \/ping: HTTP 404/);
    expect(influx.requests[0]?.path).toBe('/ping');
    expect(influx.requests[0]?.authorization).toBe(`Token ${TOKEN}`);
    influx.reset();
  });
});
