/**
 * The forecast job runs every minute for every target, each run deriving a model with update(). An LSTM's
 * derived models share its network by reference count, so every derived model the job drops must be released:
 * otherwise a replaced champion's tensors are never freed and a worker grows without bound. Real tfjs (wasm or
 * cpu backend), a real LSTM stored on disk, the real forecast processor.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { Job } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { ReplayClock } from '../../src/core/clock.js';
import { readCsvTrace } from '../../src/core/csv-trace.js';
import { tracePath } from '../../src/core/paths.js';
import { sliceSeries } from '../../src/forecasting/backtest.js';
import { TINY_LSTM_CONFIG } from '../../src/forecasting/lstm/config.js';
import { createLstmForecaster } from '../../src/forecasting/lstm.js';
import { createModelStore } from '../../src/forecasting/model-store.js';
import { seasonalNaiveForecaster } from '../../src/forecasting/seasonal-naive.js';
import { createMemoryStore } from '../../src/metrics/memory-store.js';
import { createMemoryStateStore } from '../../src/state/state-store.js';
import { forecastProcessor } from '../../jobs/processors/forecast.js';
import type { JobPayload } from '../../jobs/queues.js';
import { testJobDeps } from '../support/job-deps.js';

const STEP = 1_800_000; // the NYC taxi trace's 30-minute grid
const DAY = 86_400_000;
const TARGET = 'shop/web';

describe('forecast job and LSTM tensors', () => {
  it('frees every derived model: after many runs and a promotion to another version, no tensor of the LSTM is left', async () => {
    const { series } = readCsvTrace(tracePath('nab_nyc_taxi_30min.csv'));
    const training = sliceSeries(series, 0, 8 * 48);
    const config = parseConfig(
      { step: '30m', horizon: '3h', targets: [{ name: 'web', namespace: 'shop', load: { measurement: 'taxi', field: 'passengers' }, capacityPerReplica: 500, maxReplicas: 200 }] },
      {},
    );
    const metrics = createMemoryStore();
    const state = createMemoryStateStore();
    const T = training.startMs + 8 * DAY;
    await metrics.writePoints(
      series.values.slice(0, 8 * 48 + 20).map((v, i) => ({ measurement: 'taxi', tags: {}, fields: { passengers: v }, time: series.startMs + i * STEP })),
    );
    const root = mkdtempSync(join(tmpdir(), 'forecast-tensors-'));
    const writer = createModelStore({ root });
    await writer.saveVersion(TARGET, (await seasonalNaiveForecaster.fit(training)).toArtefact());
    const lstm = await createLstmForecaster(TINY_LSTM_CONFIG).fit(training, { seed: 5 });
    const artefact = lstm.toArtefact();
    lstm.dispose();
    const baseline = tf.memory().numTensors;
    expect((await writer.saveVersion(TARGET, artefact)).promoted).toBe(true);
    await state.setModelInfo({ target: TARGET, kind: 'lstm', description: 'lstm', version: 2, trainedAt: T, trainedUntil: training.startMs + (training.values.length - 1) * STEP, scores: {}, historyDays: 8, requiredHistoryDays: 2, notes: [] });

    const run = forecastProcessor(testJobDeps(config, new ReplayClock(T), { store: metrics, state, models: createModelStore({ root }) }));
    const forecastAt = async (at: number) => (await run({ data: { at, target: TARGET } } as Job<JobPayload<'forecast'>>)).model;

    // Ten runs, each a step later and mid-step (so each also derives the transient model of the partial step).
    for (let k = 0; k < 10; k++) expect(await forecastAt(T + k * STEP + STEP / 2)).toMatch(/lstm/);
    const loaded = tf.memory().numTensors - baseline;
    expect(loaded).toBeGreaterThan(0); // the cached LSTM holds its network

    await writer.rollback(TARGET);
    expect(await forecastAt(T + 10 * STEP + STEP / 2)).toBe('snaive[48]');
    // The replaced LSTM and everything derived from it are gone.
    expect(tf.memory().numTensors).toBe(baseline);
  });
});
