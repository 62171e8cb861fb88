import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCsvTrace } from '../../src/core/csv-trace.js';
import { REPO_ROOT, tracePath } from '../../src/core/paths.js';
import { sliceSeries } from '../../src/forecasting/backtest.js';
import type { ModelRepository } from '../../jobs/deps.js';
import type { ModelArtefact } from '../../src/forecasting/forecaster.js';
import { createModelStore } from '../../src/forecasting/model-store.js';
import { seasonalNaiveForecaster } from '../../src/forecasting/seasonal-naive.js';

const elb = readCsvTrace(tracePath('nab_elb_request_count_5min.csv')).series;
const fresh = () => createModelStore({ root: mkdtempSync(join(tmpdir(), 'model-store-')), now: () => Date.parse('2026-01-02T03:04:05Z') });
const artefactWith = async (points: number, mase?: number): Promise<ModelArtefact> => {
  const artefact = (await seasonalNaiveForecaster.fit(sliceSeries(elb, 0, points))).toArtefact();
  return mase === undefined ? artefact : { ...artefact, metrics: { mase } };
};

describe('artefacts written by earlier versions', () => {
  it('loads the committed store-format-1 fixture (conformal seasonal naive on 4 days of ELB) and forecasts as it did', async () => {
    // test/fixtures/models/elb-requests was written on 2026-11-28 by selectChampion + ModelStore (format 1):
    // 4 days of nab_elb_request_count_5min, horizon 12; the values below are what that model forecast then.
    const store = createModelStore({ root: join(REPO_ROOT, 'test', 'fixtures', 'models') });
    const loaded = await store.load('elb-requests');
    expect(loaded).not.toBeNull();
    expect(loaded!.version).toBe(1);
    expect(loaded!.skipped).toEqual([]);
    expect(loaded!.model.description).toBe('conformal(snaive[288])');
    expect(loaded!.artefact.trainedOn.seriesId).toBe('nab_elb_request_count_5min');
    const f = loaded!.model.predict(12);
    expect(f.mean).toEqual([1, 14, 6, 20, 31, 9, 61, 33, 7, 5, 60, 125]);
    expect(f.intervals[0]!.upper).toEqual([88, 114, 93, 120, 118, 109, 149, 132, 95, 104, 148, 224]);
    expect(f.intervals[1]!.upper.slice(0, 3)).toEqual([162, 189, 167]);
  });
});

describe('a Holt-Winters champion written by store format 1 / hw format 1', () => {
  it('loads test/fixtures/models/nasa-http and forecasts what it forecast when it was saved', async () => {
    // Written on 2026-11-28 by selectChampion(candidates hw) + ModelStore on 5 days of nasa_http_jul1995_5min,
    // horizon 12; the numbers below are that model's forecasts then (tolerance: 1e-9 relative).
    const store = createModelStore({ root: join(REPO_ROOT, 'test', 'fixtures', 'models') });
    const loaded = await store.load('nasa-http');
    expect(loaded!.version).toBe(1);
    expect(loaded!.model.description).toBe('conformal(ets(M,N,M)[288]+ar1)');
    const f = loaded!.model.predict(12);
    const expected = {
      mean: [244.98833410336076, 244.7989746369077, 243.51892212269402, 229.07278937073107],
      lo80: [182.5980661545934, 180.027503048053, 174.3652983443215, 165.06678953963257],
      hi95: [339.2342195321225, 343.7854883757095, 346.73807786201456, 330.8693894721416],
    };
    const pick = (values: number[]) => [values[0]!, values[1]!, values[2]!, values[9]!];
    pick(f.mean).forEach((v, i) => expect(v).toBeCloseTo(expected.mean[i]!, 6));
    pick(f.intervals[0]!.lower).forEach((v, i) => expect(v).toBeCloseTo(expected.lo80[i]!, 6));
    pick(f.intervals[1]!.upper).forEach((v, i) => expect(v).toBeCloseTo(expected.hi95[i]!, 6));
  });
});

describe('ModelStore', () => {
  it('saves numbered versions with a model card and loads the promoted one', async () => {
    // It is the jobs' ModelRepository (checked by the compiler).
    const store: ModelRepository & ReturnType<typeof fresh> = fresh();
    expect(await store.load('web')).toBeNull();
    expect(await store.save('web', await artefactWith(1000, 0.9))).toBe(1);
    const second = await store.saveVersion('web', await artefactWith(1200, 0.8), { card: '## Scores\n\n- snaive: 0.8' });
    expect(second).toEqual({ version: 2, promoted: true });
    const loaded = await store.load('web');
    expect(loaded!.version).toBe(2);
    expect(loaded!.model.lastObservedMs).toBe(elb.startMs + 1199 * elb.stepMs);
    const card = readFileSync(join(store.root, 'web', 'v0002', 'MODEL_CARD.md'), 'utf8');
    expect(card).toMatch(/# Model card: web v2/);
    expect(card).toMatch(/kind: snaive \(format version 1\)/);
    expect(card).toMatch(/trained on: 1200 points, 2014-04-10T00:04:00.000Z/);
    expect(card).toMatch(/- mase: 0.8/);
    expect(card).toMatch(/## Scores/);
    expect(store.versions('web')).toEqual([1, 2]);
  });

  it('falls back to the last good version when the newest artefact is corrupt, and says why', async () => {
    const store = fresh();
    await store.save('web', await artefactWith(1000));
    await store.save('web', await artefactWith(1100));
    writeFileSync(join(store.root, 'web', 'v0002', 'artefact.json'), '{"storeFormat":1,"savedAt":0,"artef');
    const loaded = await store.load('web');
    expect(loaded!.version).toBe(1);
    expect(loaded!.skipped).toHaveLength(1);
    expect(loaded!.skipped[0]!.version).toBe(2);
    expect(loaded!.skipped[0]!.reason).toMatch(/artefact.json is unreadable/);
  });

  it('falls back when an artefact parses but does not load (bad params, unknown kind)', async () => {
    const store = fresh();
    await store.save('api', await artefactWith(1000));
    await store.save('api', { ...(await artefactWith(1000)), params: { season: -1 } });
    await store.save('api', { ...(await artefactWith(1000)), kind: 'prophet' });
    const loaded = await store.load('api');
    expect(loaded!.version).toBe(1);
    expect(loaded!.skipped.map((s) => s.reason)).toEqual([expect.stringMatching(/unknown kind "prophet"/), expect.stringMatching(/params are invalid/)]);
  });

  it('keeps a measurably worse model on disk without promoting it, unless forced', async () => {
    const store = fresh();
    await store.save('web', await artefactWith(1000, 0.5));
    const worse = await store.saveVersion('web', await artefactWith(1100, 0.9));
    expect(worse.promoted).toBe(false);
    expect(worse.reason).toMatch(/validation MASE 0.900 is worse than version 1's 0.500/);
    expect((await store.load('web'))!.version).toBe(1);
    expect(store.versions('web')).toEqual([1, 2]);
    expect((await store.saveVersion('web', await artefactWith(1100, 0.9), { force: true })).promoted).toBe(true);
    expect((await store.load('web'))!.version).toBe(3);
  });

  it('writes blobs as files and reads them back as base64', async () => {
    const store = fresh();
    const weights = Buffer.from([0, 1, 2, 250, 251, 252]).toString('base64');
    const version = await store.save('lstm-target', { ...(await artefactWith(500)), blobs: { 'weights.bin': weights } });
    expect(readFileSync(join(store.root, 'lstm-target', 'v0001', 'blobs', 'weights.bin'))).toEqual(Buffer.from([0, 1, 2, 250, 251, 252]));
    expect(store.readArtefact('lstm-target', version).blobs).toEqual({ 'weights.bin': weights });
    await expect(store.save('x', { ...(await artefactWith(500)), blobs: { '../evil': weights } })).rejects.toThrow(/plain file name/);
  });

  it('keeps target names inside its folder and prunes old versions but never the promoted one', async () => {
    const store = fresh();
    await store.save('ns/app', await artefactWith(500));
    expect(existsSync(join(store.root, 'ns%2Fapp', 'v0001'))).toBe(true);
    await store.save('ns/app', await artefactWith(500));
    await store.save('ns/app', await artefactWith(500));
    expect(store.prune('ns/app', 1)).toEqual([1, 2]);
    expect(store.versions('ns/app')).toEqual([3]);
    await expect(store.save('..', await artefactWith(500))).rejects.toThrow(/not a usable target name/);
  });
});
