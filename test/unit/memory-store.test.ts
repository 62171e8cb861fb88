import { describe, expect, it } from 'vitest';
import { createMemoryStore } from '../../src/metrics/memory-store.js';
import { latestPerSeriesContract, metricsStoreContract } from '../contract/metrics-store.contract.js';

metricsStoreContract('memory', async () => createMemoryStore());
latestPerSeriesContract('memory', async () => createMemoryStore());

describe('memory store', () => {
  it('keeps separate instances apart (no shared module state)', async () => {
    const a = createMemoryStore();
    const b = createMemoryStore();
    const t = Date.UTC(2026, 0, 1);
    await a.writePoints([{ measurement: 'm', tags: {}, fields: { v: 1 }, time: t }]);
    expect((await b.readSeries({ measurement: 'm', field: 'v', from: t, to: t + 60_000, stepMs: 60_000 })).values).toEqual([null]);
    expect((await a.readSeries({ measurement: 'm', field: 'v', from: t, to: t + 60_000, stepMs: 60_000 })).values).toEqual([1]);
  });
});
