import { describe, expect, it } from 'vitest';
import {
  bindingResource,
  ceilReplicas,
  chooseHeadroom,
  DEFAULT_HEADROOM,
  forecastOverWindow,
  forecastQuantileAt,
  percentile,
  replicasForLoad,
  replicasForUtilization,
  selectPercentile,
} from '../../src/scaling/capacity.js';
import { syntheticForecast } from '../support/scaling-fixtures.js';

describe('forecast quantiles', () => {
  it('P90 is the upper bound of the 80% interval and P97.5 of the 95% one', () => {
    const f = syntheticForecast(0, 60_000, 3, 1000, 128.16, 196);
    expect(forecastQuantileAt(f, 0, 90).quantile).toBeCloseTo(1128.16, 1);
    expect(forecastQuantileAt(f, 0, 97.5).quantile).toBeCloseTo(1196, 1);
    expect(forecastQuantileAt(f, 0, 50).quantile).toBe(1000);
    // Between levels: normal approximation from the nearest interval (sigma = 100 here).
    expect(forecastQuantileAt(f, 0, 95).quantile).toBeCloseTo(1000 + 164.49, 0);
    expect(forecastQuantileAt(f, 0, 90).upper95).toBe(1196);
    expect(forecastQuantileAt(f, 0, 90).relativeHalfWidth).toBeCloseTo(0.128, 3);
  });

  it('falls back to the mean when the forecast has no interval', () => {
    const f = { ...syntheticForecast(0, 60_000, 3, 500), intervals: [] };
    const p = forecastQuantileAt(f, 1, 90);
    expect(p.quantile).toBe(500);
    expect(Number.isNaN(p.upper95)).toBe(true);
  });

  it('takes the peak over the points overlapping the window and says whether it covers it', () => {
    const step = 300_000;
    const f = syntheticForecast(0, step, 4, (i) => [100, 300, 200, 900][i]!, 10);
    // [60 s, 400 s) overlaps points 0 and 1 only.
    const w = forecastOverWindow(f, 60_000, 400_000, 90);
    expect(w.points).toBe(2);
    expect(w.peakMean).toBe(300);
    expect(w.peakQuantile).toBeCloseTo(310, 5);
    expect(w.peakTime).toBe(step);
    expect(w.covers).toBe(true);
    expect(forecastOverWindow(f, 0, 5 * step, 90).covers).toBe(false);
    // A forecast starting long after the window covers nothing.
    expect(forecastOverWindow(f, -3 * step, -2 * step, 90).covers).toBe(false);
    // A window inside the step just before the forecast (observed by live metrics) is covered, with no points.
    const observed = forecastOverWindow(f, -step + 30_000, -1000, 90);
    expect(observed.covers).toBe(true);
    expect(observed.points).toBe(0);
    // A window starting before the forecast (the not yet observed current step) overlaps fewer points.
    expect(forecastOverWindow(f, -step, 1, 90).points).toBe(1);
  });

  it('marks a window holding NaN as invalid', () => {
    const f = syntheticForecast(0, 60_000, 3, (i) => (i === 1 ? NaN : 100), 10);
    expect(forecastOverWindow(f, 0, 180_000, 90).invalid).toBe(true);
    expect(forecastOverWindow(f, 0, 60_000, 90).invalid).toBe(false);
  });
});

describe('headroom', () => {
  it('comes from the interval width before calibration, bounded', () => {
    expect(chooseHeadroom(90, 0.5, []).headroom).toBeCloseTo(0.05, 10);
    expect(chooseHeadroom(90, 0, []).headroom).toBe(0.02);
    expect(chooseHeadroom(90, 50, []).headroom).toBe(0.3);
    expect(chooseHeadroom(90, 0.5, []).source).toBe('interval width');
  });

  it('comes from the calibration ratios once there are enough: the coverage percentile minus one, both ways', () => {
    const short = Array.from({ length: 40 }, (_, i) => 0.9 + i * 0.01); // load ran up to 29% over the P90
    const h = chooseHeadroom(90, 0.5, short);
    expect(h.source).toBe('calibration');
    expect(h.headroom).toBeCloseTo(percentile([...short].sort((a, b) => a - b), 90) - 1, 10);
    expect(h.headroom).toBeGreaterThan(0.15);
    // Intervals far too wide: load never came near the P90. The quantile shrinks to the highest ratio seen
    // (not to the 90th percentile of them), down to minMultiplier.
    const wide = Array.from({ length: 40 }, (_, i) => 0.5 + i * 0.005);
    expect(chooseHeadroom(90, 0.5, wide).headroom).toBeCloseTo(0.5 + 39 * 0.005 - 1, 10);
    expect(chooseHeadroom(90, 0.5, wide.map((r) => r / 4)).headroom).toBeCloseTo(-0.4, 10);
    // Load reached the quantile once, but its 90th percentile stays below: no shrinking, no headroom.
    expect(chooseHeadroom(90, 0.5, [...wide, 1]).headroom).toBe(0);
    expect(chooseHeadroom(90, 0.5, wide, { ...DEFAULT_HEADROOM, minMultiplier: 1 }).headroom).toBe(0);
    // A coverage option overrides the target's quantile.
    expect(chooseHeadroom(90, 0.5, short, { ...DEFAULT_HEADROOM, coverage: 50 }).headroom).toBeCloseTo(0.095, 10);
    // Too few samples: the interval width decides.
    expect(chooseHeadroom(90, 0.5, short.slice(0, 29)).source).toBe('interval width');
  });
});

describe('replicas', () => {
  it('rounds up but ignores float noise', () => {
    expect(ceilReplicas(4.000000000001)).toBe(4);
    expect(ceilReplicas(4.01)).toBe(5);
    expect(replicasForLoad(0.1 + 0.2, 0.3)).toBe(1);
    expect(replicasForLoad(1840, 200)).toBe(10);
    expect(replicasForLoad(1840, 200, 0.1)).toBe(11);
    expect(replicasForLoad(0, 200)).toBe(0);
    expect(replicasForLoad(NaN, 200)).toBe(0);
  });

  it('sizes utilisation by the HPA formula and picks the binding resource', () => {
    expect(replicasForUtilization(10, 0.93, 0.8)).toBe(12);
    expect(replicasForUtilization(10, 0.4, 0.8)).toBe(5);
    expect(replicasForUtilization(0, 0.9, 0.8)).toBe(0);
    const b = bindingResource([
      { resource: 'load', replicas: 8, rule: 'a' },
      { resource: 'cpu', replicas: 12, rule: 'b' },
      { resource: 'memory', replicas: 12, rule: 'c' },
    ]);
    expect(b?.resource).toBe('cpu');
    expect(bindingResource([])).toBeNull();
  });
});

describe('selectPercentile', () => {
  it('gives what percentile gives on the sorted values, for every p, with ties and odd sizes', () => {
    let seed = 7;
    const next = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (const n of [1, 2, 3, 10, 101, 960]) {
      const values = Array.from({ length: n }, () => Math.round(next() * 50) / 10);
      const sorted = [...values].sort((a, b) => a - b);
      for (const p of [0, 1, 37.5, 50, 90, 97.5, 98, 100]) {
        expect(selectPercentile(Float64Array.from(values), p)).toBeCloseTo(percentile(sorted, p), 12);
      }
    }
    expect(selectPercentile(new Float64Array(0), 50)).toBeNaN();
  });
});
