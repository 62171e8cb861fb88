/**
 * ModelStore.promote / rollback / describe on real artefacts (seasonal naive and Holt-Winters fitted on NASA-HTTP):
 * only loadable versions are ever pointed at, a refusal leaves current.json as it was, and a failed pointer
 * write (an injected ENOSPC on the rename) leaves the previous current.json whole.
 */
import * as nodeFs from 'node:fs';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCsvTrace } from '../../src/core/csv-trace.js';
import { tracePath } from '../../src/core/paths.js';
import { sliceSeries } from '../../src/forecasting/backtest.js';
import { holtWintersForecaster } from '../../src/forecasting/holt-winters.js';
import { createModelStore, type ModelStoreFs } from '../../src/forecasting/model-store.js';
import { seasonalNaiveForecaster } from '../../src/forecasting/seasonal-naive.js';

const nasa = readCsvTrace(tracePath('nasa_http_jul1995_5min.csv')).series;
const training = sliceSeries(nasa, 0, 3 * 288);
const TARGET = 'shop/web';

/** v1 snaive, v2 hw, v3 corrupt, v4 snaive (promoted); returns the store root. */
async function storeWithFour(fs?: ModelStoreFs) {
  const root = mkdtempSync(join(tmpdir(), 'model-promotion-'));
  const store = createModelStore({ root, now: () => Date.parse('2026-11-29T12:00:00Z'), ...(fs ? { fs } : {}) });
  const snaive = { ...(await seasonalNaiveForecaster.fit(training)).toArtefact(), metrics: { mase: 0.9 } };
  const hw = { ...(await holtWintersForecaster.fit(training, { seasonLengths: [288] })).toArtefact(), metrics: { mase: 0.6 } };
  await store.saveVersion(TARGET, snaive);
  await store.saveVersion(TARGET, hw);
  await store.saveVersion(TARGET, hw);
  await store.saveVersion(TARGET, snaive, { force: true });
  writeFileSync(join(root, encodeURIComponent(TARGET), 'v0003', 'artefact.json'), '{"storeFormat":1,"savedAt":');
  return { root, store, pointer: () => readFileSync(join(root, encodeURIComponent(TARGET), 'current.json'), 'utf8') };
}

describe('ModelStore promote and rollback', () => {
  it('describes every version, the corrupt one with its problem', async () => {
    const { store } = await storeWithFour();
    const versions = store.describe(TARGET);
    expect(versions.map((v) => [v.version, v.current, v.kind ?? null, v.metrics?.['mase'] ?? null])).toEqual([
      [1, false, 'snaive', 0.9],
      [2, false, 'hw', 0.6],
      [3, false, null, null],
      [4, true, 'snaive', 0.9],
    ]);
    expect(versions[2]!.problem).toMatch(/artefact\.json is unreadable/);
    expect(versions[1]!.trainedOn).toMatchObject({ startMs: training.startMs, points: 3 * 288, stepMs: 300_000 });
    expect(versions[1]!.savedAt).toBe(Date.parse('2026-11-29T12:00:00Z'));
    expect(store.targets()).toEqual([TARGET]);
  });

  it('refuses to promote a version that does not load, leaving current.json as it was', async () => {
    const { store, pointer } = await storeWithFour();
    await expect(store.promote(TARGET, 3)).rejects.toThrow(/version 3 of "shop\/web" does not load, so it is not promoted: .*shop%2Fweb\/v0003: artefact\.json is unreadable/);
    await expect(store.promote(TARGET, 9)).rejects.toThrow(/has no version 9/);
    expect(JSON.parse(pointer())).toEqual({ version: 4 });
  });

  it('promotes a loadable version (even a worse one) and the store loads it', async () => {
    const { store, pointer } = await storeWithFour();
    expect(await store.promote(TARGET, 1)).toEqual({ previous: 4, version: 1, skipped: [] });
    expect(JSON.parse(pointer())).toEqual({ version: 1 });
    expect((await store.load(TARGET))!.version).toBe(1);
  });

  it('rolls back past a corrupt version to the newest older one that loads, then refuses at the oldest', async () => {
    const { store, pointer } = await storeWithFour();
    const change = await store.rollback(TARGET);
    expect(change.previous).toBe(4);
    expect(change.version).toBe(2);
    expect(change.skipped.map((s) => s.version)).toEqual([3]);
    expect((await store.load(TARGET))!.model.description).toMatch(/^ets\(/);
    expect((await store.rollback(TARGET)).version).toBe(1);
    await expect(store.rollback(TARGET)).rejects.toThrow(/no loadable version older than v1/);
    expect(JSON.parse(pointer())).toEqual({ version: 1 });
  });

  it('keeps the previous current.json whole when the pointer rename fails (ENOSPC), and leaves no temp file', async () => {
    let failRename = false;
    const fs: ModelStoreFs = {
      mkdirSync: nodeFs.mkdirSync,
      writeFileSync: nodeFs.writeFileSync,
      renameSync: (from, to) => {
        if (failRename && String(to).endsWith('current.json')) throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
        nodeFs.renameSync(from, to);
      },
    };
    const { root, store, pointer } = await storeWithFour(fs);
    failRename = true;
    await expect(store.promote(TARGET, 2)).rejects.toThrow(/not promoted: the disk is full \(ENOSPC\)/);
    expect(JSON.parse(pointer())).toEqual({ version: 4 });
    expect(readdirSync(join(root, encodeURIComponent(TARGET))).filter((n) => n.startsWith('.'))).toEqual([]);
  });
});
