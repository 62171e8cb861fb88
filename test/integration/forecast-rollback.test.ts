/**
 * A running forecast processor and the real ModelStore on disk: after a rollback (or a promotion) written to
 * current.json by another process, the processor's next run forecasts with that version, without a restart,
 * and records it as the model in use. In-memory metrics and state: the processor and the store are tested.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Job } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { ReplayClock } from '../../src/core/clock.js';
import { readCsvTrace } from '../../src/core/csv-trace.js';
import { tracePath } from '../../src/core/paths.js';
import { sliceSeries } from '../../src/forecasting/backtest.js';
import { holtWintersForecaster } from '../../src/forecasting/holt-winters.js';
import { createModelStore } from '../../src/forecasting/model-store.js';
import { seasonalNaiveForecaster } from '../../src/forecasting/seasonal-naive.js';
import { createMemoryStore } from '../../src/metrics/memory-store.js';
import { createMemoryStateStore } from '../../src/state/state-store.js';
import { forecastProcessor } from '../../jobs/processors/forecast.js';
import type { JobPayload } from '../../jobs/queues.js';
import { testJobDeps } from '../support/job-deps.js';

const STEP = 300_000;
const DAY = 86_400_000;
const TARGET = 'shop/web';

describe('forecast job and the model store pointer', () => {
  it('uses the rolled-back version on its next run, and a re-promoted one on the run after', async () => {
    const { series } = readCsvTrace(tracePath('nasa_http_jul1995_5min.csv'));
    const training = sliceSeries(series, 0, 3 * 288);
    const config = parseConfig(
      { horizon: '1h', targets: [{ name: 'web', namespace: 'shop', load: { measurement: 'http_requests', field: 'requests' }, capacityPerReplica: 20, maxReplicas: 120 }] },
      {},
    );
    const metrics = createMemoryStore();
    const state = createMemoryStateStore();
    const T = training.startMs + 3 * DAY;
    await metrics.writePoints(
      series.values.slice(0, 3 * 288 + 6).map((v, i) => ({ measurement: 'http_requests', tags: {}, fields: { requests: v }, time: series.startMs + i * STEP })),
    );
    // A separate store object writes, as the train job and `prescale models` do in other processes.
    const root = mkdtempSync(join(tmpdir(), 'forecast-rollback-'));
    const writer = createModelStore({ root });
    await writer.saveVersion(TARGET, (await seasonalNaiveForecaster.fit(training)).toArtefact());
    const hw = await holtWintersForecaster.fit(training, { seasonLengths: [288] });
    expect((await writer.saveVersion(TARGET, hw.toArtefact())).promoted).toBe(true);
    await state.setModelInfo({ target: TARGET, kind: 'hw', description: hw.description, version: 2, trainedAt: T, trainedUntil: hw.lastObservedMs, scores: {}, historyDays: 3, requiredHistoryDays: 1, notes: [] });

    // The processor's own store object, kept across runs as in a worker process.
    const run = forecastProcessor(testJobDeps(config, new ReplayClock(T), { store: metrics, state, models: createModelStore({ root }) }));
    const forecastAt = async (at: number) => (await run({ data: { at, target: TARGET } } as Job<JobPayload<'forecast'>>)).model;

    expect(await forecastAt(T)).toBe(hw.description);
    expect((await state.getModelInUse(TARGET))!.version).toBe(2);

    expect((await writer.rollback(TARGET)).version).toBe(1);
    expect(await forecastAt(T + STEP)).toBe('snaive[288]');
    expect(await state.getModelInUse(TARGET)).toMatchObject({ source: 'stored', version: 1, description: 'snaive[288]' });
    // The stored forecast is the seasonal naive one: the values of one day before, step by step.
    const stored = (await metrics.readForecast(TARGET, T, T + DAY)).filter((p) => p.issuedAt === T + STEP);
    expect(stored.length).toBe(12);
    for (const point of stored) expect(point.mean).toBe(series.values[(point.time - DAY - series.startMs) / STEP]);

    await writer.promote(TARGET, 2);
    expect(await forecastAt(T + 2 * STEP)).toBe(hw.description);
    expect((await state.getModelInUse(TARGET))!.version).toBe(2);
  });
});
