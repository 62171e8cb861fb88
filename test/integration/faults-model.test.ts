/**
 * Model store faults, through the real train and forecast jobs, the real model store on disk, history in the
 * shared InfluxDB and state in Redis: a full disk under the store, a corrupt artefact, every version gone, and
 * no history to fall back on. What a user cares about: forecasting goes on with the previous version, then
 * with seasonal naive fitted on the spot, then stops (reactive only), and /api/status says which model is in
 * use and why at each step.
 *
 * The full disk is a real 64 KiB tmpfs when this process may mount one (root with CAP_SYS_ADMIN, as in the
 * sandbox this was written in), else a write error (ENOSPC) injected through the model store's fs seam; the
 * test's name says which ran.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createApp } from '../../src/api/create-app.js';
import { SimulatedCluster } from '../../src/cluster/simulated-cluster.js';
import { parseConfig } from '../../src/config/load-config.js';
import { ReplayClock } from '../../src/core/clock.js';
import { ServiceError } from '../../src/core/errors.js';
import { silentLogger } from '../../src/core/logger.js';
import { connectRedis } from '../../src/core/redis.js';
import { ModelStore, type ModelStoreFs } from '../../src/forecasting/model-store.js';
import { seasonalNaiveForecaster } from '../../src/forecasting/seasonal-naive.js';
import { createMetricsStore } from '../../src/metrics/create-store.js';
import type { MetricsStore } from '../../src/metrics/metrics-store.js';
import { startPublishedCache } from '../../src/publish/published-cache.js';
import { createRedisPublishedPlanStore } from '../../src/publish/published-plan-store.js';
import { createMemoryCalendarStore } from '../../src/scaling/memory-calendar-store.js';
import { createRedisStateStore, type ModelInUse, type StateStore } from '../../src/state/state-store.js';
import { forecastProcessor } from '../../jobs/processors/forecast.js';
import { planProcessor } from '../../jobs/processors/plan.js';
import { trainProcessor } from '../../jobs/processors/train.js';
import type { JobPayload } from '../../jobs/queues.js';
import { testJobDeps } from '../support/job-deps.js';

const STEP = 300_000;
const DAY = 86_400_000;
const T0 = Date.UTC(2026, 10, 23, 10);
const TARGET = 'shop/web';

/** A tiny disk: a real tmpfs if mount works here, else the store's fs seam failing every write with ENOSPC. */
function tinyDisk(): { root: string; kind: 'tmpfs' | 'injected ENOSPC'; fs?: ModelStoreFs; fill(): void; dispose(): void } {
  const root = fs.mkdtempSync(join(tmpdir(), 'prescale-tiny-disk-'));
  if (spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', root]).status === 0) {
    return {
      root,
      kind: 'tmpfs',
      // Whatever the versions left free is taken: the next version cannot be written.
      fill: () => {
        const fd = fs.openSync(join(root, 'filler'), 'w');
        try {
          for (;;) fs.writeSync(fd, Buffer.alloc(1_024));
        } catch {
          /* ENOSPC: full */
        } finally {
          fs.closeSync(fd);
        }
      },
      dispose: () => {
        spawnSync('umount', [root]);
        fs.rmSync(root, { recursive: true, force: true });
      },
    };
  }
  let full = false;
  const enospc = () => Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28, syscall: 'write' });
  return {
    root,
    kind: 'injected ENOSPC',
    fs: {
      mkdirSync: fs.mkdirSync,
      renameSync: fs.renameSync,
      writeFileSync: ((...args: Parameters<typeof fs.writeFileSync>) => {
        if (full) throw enospc();
        fs.writeFileSync(...args);
      }) as typeof fs.writeFileSync,
    },
    fill: () => void (full = true),
    dispose: () => fs.rmSync(root, { recursive: true, force: true }),
  };
}

let redis: Redis;
let store: MetricsStore;
const prefix = `faults-model-${process.pid}-${Date.now()}`;
const servers: Server[] = [];
const disk = tinyDisk();

beforeAll(async () => {
  redis = await connectRedis(inject('redisUrl'));
  store = createMetricsStore({ url: inject('influxUrl'), api: 'v1', database: `faults_model_${process.pid}_${Date.now()}`, timeout: 5_000 }, silentLogger);
  await store.ensureReady();
});

afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length) await redis.del(...keys);
  await redis.quit();
  await store.close();
  disk.dispose();
});

describe(`model store faults (full disk: ${disk.kind})`, () => {
  it('previous version, then seasonal naive, then reactive only, each reported in status', { timeout: 40_000 }, async () => {
    const config = parseConfig(
      { step: '5m', horizon: '2h', history: '3d', targets: [{ name: 'web', namespace: 'shop', load: { measurement: 'http', field: 'rps', tags: { app: 'web' } }, capacityPerReplica: 100, minReplicas: 2, maxReplicas: 40, podStartup: '90s' }, { name: 'new', namespace: 'shop', load: { measurement: 'http', field: 'rps', tags: { app: 'new' } }, capacityPerReplica: 100, minReplicas: 2, maxReplicas: 40 }] },
      {},
    );
    const clock = new ReplayClock(T0);
    // Three days of a daily pattern for shop/web; none for shop/new.
    const values = Array.from({ length: (3 * DAY) / STEP }, (_, i) => 1_000 + 300 * Math.sin((2 * Math.PI * i) / 288));
    await store.writePoints(values.map((rps, i) => ({ measurement: 'http', tags: { app: 'web' }, fields: { rps }, time: T0 - 3 * DAY + i * STEP })));
    const history = { startMs: T0 - 3 * DAY, stepMs: STEP, values };

    // Versions 1 and 2 saved while the disk had room; v2 is promoted and in ModelInfo.
    const models = new ModelStore({ root: disk.root, now: () => clock.now(), ...(disk.fs ? { fs: disk.fs } : {}) });
    const fitted = await seasonalNaiveForecaster.fit(history);
    expect((await models.saveVersion(TARGET, fitted.toArtefact())).version).toBe(1);
    expect((await models.saveVersion(TARGET, fitted.toArtefact(), { force: true })).promoted).toBe(true);
    const state: StateStore = createRedisStateStore(redis, `${prefix}-${Math.random().toString(36).slice(2)}`);
    await state.setModelInfo({ target: TARGET, kind: 'snaive', description: fitted.description, version: 2, trainedAt: T0 - DAY, trainedUntil: T0 - STEP, scores: {}, historyDays: 3, requiredHistoryDays: 1, notes: [] });

    const cluster = SimulatedCluster.fromConfig(clock, config, { replicas: { [TARGET]: 10, 'shop/new': 4 } });
    const deps = testJobDeps(config, clock, { store, state, cluster, models, train: async (series) => ({ model: await seasonalNaiveForecaster.fit(series), kind: 'snaive', scores: {}, notes: [] }) });
    const [train, forecast, plan] = [trainProcessor(deps), forecastProcessor(deps), planProcessor(deps)];
    const job = <T>(data: T) => ({ data, updateProgress: async () => undefined }) as unknown as Job;
    const published = startPublishedCache(createRedisPublishedPlanStore(redis, `${prefix}-pub`));
    const server = createServer(createApp({ config, clock, logger: silentLogger, store, state, cluster, calendar: createMemoryCalendarStore(), published }));
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const status = async (id: string) => {
      const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/api/status`);
      expect(response.status).toBe(200);
      return ((await response.json()) as { targets: { id: string; modelInUse: ModelInUse | null; model: { notes: string[] } | null }[] }).targets.find((t) => t.id === id)!;
    };
    const versionDir = (v: number) => join(disk.root, encodeURIComponent(TARGET), `v${String(v).padStart(4, '0')}`);
    const forecastAt = async (at: number, target = TARGET) => {
      clock.advanceTo(at);
      return forecast(job<JobPayload<'forecast'>>({ at, target }));
    };

    try {
      // 1. A full disk: training fails without leaving anything half-written; v2 stays in use, and the info says why.
      disk.fill();
      const trainError = await train(job<JobPayload<'train'>>({ at: T0, target: TARGET })).catch((e: unknown) => e);
      expect(trainError).toBeInstanceOf(ServiceError);
      expect((trainError as ServiceError).retryable).toBe(true);
      expect((trainError as Error).message).toContain('version 3 of "shop/web" not saved: the disk is full (ENOSPC)');
      expect(fs.readdirSync(join(disk.root, encodeURIComponent(TARGET))).sort()).toEqual(['current.json', 'v0001', 'v0002']);
      expect(models.currentVersion(TARGET)).toBe(2);
      expect((await status(TARGET)).model!.notes.at(-1)).toMatch(/^not saved: snaive.* trained at 2026-11-23T10:00:00.000Z: model store at .*: version 3 of "shop\/web" not saved: the disk is full \(ENOSPC\)$/);
      expect(await forecastAt(T0)).toMatchObject({ model: fitted.description });
      expect((await status(TARGET)).modelInUse).toMatchObject({ source: 'stored', version: 2, reason: '' });

      // 2. v2's artefact corrupt: v1 forecasts, and status names v2 and what is wrong with it.
      fs.writeFileSync(join(versionDir(2), 'artefact.json'), '{"storeFormat": 1, "savedAt": 0, "artef');
      const fresh = forecastProcessor(deps); // a new worker process: nothing cached
      clock.advanceTo(T0 + 60_000);
      expect(await fresh(job<JobPayload<'forecast'>>({ at: clock.now(), target: TARGET }))).toMatchObject({ model: fitted.description });
      const previous = (await status(TARGET)).modelInUse!;
      expect(previous).toMatchObject({ source: 'previous', version: 1 });
      expect(previous.reason).toMatch(/^v2 does not load: .*artefact\.json is unreadable: .*; using v1$/);
      expect((await store.readForecast(TARGET, T0, T0 + DAY)).at(-1)!.issuedAt).toBe(T0 + 60_000);

      // 3. Every version gone: seasonal naive fitted on the history now, and said so.
      fs.rmSync(versionDir(1), { recursive: true });
      clock.advanceTo(T0 + 120_000);
      expect((await fresh(job<JobPayload<'forecast'>>({ at: clock.now(), target: TARGET }))).model).toMatch(/^snaive/);
      const snaive = (await status(TARGET)).modelInUse!;
      expect(snaive).toMatchObject({ source: 'snaive' });
      expect(snaive.reason).toMatch(/^no stored version of the model loads \(v2 expected\); seasonal naive fitted on 3\.0 days of history$/);
      expect((await store.readForecast(TARGET, T0, T0 + DAY)).at(-1)!.issuedAt).toBe(T0 + 120_000);

      // 4. A target with a model info but no artefact and no history: reactive only, no forecast, and the plan is reactive.
      await state.setModelInfo({ target: 'shop/new', kind: 'hw', description: 'ets(A,N,A)[288]', version: 1, trainedAt: T0 - DAY, trainedUntil: T0 - STEP, scores: {}, historyDays: 3, requiredHistoryDays: 1, notes: [] });
      expect(await fresh(job<JobPayload<'forecast'>>({ at: clock.now(), target: 'shop/new' }))).toMatchObject({ model: null, points: 0 });
      const reactive = (await status('shop/new')).modelInUse!;
      expect(reactive).toMatchObject({ source: 'reactive', description: 'none' });
      expect(reactive.reason).toBe('no stored version of the model loads (v1 expected); 0.0 days of history is too little for seasonal naive (1 day needed): reactive only');
      expect(await store.readForecast('shop/new', T0, T0 + DAY)).toEqual([]);
      await store.writePoints([{ measurement: 'http', tags: { app: 'new' }, fields: { rps: 500 }, time: clock.now() }]);
      const tick = await plan(job<JobPayload<'plan'>>({ at: clock.now(), target: 'shop/new', loop: 'plan' }));
      expect(tick.mode).not.toBe('predictive');
      expect(tick.to).toBeGreaterThanOrEqual(6); // 500 rps at 100 per replica needs 6 (+5%) now
    } finally {
      published.stop();
    }
  });
});
