/**
 * Fixtures for the scaling-engine tests: targets through the real config schema, forecasts (synthetic flat
 * ones for edge cases; seasonal-naive ones built from real traces), and a baseline TickInput.
 */
import { targetSchema, nodePoolSchema, type TargetConfig, type NodePoolConfig } from '../../src/config/schema.js';
import { readCsvTrace } from '../../src/core/csv-trace.js';
import { tracePath } from '../../src/core/paths.js';
import type { Forecast, RegularSeries } from '../../src/forecasting/forecaster.js';
import type { TickInput } from '../../src/scaling/engine.js';

/** A target sized at P90 (the synthetic cases' arithmetic is written for it; the default is 98). */
export function makeTarget(overrides: Record<string, unknown> = {}): TargetConfig {
  return targetSchema.parse({
    name: 'web',
    quantile: 90,
    load: { measurement: 'http', field: 'rps' },
    capacityPerReplica: 100,
    maxReplicas: 50,
    minReplicas: 1,
    ...overrides,
  });
}

export function makePool(overrides: Record<string, unknown> = {}): NodePoolConfig {
  return nodePoolSchema.parse({ name: 'pool', allocatable: { cpu: 4, memoryMiB: 16384 }, maxNodes: 20, ...overrides });
}

/** Synthetic: a constant forecast `mean` with 80% and 95% intervals of the given half-widths. */
export function syntheticForecast(startMs: number, stepMs: number, n: number, mean: number | ((i: number) => number), half80 = 0, half95 = half80 * 1.53): Forecast {
  const m = Array.from({ length: n }, (_, i) => (typeof mean === 'function' ? mean(i) : mean));
  return {
    startMs,
    stepMs,
    mean: m,
    intervals: [
      { level: 80, lower: m.map((v) => Math.max(0, v - half80)), upper: m.map((v) => v + half80) },
      { level: 95, lower: m.map((v) => Math.max(0, v - half95)), upper: m.map((v) => v + half95) },
    ],
    model: 'synthetic',
    notes: [],
  };
}

/** A bundled real trace (data/traces, in the repository). */
export function loadTrace(file: string): RegularSeries {
  return readCsvTrace(tracePath(file)).series;
}

/**
 * A seasonal-naive forecast from a real trace made at `origin` (the index of the first predicted point,
 * using only values before it): mean = the value one season earlier; intervals from the spread of the
 * seasonal differences over the last week before the origin (normal approximation).
 */
export function seasonalNaiveFrom(series: RegularSeries, origin: number, horizon: number, season: number): Forecast {
  const y = series.values;
  const diffs: number[] = [];
  for (let t = Math.max(season, origin - 7 * season); t < origin; t++) diffs.push(y[t]! - y[t - season]!);
  const mu = diffs.reduce((a, b) => a + b, 0) / diffs.length;
  const sd = Math.sqrt(diffs.reduce((a, b) => a + (b - mu) ** 2, 0) / Math.max(1, diffs.length - 1));
  const mean = Array.from({ length: horizon }, (_, h) => Math.max(0, y[origin + (h % season) - season]!));
  return {
    startMs: series.startMs + origin * series.stepMs,
    stepMs: series.stepMs,
    mean,
    intervals: [
      { level: 80, lower: mean.map((v) => Math.max(0, v - 1.2816 * sd)), upper: mean.map((v) => v + 1.2816 * sd) },
      { level: 95, lower: mean.map((v) => Math.max(0, v - 1.96 * sd)), upper: mean.map((v) => v + 1.96 * sd) },
    ],
    model: `snaive[${season}]`,
    notes: [],
  };
}

export function baseInput(overrides: Partial<TickInput> = {}): TickInput {
  const now = Date.UTC(2026, 0, 5, 12, 0);
  return {
    now,
    target: makeTarget(),
    workload: { desiredReplicas: 5, readyReplicas: 5, rolloutInProgress: false },
    forecast: syntheticForecast(now - 60_000, 60_000, 30, 400, 40),
    live: { load: 400, at: now },
    calendar: [],
    model: { model: 'ets(A,Ad,A)[288]', trainedAt: now - 3_600_000, backtestMase: 0.5, naiveMase: 0.8, historyDays: 14, requiredHistoryDays: 2 },
    podLeadMs: 90_000,
    // A planning tick every minute: the synthetic cases' windows (lead + interval = 150 s) are written for it.
    planIntervalMs: 60_000,
    state: null,
    loop: 'plan',
    ...overrides,
  };
}
