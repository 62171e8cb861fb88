import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { tracePath } from '../../src/core/paths.js';
import { DEFAULT_LSTM_CONFIG } from '../../src/forecasting/lstm/config.js';
import {
  HISTORY_FEATURES,
  allocateSamples,
  firstOrigin,
  recentFeatureCount,
  seriesView,
  stepFeatureCount,
  timeEncoding,
  writeSample,
} from '../../src/forecasting/lstm/features.js';
import { deriveLayout, minimumLength } from '../../src/forecasting/lstm/fit.js';
import { bucketStarts, residualQuantile, residualTable } from '../../src/forecasting/lstm/intervals.js';
import { seededRandom, shuffledIndices } from '../../src/forecasting/lstm/random.js';

/** Real NASA HTTP request counts per 5 minutes (data/traces/README.md). */
function nasaValues(count: number): number[] {
  return readFileSync(tracePath('nasa_http_jul1995_5min.csv'), 'utf8')
    .trim()
    .split('\n')
    .slice(1, count + 1)
    .map((line) => Number(line.split(',')[1]));
}

const FIVE_MIN = 300_000;

describe('lstm layout', () => {
  it('derives a one-day season and head from the step, with a two-day lookback in blocks', () => {
    const layout = deriveLayout(FIVE_MIN, DEFAULT_LSTM_CONFIG);
    expect(layout.season).toBe(288);
    expect(layout.horizon).toBe(288);
    expect(layout.blocks * layout.blockSize).toBe(576);
    expect(layout.recent).toBe(24);
    const taxi = deriveLayout(1_800_000, DEFAULT_LSTM_CONFIG);
    expect(taxi.season).toBe(48);
    expect(minimumLength(taxi)).toBe(5 * 48);
    expect(deriveLayout(FIVE_MIN, DEFAULT_LSTM_CONFIG, { seasonLengths: [2016, 288] }).season).toBe(288);
  });
});

describe('lstm features', () => {
  const layout = deriveLayout(FIVE_MIN, { ...DEFAULT_LSTM_CONFIG, encoderSteps: 8 });
  const values = nasaValues(3000);
  const startMs = Date.UTC(1995, 6, 1, 4, 5);

  it('reads only observations before the origin (no look-ahead)', () => {
    const o = 2500;
    const a = allocateSamples(layout, 1);
    const b = allocateSamples(layout, 1);
    writeSample(seriesView(values, startMs, FIVE_MIN), layout, o, a, 0);
    const changed = values.map((v, i) => (i >= o ? v * 10 + 7 : v));
    writeSample(seriesView(changed, startMs, FIVE_MIN), layout, o, b, 0);
    expect(b.history).toEqual(a.history);
    expect(b.recent).toEqual(a.recent);
    expect(b.horizon).toEqual(a.horizon);
    // ...while a change just before the origin does show.
    const before = values.map((v, i) => (i === o - 1 ? v + 100 : v));
    writeSample(seriesView(before, startMs, FIVE_MIN), layout, o, b, 0);
    expect(b.recent).not.toEqual(a.recent);
  });

  it('fills every slot with finite numbers of the documented sizes', () => {
    const buffers = allocateSamples(layout, 2);
    const view = seriesView(values, startMs, FIVE_MIN);
    writeSample(view, layout, firstOrigin(layout), buffers, 0);
    writeSample(view, layout, values.length, buffers, 1);
    expect(buffers.history.length).toBe(2 * layout.blocks * HISTORY_FEATURES);
    expect(buffers.recent.length).toBe(2 * recentFeatureCount(layout));
    expect(buffers.horizon.length).toBe(2 * layout.horizon * stepFeatureCount(layout));
    for (const buffer of Object.values(buffers)) expect(buffer.every(Number.isFinite)).toBe(true);
    // The day template of step 0 is the (smoothed) value one season before the origin.
    const o = values.length;
    const w = layout.smoothHalfWidth;
    const expected = values.slice(o - 288 - w, o - 288 + w + 1).reduce((s, v) => s + v, 0) / (2 * w + 1);
    const slot1 = layout.horizon * stepFeatureCount(layout);
    expect(buffers.horizon[slot1]).toBeCloseTo(expected, 3);
  });

  it('encodes time of day and day of week on the unit circle', () => {
    const out = new Float32Array(4);
    timeEncoding(Date.UTC(2024, 0, 1, 6), out, 0); // a Monday, 06:00 UTC
    expect(out[0]).toBeCloseTo(1, 5); // sin(2pi * 0.25)
    expect(out[1]).toBeCloseTo(0, 5);
    const monday = Array.from(out);
    timeEncoding(Date.UTC(2024, 0, 8, 6), out, 0); // a week later
    expect(Array.from(out).map((v) => v.toFixed(5))).toEqual(monday.map((v) => v.toFixed(5)));
  });
});

describe('lstm residual intervals', () => {
  it('keeps quantiles per horizon bucket and interpolates any level', () => {
    const horizon = 12;
    const random = seededRandom(3);
    const count = 500;
    const residuals = new Float64Array(count * horizon);
    // Synthetic residuals whose spread grows with the step: uniform on [-(j+1), j+1].
    for (let i = 0; i < count; i++) for (let j = 0; j < horizon; j++) residuals[i * horizon + j] = (2 * random() - 1) * (j + 1);
    const table = residualTable(residuals, horizon);
    expect(table.bucketStarts[0]).toBe(0);
    expect(table.bucketStarts).toEqual(bucketStarts(horizon));
    expect(residualQuantile(table, 0, 0.5)).toBeCloseTo(0, 0);
    expect(residualQuantile(table, 11, 0.9)).toBeGreaterThan(residualQuantile(table, 0, 0.9));
    expect(residualQuantile(table, 11, 0.975)).toBeGreaterThan(residualQuantile(table, 11, 0.9));
    expect(residualQuantile(table, 0, 0.1)).toBeLessThan(0);
  });

  it('shuffles reproducibly for a seed', () => {
    expect(Array.from(shuffledIndices(20, seededRandom(7)))).toEqual(Array.from(shuffledIndices(20, seededRandom(7))));
    expect(Array.from(shuffledIndices(20, seededRandom(7)))).not.toEqual(Array.from(shuffledIndices(20, seededRandom(8))));
  });
});
