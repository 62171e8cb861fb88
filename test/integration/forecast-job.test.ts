/**
 * The forecast job's processor on a real trace: it re-filters the stored model over the complete steps since
 * training, conditions on the samples of the step still filling up (transiently), and starts the forecast
 * at the next step once that step has samples. In-memory metrics and state: the processor is what is tested.
 */
import type { Job } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { SimulatedCluster } from '../../src/cluster/simulated-cluster.js';
import { parseConfig } from '../../src/config/load-config.js';
import { ReplayClock } from '../../src/core/clock.js';
import { readCsvTrace } from '../../src/core/csv-trace.js';
import { silentLogger } from '../../src/core/logger.js';
import { tracePath } from '../../src/core/paths.js';
import type { FittedModel } from '../../src/forecasting/forecaster.js';
import { fitHoltWinters } from '../../src/forecasting/holt-winters.js';
import { createMemoryStore } from '../../src/metrics/memory-store.js';
import { createMemoryStateStore } from '../../src/state/state-store.js';
import type { JobDeps } from '../../jobs/deps.js';
import { forecastProcessor } from '../../jobs/processors/forecast.js';
import type { JobPayload } from '../../jobs/queues.js';

const STEP = 300_000;
const DAY = 86_400_000;

describe('forecast job: the step still filling up', () => {
  it('conditions the next step on its samples, starts after it, and never caches the partial update', async () => {
    const { series } = readCsvTrace(tracePath('nasa_http_jul1995_5min.csv'));
    const trainDays = 3;
    const trainedUntilIndex = trainDays * 288 - 1;
    const config = parseConfig(
      {
        horizon: '2h',
        targets: [{ name: 'web', namespace: 'shop', load: { measurement: 'http_requests', field: 'requests' }, capacityPerReplica: 20, maxReplicas: 120 }],
      },
      {},
    );
    const store = createMemoryStore();
    const state = createMemoryStateStore();
    const training = { startMs: series.startMs, stepMs: STEP, values: series.values.slice(0, trainedUntilIndex + 1) };
    const model: FittedModel = fitHoltWinters(training, { seasonLengths: [288] });
    // Complete steps up to T (exclusive) in the store, as the collect job would have written them.
    const T = series.startMs + (trainedUntilIndex + 4) * STEP;
    const indexOf = (t: number) => (t - series.startMs) / STEP;
    await store.writePoints(
      series.values.slice(0, indexOf(T)).map((v, i) => ({ measurement: 'http_requests', tags: {}, fields: { requests: v }, time: series.startMs + i * STEP })),
    );
    await state.setModelInfo({
      target: 'shop/web',
      kind: 'hw',
      description: model.description,
      version: 1,
      trainedAt: T,
      trainedUntil: training.startMs + trainedUntilIndex * STEP,
      scores: {},
      historyDays: trainDays,
      requiredHistoryDays: 1,
      notes: [],
    });
    const deps = {
      config,
      clock: new ReplayClock(T),
      logger: silentLogger,
      store,
      state,
      cluster: SimulatedCluster.fromConfig(new ReplayClock(T), config),
      models: { saveVersion: async () => ({ version: 1, promoted: true }), load: async () => ({ version: 1, model }) },
      train: async () => {
        throw new Error('not used');
      },
      calendarEntries: async () => [],
      collect: async () => [],
      isLeader: () => true,
    } satisfies JobDeps;
    const run = forecastProcessor(deps);
    const forecastAt = async (at: number) => {
      await run({ data: { at, target: 'shop/web' } } as Job<JobPayload<'forecast'>>);
      return (await store.readForecast('shop/web', at - DAY, at + DAY)).filter((p) => p.issuedAt === at);
    };

    // At T the step [T, T + 5 min) holds no sample: the forecast starts at T.
    const atBoundary = await forecastAt(T);
    expect(atBoundary[0]!.time).toBe(T);
    const unconditioned = atBoundary.find((p) => p.time === T + STEP)!.mean;

    // A synthetic spike (10x the step's real value) arrives 30 s into the step: 90 s in, the forecast starts at
    // T + 5 min and carries the spike forward (the AR term and level), so the next step is forecast higher.
    const spike = 10 * series.values[indexOf(T)]!;
    await store.writePoints([{ measurement: 'http_requests', tags: {}, fields: { requests: spike }, time: T + 30_000 }]);
    const midStep = await forecastAt(T + 90_000);
    expect(midStep[0]!.time).toBe(T + STEP);
    expect(midStep[0]!.mean).toBeGreaterThan(unconditioned * 1.2);

    // The partial update was transient: once the step is complete with its real value, the forecast for
    // T + 10 min is the one a model filtered over the real values gives.
    await store.writePoints([{ measurement: 'http_requests', tags: {}, fields: { requests: series.values[indexOf(T)]! }, time: T + 30_000 }]);
    const after = await forecastAt(T + STEP);
    const reference = model.update(series.values.slice(trainedUntilIndex + 1, indexOf(T) + 1)).predict(2);
    const stored = after.find((p) => p.time === T + STEP)!;
    expect(stored.mean).toBeCloseTo(Math.max(0, reference.mean[0]!), 6);
  });
});
