/**
 * The LSTM's training job end to end on real Redis (BullMQ): a Holt-Winters training queues it, it trains within its
 * budget on the same history, the champion is chosen again among Holt-Winters, seasonal naive, the LSTM and their
 * weighted combinations on the same validation origins, the new champion goes into the model store (a folder) and
 * the forecast job, started before, forecasts with it on its next run. Also: `forecasting.deep: off` queues
 * nothing; a short budget stops the training; /api/status and `prescale status` show the state.
 *
 * Trace: Twitter mentions of AMZN per 5 minutes (data/traces/nab_twitter_amzn_5min.csv), the first 8 days, one hour
 * ahead; a small network (seeded), so a training takes seconds. Metrics live in the in-memory store.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createApp } from '../../src/api/create-app.js';
import { formatStatus, type StatusResponse } from '../../src/cli/status.js';
import { SimulatedCluster } from '../../src/cluster/simulated-cluster.js';
import { parseConfig } from '../../src/config/load-config.js';
import { ReplayClock } from '../../src/core/clock.js';
import { readCsvTrace } from '../../src/core/csv-trace.js';
import { tracePath } from '../../src/core/paths.js';
import { connectRedis } from '../../src/core/redis.js';
import { selectChampion } from '../../src/forecasting/champion.js';
import { createLstmForecaster, type LstmConfig } from '../../src/forecasting/lstm.js';
import { createModelStore } from '../../src/forecasting/model-store.js';
import { createMemoryStore } from '../../src/metrics/memory-store.js';
import { startPublishedCache } from '../../src/publish/published-cache.js';
import { createMemoryPublishedPlanStore } from '../../src/publish/published-plan-store.js';
import { createMemoryCalendarStore } from '../../src/scaling/memory-calendar-store.js';
import { createRedisStateStore, type ModelInfo } from '../../src/state/state-store.js';
import type { JobDeps } from '../../jobs/deps.js';
import type { TrainDeepResult } from '../../jobs/processors/train-deep.js';
import type { TrainResult } from '../../jobs/processors/train.js';
import { QueueSet } from '../../jobs/queue-set.js';
import { QUEUES } from '../../jobs/queues.js';
import { startWorkers } from '../../jobs/workers.js';
import { silentLogger } from '../../src/core/logger.js';
import { testJobDeps } from '../support/job-deps.js';

const DAY = 86_400_000;
const trace = readCsvTrace(tracePath('nab_twitter_amzn_5min.csv')).series;
const DAYS = 8;
const STEPS_PER_DAY = 288;
const AT = trace.startMs + DAYS * DAY;
const ID = 'shop/amzn';
/** Small and seeded: seconds per training on two busy cores. */
const SMALL: Partial<LstmConfig> = { units: 16, hiddenUnits: 16, encoderSteps: 8, maxEpochs: 15, patience: 4, batchSize: 32, maxTrainWindows: 300, maxValidationWindows: 80, maxTrainSeconds: 0, continueEpochs: 2 };

function configWith(forecasting: Record<string, unknown>) {
  return parseConfig(
    {
      step: '5m',
      history: '28d',
      horizon: '1h',
      forecasting,
      targets: [{ name: 'amzn', namespace: 'shop', load: { measurement: 'mentions', field: 'count' }, capacityPerReplica: 1000, minReplicas: 1, maxReplicas: 100, model: 'auto' }],
    },
    {},
  );
}

interface Run {
  train: TrainResult;
  deep: TrainDeepResult | null;
  info: ModelInfo;
  deps: JobDeps;
  /** Forecast model descriptions: after the Holt-Winters training, then after the deep one. */
  forecasts: string[];
  deepCounts: Record<string, number>;
  modelsDir: string;
}

describe('LSTM training job (real Redis, BullMQ)', () => {
  let redis: Redis;
  const dirs: string[] = [];

  beforeAll(async () => {
    redis = await connectRedis(inject('redisUrl'));
  });
  afterAll(async () => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    await redis.quit();
  });

  async function run(forecasting: Record<string, unknown>, lstm: Partial<LstmConfig>): Promise<Run> {
    const prefix = `prescale-it-deep-${process.pid}-${Math.random().toString(36).slice(2)}`;
    const config = configWith(forecasting);
    const clock = new ReplayClock(AT);
    const store = createMemoryStore();
    const points = trace.values.slice(0, DAYS * STEPS_PER_DAY).map((v, i) => ({ measurement: 'mentions', tags: {}, fields: { count: v }, time: trace.startMs + i * trace.stepMs }));
    await store.writePoints(points);
    const modelsDir = mkdtempSync(join(tmpdir(), 'prescale-deep-'));
    dirs.push(modelsDir);
    const models = createModelStore({ root: modelsDir, now: () => clock.now() });
    const horizon = Math.ceil(config.horizon / config.step);
    const deps = testJobDeps(config, clock, {
      store,
      state: createRedisStateStore(redis, prefix),
      models,
      // As src/runtime.ts wires it: Holt-Winters and seasonal naive.
      train: (series, fit) => selectChampion(series, { ...fit, horizon }),
      lstm: createLstmForecaster(lstm),
    });
    const queues = new QueueSet(redis, prefix);
    const workers = startWorkers(deps, { connection: redis, prefix, queues: [QUEUES.train, QUEUES.trainDeep, QUEUES.forecast] });
    const events = await queues.events();
    try {
      const forecasts: string[] = [];
      const forecast = async (at: number) => {
        const job = await queues.add('forecast', { at, target: ID });
        forecasts.push(((await job.waitUntilFinished(events[QUEUES.forecast], 60_000)) as { model: string }).model);
      };
      const trainJob = await queues.add('train', { at: AT, target: ID });
      const train = (await trainJob.waitUntilFinished(events[QUEUES.train], 60_000)) as TrainResult;
      await forecast(AT);
      let deep: TrainDeepResult | null = null;
      if (train.deepJob) {
        const job = await queues.queueOf('train-deep').getJob(train.deepJob);
        deep = (await job!.waitUntilFinished(events[QUEUES.trainDeep], 240_000)) as TrainDeepResult;
        await forecast(AT + 60_000);
      }
      const deepCounts = await queues.queueOf('train-deep').getJobCounts();
      return { train, deep, info: (await deps.state.getModelInfo(ID))!, deps, forecasts, deepCounts, modelsDir };
    } finally {
      await Promise.all(Object.values(events).map((e) => e.close()));
      await Promise.all(workers.map((w) => w.close()));
      await queues.obliterate();
      await queues.close();
      const keys = await redis.keys(`${prefix}:*`);
      if (keys.length > 0) await redis.del(...keys);
    }
  }

  let trained: Run;

  it('trains after Holt-Winters, chooses among hw, lstm and their combinations on the same origins, and the forecast job uses the new champion', async () => {
    // A budget the training never reaches, even on a loaded machine: the result is the seeded one.
    trained = await run({ deep: 'auto', deepBudget: '180s' }, SMALL);
    expect(trained.train.kind).not.toMatch(/lstm/);
    expect(trained.train.deepJob).toBe(`train-deep.${ID}.${AT}`);
    expect(trained.deep?.state).toBe('trained');
    const deep = trained.info.deep!;
    expect(deep.state).toBe('trained');
    expect(deep.at).toBe(AT);
    // Scores of every candidate on the same validation origins, combinations with the LSTM at three weights.
    expect(Object.keys(deep.scores!).sort()).toEqual(
      expect.arrayContaining(['hw', 'lstm', 'snaive', 'hw*0.25+lstm*0.75', 'hw+lstm', 'hw*0.75+lstm*0.25', 'snaive+hw']),
    );
    expect(deep.lstmMase).toBe(deep.scores!['lstm']);
    expect(Number.isFinite(deep.lstmMase)).toBe(true);
    // Measured (seed 42, this network, wasm): the LSTM wins validation here (0.966 against Holt-Winters' 1.013).
    expect(deep.champion, JSON.stringify(deep.scores)).toMatch(/lstm/);
    // No single model beats it (a combination must beat its members by a margin to be chosen).
    expect(deep.scores![deep.champion!]).toBeLessThanOrEqual(Math.min(deep.scores!['hw']!, deep.scores!['snaive']!, deep.scores!['lstm']!));
    // A new model store version with the LSTM in it, current, and its ModelInfo.
    expect(trained.info.kind).toBe(deep.champion);
    expect(trained.info.version).toBe(2);
    expect(deep.version).toBe(2);
    expect(trained.deps.models.currentVersion?.(ID)).toBe(2);
    // The forecast job (started before the deep training) forecasts with the new champion on its next run.
    expect(trained.forecasts[0]).not.toMatch(/lstm/);
    expect(trained.forecasts[1]).toMatch(/lstm/);
  }, 300_000);

  it('shows the state in /api/status and prescale status', async () => {
    const clock = new ReplayClock(AT);
    const config = configWith({});
    const state = trained.deps.state;
    // The run's keys are gone: write its ModelInfo back for the API to read.
    await state.setModelInfo(trained.info);
    const server: Server = createServer(
      createApp({ config, clock, logger: silentLogger, store: createMemoryStore(), state, cluster: SimulatedCluster.fromConfig(clock, config), calendar: createMemoryCalendarStore(), published: startPublishedCache(createMemoryPublishedPlanStore()) }),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    try {
      const body = (await (await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/api/status`)).json()) as StatusResponse & { targets: { model: ModelInfo }[] };
      const deep = body.targets[0]!.model.deep!;
      expect(deep).toMatchObject({ state: 'trained', champion: trained.info.deep!.champion, lstmMase: trained.info.deep!.lstmMase });
      const text = formatStatus(body);
      expect(text).toContain('lstm (validation MASE)');
      expect(text).toContain(`trained: lstm ${deep.lstmMase!.toFixed(3)} vs `);
      expect(text).toContain(`hw ${deep.scores!['hw']!.toFixed(3)}`);
      expect(text).toContain(`snaive ${deep.scores!['snaive']!.toFixed(3)}`);
      expect(text).toContain(`-> ${deep.champion}`);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('queues nothing with forecasting.deep: off, and says so', async () => {
    const off = await run({ deep: 'off' }, SMALL);
    expect(off.train.deepJob).toBeUndefined();
    expect(Object.values(off.deepCounts).reduce((a, b) => a + b, 0)).toBe(0);
    expect(off.info.deep).toMatchObject({ state: 'skipped', reason: 'forecasting.deep is off' });
    expect(off.info.kind).not.toMatch(/lstm/);
  }, 60_000);

  it('stops at the time budget with what it has, and says so', async () => {
    // Without the budget this network would train for minutes (hundreds of epochs, patience as long).
    const slow: Partial<LstmConfig> = { ...SMALL, units: 16, hiddenUnits: 16, maxEpochs: 400, patience: 400, maxTrainWindows: 400 };
    const started = Date.now();
    const short = await run({ deep: 'auto', deepBudget: '3s' }, slow);
    const deep = short.info.deep!;
    expect(deep.state).toBe('trained');
    expect(deep.stoppedByBudget).toBe(true);
    expect(deep.reason).toContain('stopped at the 3 s budget');
    // The budget plus the Holt-Winters fits, the continued epochs' last one and the bookkeeping (busy machine).
    expect(deep.seconds!).toBeLessThan(3 + 10);
    expect(Date.now() - started).toBeLessThan(60_000);
    expect(Number.isFinite(deep.lstmMase)).toBe(true);
  }, 90_000);
});
