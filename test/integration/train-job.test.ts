/**
 * The train job with the real trainer, as the runtime wires it (src/runtime.ts: champion selection by inner
 * backtest, the folder model store, Redis state, the real influxd 1.6.7 with a database per test):
 * - under a day of history the target stays in learning mode (sizing live); from its first hour it forecasts with
 *   the bundled global LSTM conditioned on it (stored as a model version); under an hour, or with
 *   forecasting.deep off, nothing is stored;
 * - a new model measurably worse than the one in use is stored but not promoted: the store keeps serving the
 *   better one, and the model info says why (the worse history is a named synthetic: noise);
 * - reactive interventions recurring at the same time of week become suggested floors (state.getSuggestions) and
 *   reach the forecaster as the "learned:reactive" feature: the trained LSTM's stored input layout names it, and
 *   the forecast job loads the model with that flag (not read as 0), so its forecast is the flagged one.
 *
 * Left out: the champion's choice itself (test/unit/champion.test.ts) and LSTM accuracy (lstm-learns.test.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Job } from 'bullmq';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { SimulatedCluster } from '../../src/cluster/simulated-cluster.js';
import { parseConfig } from '../../src/config/load-config.js';
import { ReplayClock } from '../../src/core/clock.js';
import { readCsvTrace } from '../../src/core/csv-trace.js';
import { silentLogger } from '../../src/core/logger.js';
import { tracePath } from '../../src/core/paths.js';
import { seededUniform } from '../../src/core/random.js';
import { disposeModel } from '../../src/forecasting/forecasters.js';
import { createModelStore } from '../../src/forecasting/model-store.js';
import { learnedFeature } from '../../src/scaling/learned-actions.js';
import type { MetricPoint } from '../../src/metrics/metrics-store.js';
import { createRuntime, type Runtime } from '../../src/runtime.js';
import { forecastProcessor } from '../../jobs/processors/forecast.js';
import { trainProcessor, type TrainResult } from '../../jobs/processors/train.js';
import type { JobPayload } from '../../jobs/queues.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
let databases = 0;

describe('train job with the real trainer (real Redis, real InfluxDB, folder model store)', () => {
  let runtime: Runtime | undefined;
  let modelsDir: string | undefined;

  afterEach(async () => {
    if (runtime) {
      const keys = await runtime.redis.keys(`${runtime.deps.config.redis.prefix}*`);
      if (keys.length) await runtime.redis.del(...keys);
      await runtime.close();
    }
    if (modelsDir) rmSync(modelsDir, { recursive: true, force: true });
    runtime = undefined;
    modelsDir = undefined;
  });

  async function start(settings: Record<string, unknown>, at: number): Promise<{ runtime: Runtime; clock: ReplayClock; models: string }> {
    databases++;
    const config = parseConfig(
      {
        influx: { url: inject('influxUrl'), database: `it_train_${process.pid}_${databases}` },
        redis: { url: inject('redisUrl'), prefix: `train-it-${process.pid}-${databases}` },
        ...settings,
      },
      {},
    );
    const clock = new ReplayClock(at);
    modelsDir = mkdtempSync(join(tmpdir(), 'prescale-train-models-'));
    runtime = await createRuntime(config, { clock, logger: silentLogger, cluster: SimulatedCluster.fromConfig(clock, config), modelsDir });
    return { runtime, clock, models: modelsDir };
  }

  const train = (rt: Runtime, at: number, target = 'shop/web') =>
    trainProcessor(rt.deps)({ data: { at, target }, updateProgress: async () => {} } as unknown as Job<JobPayload<'train'>>) as Promise<TrainResult>;

  // NASA-HTTP requests per 5 minutes (data/traces), from 1995-07-01T04:05Z.
  const nasa = readCsvTrace(tracePath('nasa_http_jul1995_5min.csv')).series;
  const nasaPoints = (from: number, to: number): MetricPoint[] =>
    nasa.values
      .map((v, i) => ({ time: nasa.startMs + i * nasa.stepMs, v }))
      .filter((p) => p.time >= from && p.time < to)
      .map((p) => ({ measurement: 'http_requests', tags: { service: 'nasa' }, fields: { requests: p.v }, time: p.time }));
  const nasaTarget = { name: 'web', namespace: 'shop', load: { measurement: 'http_requests', field: 'requests', tags: { service: 'nasa' } }, capacityPerReplica: 20, minReplicas: 2, maxReplicas: 100, podStartup: '90s' };

  it('under a day of history: stays in learning mode, and from its first hour forecasts with the global LSTM conditioned on it (stored as a version)', async () => {
    const at = nasa.startMs + 12 * HOUR;
    const { runtime: rt, models } = await start({ history: '7d', horizon: '2h', targets: [nasaTarget] }, at);
    await rt.store.writePoints(nasaPoints(nasa.startMs, at));
    const result = await train(rt, at);
    expect(result).toMatchObject({ target: 'shop/web', kind: 'global-lstm', version: 1, points: 144 });
    const info = await rt.state.getModelInfo('shop/web');
    // Still learning: the mode (src/scaling/mode.ts) keeps sizing live until a day of history.
    expect(info).toMatchObject({ kind: 'global-lstm', version: 1, historyDays: 0.5, requiredHistoryDays: 1 });
    expect(info!.notes[0]).toBe('learning: 0.5 of 1 days of history');
    expect(info!.notes[1]).toMatch(/^cold start: the global LSTM .* first 12 h/);
    expect(createModelStore({ root: models }).versions('shop/web')).toEqual([1]);
    // The forecast job serves it: the next two hours, near the NASA load that followed (not the flat last value).
    const forecast = await forecastProcessor(rt.deps)({ data: { at, target: 'shop/web' }, updateProgress: async () => {} } as unknown as Job<JobPayload<'forecast'>>);
    expect(forecast).toMatchObject({ target: 'shop/web', points: 24 });
    const stored = await rt.store.readForecast('shop/web', at, at + 2 * HOUR);
    expect(stored.length).toBeGreaterThanOrEqual(23);
    const actual = nasaPoints(at, at + 2 * HOUR).map((p) => p.fields['requests']!);
    const mae = stored.slice(0, actual.length).reduce((sum, p, i) => sum + Math.abs(p.mean - actual[i]!), 0) / actual.length;
    const lastValue = nasaPoints(at - 300_000, at)[0]!.fields['requests']!;
    const naiveMae = actual.reduce((sum, v) => sum + Math.abs(lastValue - v), 0) / actual.length;
    expect(mae).toBeLessThan(naiveMae * 1.5);
  }, 60_000);

  it('under an hour of history: no model, learning mode, nothing stored', async () => {
    const short = nasa.startMs + 45 * 60_000;
    const { runtime: rt, models } = await start({ history: '7d', horizon: '2h', targets: [nasaTarget] }, short);
    await rt.store.writePoints(nasaPoints(nasa.startMs, short));
    expect(await train(rt, short)).toMatchObject({ target: 'shop/web', kind: 'none', version: null, points: 9 });
    expect(createModelStore({ root: models }).versions('shop/web')).toEqual([]);
  });

  it('with forecasting.deep off (no networks): under a day stays without a model, as before', async () => {
    const at = nasa.startMs + 12 * HOUR;
    const { runtime: rt, models } = await start({ history: '7d', horizon: '2h', forecasting: { deep: 'off' }, targets: [nasaTarget] }, at);
    await rt.store.writePoints(nasaPoints(nasa.startMs, at));
    expect(await train(rt, at)).toMatchObject({ kind: 'none', version: null, points: 144 });
    expect((await rt.state.getModelInfo('shop/web'))!.notes).toEqual(['learning: 0.5 of 1 days of history']);
    expect(createModelStore({ root: models }).versions('shop/web')).toEqual([]);
  });

  it('does not promote a model that validates worse than the one in use: the store keeps the better one', async () => {
    const first = Date.UTC(1995, 6, 8); // a week of real history before it
    const { runtime: rt, models } = await start({ history: '7d', horizon: '2h', targets: [nasaTarget] }, first);
    await rt.store.writePoints(nasaPoints(nasa.startMs, first));
    const good = await train(rt, first);
    expect(good.version).toBe(1);
    const goodInfo = (await rt.state.getModelInfo('shop/web'))!;
    expect(goodInfo.version).toBe(1);
    expect(goodInfo.kind).not.toBe('none');

    // Synthetic: two days of seeded uniform noise between 0 and 3000 requests (the real trace's peaks are ~500),
    // which the next training validates on (the last two days of its history).
    const random = seededUniform(5);
    const noise: MetricPoint[] = Array.from({ length: 2 * 288 }, (_, i) => ({ measurement: 'http_requests', tags: { service: 'nasa' }, fields: { requests: Math.round(3000 * random()) }, time: first + i * 300_000 }));
    await rt.store.writePoints(noise);
    const second = first + 2 * DAY;
    const worse = await train(rt, second);

    const store = createModelStore({ root: models });
    expect(store.versions('shop/web')).toEqual([1, 2]); // kept on disk for inspection
    expect(store.currentVersion('shop/web')).toBe(1);
    const mase = (v: number) => store.readArtefact('shop/web', v).metrics!['mase']!;
    expect(mase(2)).toBeGreaterThan(1.25 * mase(1));
    // The job answers with the model still in use, and its info says why nothing newer came.
    expect(worse).toMatchObject({ version: 1, kind: goodInfo.kind });
    const info = (await rt.state.getModelInfo('shop/web'))!;
    expect(info).toMatchObject({ version: 1, kind: goodInfo.kind, trainedAt: first, description: goodInfo.description });
    expect(info.notes.at(-1)).toMatch(/^not promoted: v2 validation MASE \d+\.\d{3} is worse than version 1's \d+\.\d{3}/);
    // What the forecast job loads is the better model.
    expect((await rt.deps.models.load('shop/web'))?.version).toBe(1);
  });

  it('turns recurring reactive scale-ups into suggested floors, trains the forecaster with them and forecasts with them', async () => {
    // NYC taxi passengers per 30 minutes (data/traces), from Tuesday 2014-07-01; two weeks of it, to Tuesday 08:00.
    const taxi = readCsvTrace(tracePath('nab_nyc_taxi_30min.csv')).series;
    const at = taxi.startMs + 14 * DAY + 8 * HOUR;
    const { runtime: rt, models } = await start(
      {
        step: '30m',
        history: '15d',
        horizon: '3h',
        targets: [{ name: 'web', namespace: 'shop', load: { measurement: 'taxi', field: 'passengers' }, capacityPerReplica: 2000, minReplicas: 2, maxReplicas: 40, podStartup: '90s', model: 'lstm' }],
      },
      at,
    );
    await rt.store.writePoints(taxi.values.slice(0, 14 * 48 + 16).map((v, i) => ({ measurement: 'taxi', tags: {}, fields: { passengers: v }, time: taxi.startMs + i * taxi.stepMs })));
    // The reactive path had to scale up on Tuesday at 09:10 UTC in three different weeks (and once at random).
    for (const time of [Date.UTC(2014, 5, 24, 9, 10), Date.UTC(2014, 6, 1, 9, 10), Date.UTC(2014, 6, 8, 9, 20), Date.UTC(2014, 6, 3, 15)]) {
      await rt.state.addIntervention({ target: 'shop/web', time, fromReplicas: 3, toReplicas: 6, rule: 'reactive: load 130% of 3 ready' });
    }
    const result = await train(rt, at);
    expect(result.version).toBe(1);
    const suggestions = await rt.state.getSuggestions('shop/web');
    expect(suggestions.map((s) => [s.weekday, s.startMinute, s.durationMinutes, s.replicas, s.weeks])).toEqual([[2, 9 * 60, 60, 6, 3]]);
    expect(suggestions[0]!.entry).toMatchObject({ effect: { kind: 'floor', replicas: 6 }, recurrence: { frequency: 'weekly', weekdays: [2] } });
    // The stored champion is the LSTM (inside its conformal wrapper) and its inputs include the learned flag.
    const artefact = createModelStore({ root: models }).readArtefact('shop/web', 1);
    const inner = (artefact.params as { inner: { kind: string; params: { layout: { calendar: string[] } } } }).inner;
    expect(inner.kind).toBe('lstm');
    expect(inner.params.layout.calendar).toEqual(['learned:reactive']);

    // The forecast job loads it with the flag as it is now: 09:00-10:00 of this Tuesday is inside its horizon.
    const forecast = await forecastProcessor(rt.deps)({ data: { at, target: 'shop/web' } } as Job<JobPayload<'forecast'>>);
    expect(forecast.points).toBe(6);
    const written = (await rt.store.readForecast('shop/web', at, at + 3 * HOUR)).map((p) => p.mean);
    const store = createModelStore({ root: models });
    const flag = learnedFeature(suggestions, 'shop/web');
    expect([at + HOUR, at + 90 * 60_000].map((t) => flag.at(t))).toEqual([1, 1]);
    const withFlag = (await store.load('shop/web', { calendar: [flag] }))!.model;
    const withoutFlag = (await store.load('shop/web'))!.model;
    expect(written).toEqual(withFlag.predict(6).mean);
    // And the flag matters: read as 0 (what the job did before it passed the flags), the forecast differs.
    expect(withoutFlag.predict(6).mean).not.toEqual(written);
    for (const m of [withFlag, withoutFlag]) disposeModel(m);
  }, 180_000);
});
