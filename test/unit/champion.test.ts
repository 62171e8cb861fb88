import { describe, expect, it } from 'vitest';
import { readCsvTrace } from '../../src/core/csv-trace.js';
import { tracePath } from '../../src/core/paths.js';
import { MAX_VALIDATION_FOLDS, sliceSeries, validationFolds, validationPlan } from '../../src/forecasting/backtest.js';
import { ConformalModel } from '../../src/forecasting/calibration.js';
import { ENSEMBLE_MARGIN, ENSEMBLE_WEIGHTS, championCard, selectChampion } from '../../src/forecasting/champion.js';
import { EnsembleModel } from '../../src/forecasting/ensemble.js';
import type { TrainedChampion } from '../../jobs/deps.js';
import type { FittedModel, Forecast, Forecaster, ModelArtefact } from '../../src/forecasting/forecaster.js';
import { seededUniform } from '../../src/core/random.js';
import { loadModel } from '../../src/forecasting/forecasters.js';
import { registerForecaster } from '../../src/forecasting/registry.js';
import { seasonalNaiveForecaster } from '../../src/forecasting/seasonal-naive.js';

// Test-only forecasters: seasonal naive pinned to one season, and one that always fails.
const pinned = (kind: string, days: number): Forecaster => ({
  kind,
  fit: (series, options) => seasonalNaiveForecaster.fit(series, { ...options, seasonLengths: [Math.round((days * 86_400_000) / series.stepMs)] }),
  load: (artefact) => seasonalNaiveForecaster.load(artefact),
});
registerForecaster('test-daily', () => pinned('test-daily', 1));
registerForecaster('test-weekly', () => pinned('test-weekly', 7));
registerForecaster('test-broken', () => ({
  kind: 'test-broken',
  fit: async () => {
    throw new Error('synthetic failure');
  },
  load: async () => {
    throw new Error('synthetic failure');
  },
}));

// Fits like weekly seasonal naive on up to 9700 points and fails on more: fine in validation, broken on all data.
registerForecaster('test-fragile', () => ({
  kind: 'test-fragile',
  fit: async (series, options) => {
    if (series.values.length > 9700) throw new Error('synthetic failure on long series');
    return pinned('test-fragile', 7).fit(series, options);
  },
  load: (artefact) => seasonalNaiveForecaster.load(artefact),
}));

/** Daily seasonal naive times `factor`: a forecaster that is biased on purpose (test-only). */
class BiasedModel implements FittedModel {
  constructor(
    readonly kind: string,
    private readonly factor: number,
    private readonly inner: FittedModel,
  ) {}
  get description(): string {
    return `${this.kind}(${this.inner.description})`;
  }
  get lastObservedMs(): number {
    return this.inner.lastObservedMs;
  }
  get stepMs(): number {
    return this.inner.stepMs;
  }
  predict(h: number, levels?: number[]): Forecast {
    const f = this.inner.predict(h, levels);
    const times = (xs: number[]) => xs.map((x) => x * this.factor);
    return { ...f, mean: times(f.mean), intervals: f.intervals.map((i) => ({ ...i, lower: times(i.lower), upper: times(i.upper) })) };
  }
  update(values: number[]): FittedModel {
    return new BiasedModel(this.kind, this.factor, this.inner.update(values));
  }
  toArtefact(): ModelArtefact {
    const inner = this.inner.toArtefact();
    return { kind: this.kind, formatVersion: 1, params: { inner }, trainedOn: inner.trainedOn };
  }
}
const biased = (kind: string, factor: number): Forecaster => ({
  kind,
  fit: async (series, options) =>
    new BiasedModel(kind, factor, await seasonalNaiveForecaster.fit(series, { ...options, seasonLengths: [Math.round(86_400_000 / series.stepMs)] })),
  load: async (artefact) => new BiasedModel(kind, factor, await seasonalNaiveForecaster.load((artefact.params as { inner: ModelArtefact }).inner)),
});
registerForecaster('test-over', () => biased('test-over', 1.2));
registerForecaster('test-under', () => biased('test-under', 0.8));

/** Synthetic: four weeks at 30 minutes of a daily wave (100 +- 50) with small seeded noise (sd about 1). */
const biasedSeries = (() => {
  const random = seededUniform(11);
  const values = Array.from({ length: 4 * 7 * 48 }, (_, i) => 100 + 50 * Math.sin((2 * Math.PI * i) / 48) + 2 * (random() - 0.5) * Math.sqrt(3));
  return { startMs: Date.UTC(2026, 0, 5), stepMs: 1_800_000, values };
})();

// NYC taxi's training part (EVALUATION.md split): its weekly pattern makes weekly seasonal naive much better.
const taxi = sliceSeries(readCsvTrace(tracePath('nab_nyc_taxi_30min.csv')).series, 0, 9984);

// Records the length of every series it is fitted on (daily seasonal naive otherwise).
const fittedLengths: number[] = [];
registerForecaster('test-spy', () => ({
  kind: 'test-spy',
  fit: async (series, options) => {
    fittedLengths.push(series.values.length);
    return pinned('test-spy', 1).fit(series, options);
  },
  load: (artefact) => seasonalNaiveForecaster.load(artefact),
}));

describe('selectChampion: walk-forward validation', () => {
  it('refits each candidate on every fold (a week apart, never past its start) and scores all folds, then fits on all data', async () => {
    fittedLengths.length = 0;
    const result = await selectChampion(taxi, { horizon: 2, candidates: ['test-spy'], baseline: false, ensembles: false });
    const plan = validationFolds(taxi.values.length, 48, 2)!;
    expect(plan.folds).toHaveLength(MAX_VALIDATION_FOLDS);
    expect(fittedLengths).toEqual([...plan.folds.map((f) => f.fitEnd), taxi.values.length]);
    const row = result.table.find((r) => r.name === 'test-spy')!;
    expect(row.foldMase).toHaveLength(plan.folds.length);
    // The score is over every fold's origins (each fold has as many here), not the last week's alone.
    const mean = row.foldMase!.reduce((a, b) => a + b, 0) / row.foldMase!.length;
    expect(row.mase).toBeCloseTo(mean, 1);
    expect(row.mase).not.toBeCloseTo(row.foldMase!.at(-1)!, 6);
    expect((result.model as ConformalModel).table.samples).toBe(plan.origins.length);
  });

  it('validates on the last part only when asked for one fold', async () => {
    fittedLengths.length = 0;
    await selectChampion(taxi, { horizon: 2, candidates: ['test-spy'], baseline: false, ensembles: false, validationFolds: 1 });
    expect(fittedLengths).toEqual([validationPlan(taxi.values.length, 48, 2)!.fitEnd, taxi.values.length]);
  });
});

describe('selectChampion', () => {
  it('promotes a candidate that beats the baseline in the inner backtest and calibrates it', async () => {
    // What the train job stores (jobs/deps.ts TrainedChampion; checked by the compiler).
    const result: TrainedChampion & Awaited<ReturnType<typeof selectChampion>> = await selectChampion(taxi, {
      horizon: 2,
      candidates: ['test-weekly'],
      baseline: 'test-daily',
      ensembles: false,
    });
    expect(result.kind).toBe('test-weekly');
    expect(result.scores['test-weekly']!.mase).toBeLessThan(result.scores['test-daily']!.mase!);
    expect(result.backtestMase).toBe(result.scores['test-weekly']!.mase);
    expect(result.naiveMase).toBe(result.scores['test-daily']!.mase);
    expect(result.model).toBeInstanceOf(ConformalModel);
    expect(result.model.description).toBe('conformal(snaive[336])');
    // Refitted on everything it was given, nothing more.
    expect(result.model.lastObservedMs).toBe(taxi.startMs + (taxi.values.length - 1) * taxi.stepMs);
    expect(result.notes.join(' ')).toMatch(/champion test-weekly .* intervals calibrated on \d+ validation origins/);
    // The validation numbers travel with the artefact (the model store compares them) and into the card.
    expect(result.model.toArtefact().metrics).toMatchObject({ mase: result.backtestMase, naiveMase: result.naiveMase });
    const card = championCard(result);
    expect(card).toMatch(/\| test-weekly \(champion\) \| snaive\[336\] \| \d+\.\d{3} \|/);
    expect(card).toMatch(/\| test-daily \| snaive\[48\] \|/);
  });

  it('keeps the baseline when no candidate beats it', async () => {
    const result = await selectChampion(taxi, { horizon: 2, candidates: ['test-daily'], baseline: 'test-weekly', ensembles: false });
    expect(result.kind).toBe('test-weekly');
    expect(result.notes.join(' ')).toMatch(/no candidate beat test-weekly/);
  });

  it('scores weighted pairs and builds an ensemble only when it beats its members by a margin', async () => {
    // The last week only: over eight weeks (Thanksgiving, Christmas) the daily pattern pays in a blend.
    const result = await selectChampion(taxi, { horizon: 48, candidates: ['test-daily', 'test-weekly'], baseline: false, validationFolds: 1 });
    const names = result.table.map((row) => row.name);
    const pairs = ENSEMBLE_WEIGHTS.map((w) => (w === 0.5 ? 'test-daily+test-weekly' : `test-daily*${w}+test-weekly*${1 - w}`));
    expect(names).toEqual(expect.arrayContaining(['test-daily', 'test-weekly', ...pairs]));
    const singleBest = Math.min(...result.table.filter((row) => !row.name.includes('+')).map((row) => row.mase));
    // Both candidates are members of every pair: a pair must beat the better one by the margin.
    const eligible = result.table.filter((row) => !row.name.includes('+') || row.mase < (1 - ENSEMBLE_MARGIN) * singleBest);
    expect(result.backtestMase).toBe(Math.min(...eligible.map((row) => row.mase)));
    // On taxi the weekly pattern dominates: equal weights do not pay, a quarter of the daily one does.
    expect(result.scores['test-daily+test-weekly']!.mase).toBeGreaterThan((1 - ENSEMBLE_MARGIN) * singleBest);
    expect(result.kind).toBe('test-daily*0.25+test-weekly*0.75');
    const inner = (result.model as ConformalModel).inner as EnsembleModel;
    expect(inner).toBeInstanceOf(EnsembleModel);
    expect(inner.weights).toEqual([0.25, 0.75]);
    // Whatever won, the stored artefact loads back to the same forecasts.
    const loaded = await loadModel(JSON.parse(JSON.stringify(result.model.toArtefact())));
    expect(loaded.predict(48)).toEqual(result.model.predict(48));
  });

  it('chooses an ensemble when its members err in opposite directions (synthetic: over- and under-forecaster)', async () => {
    const result = await selectChampion(biasedSeries, { horizon: 48, candidates: ['test-over', 'test-under'], baseline: false });
    expect(result.kind).toBe('test-over+test-under');
    const over = result.scores['test-over']!.mase!;
    const under = result.scores['test-under']!.mase!;
    const pair = result.scores['test-over+test-under']!.mase!;
    // The biases cancel: only the noise is left, far below either member (and below the parsimony margin).
    expect(pair).toBeLessThan((1 - ENSEMBLE_MARGIN) * Math.min(over, under));
    expect(pair).toBeLessThan(0.5 * Math.min(over, under));
    expect(result.backtestMase).toBe(pair);
    const inner = (result.model as ConformalModel).inner as EnsembleModel;
    expect(inner).toBeInstanceOf(EnsembleModel);
    expect(inner.members.map((m) => m.kind)).toEqual(['test-over', 'test-under']);
    expect(inner.weights).toEqual([0.5, 0.5]);
    // The blend forecasts what the unbiased seasonal naive would: (1.2 + 0.8) / 2 = 1.
    const plain = await seasonalNaiveForecaster.fit(biasedSeries, { seasonLengths: [48] });
    const blended = result.model.predict(48).mean;
    plain.predict(48).mean.forEach((m, k) => expect(blended[k]).toBeCloseTo(m, 9));
    // Stored and loaded back, it is still the ensemble and forecasts the same.
    const loaded = await loadModel(JSON.parse(JSON.stringify(result.model.toArtefact())));
    expect(loaded.predict(48)).toEqual(result.model.predict(48));
    // Without pairs a biased member has to win: the ensemble is what made the difference.
    const alone = await selectChampion(biasedSeries, { horizon: 48, candidates: ['test-over', 'test-under'], baseline: false, ensembles: false });
    expect(['test-over', 'test-under']).toContain(alone.kind);
    expect(alone.backtestMase!).toBeGreaterThan(2 * pair);
  });

  it('records a failing candidate and carries on', async () => {
    const result = await selectChampion(taxi, { horizon: 2, candidates: ['test-broken', 'snaive'] });
    expect(result.kind).toBe('snaive');
    expect(result.table.find((row) => row.name === 'test-broken')!.error).toBe('synthetic failure');
    expect(result.notes.join(' ')).toMatch(/test-broken failed in validation/);
  });

  it('falls back to the baseline when the winner cannot be refitted on all data', async () => {
    const result = await selectChampion(taxi, { horizon: 2, candidates: ['test-fragile'], baseline: 'test-daily', ensembles: false });
    expect(result.scores['test-fragile']!.mase).toBeLessThan(result.scores['test-daily']!.mase!);
    expect(result.kind).toBe('test-daily');
    expect(result.model.description).toBe('conformal(snaive[48])');
    expect(result.notes.join(' ')).toMatch(/test-fragile failed to fit on all data \(synthetic failure on long series\): test-daily instead/);
  });

  it('reports progress in [0, 1], never backwards, ending at 1 (the train job forwards it)', async () => {
    const seen: number[] = [];
    await selectChampion(taxi, { horizon: 2, candidates: ['test-weekly', 'test-daily'], onProgress: (f) => seen.push(f) });
    expect(seen.length).toBeGreaterThan(3);
    expect(seen.every((f, i) => f >= 0 && f <= 1 && (i === 0 || f >= seen[i - 1]!))).toBe(true);
    expect(seen[seen.length - 1]).toBe(1);
  });

  it('skips unknown candidates with a note', async () => {
    const result = await selectChampion(taxi, { horizon: 2, candidates: ['no-such-model'] });
    expect(result.kind).toBe('snaive');
    expect(result.notes.join(' ')).toMatch(/"no-such-model" is not available/);
  });

  it('falls back to the baseline with its own intervals when history is too short to validate', async () => {
    const short = sliceSeries(taxi, 0, 60);
    const result = await selectChampion(short, { horizon: 2 });
    expect(result.kind).toBe('snaive');
    expect(result.table).toEqual([]);
    expect(result.notes.join(' ')).toMatch(/history too short for an inner backtest/);
    expect(result.model.predict(2).mean.every(Number.isFinite)).toBe(true);
  });

  it('rejects a horizon that is not a positive whole number', async () => {
    await expect(selectChampion(taxi, { horizon: 0 })).rejects.toThrow(/horizon must be a positive whole number/);
  });
});

describe('candidatesFor', () => {
  it('maps the configured model choice to candidates', async () => {
    const { candidatesFor } = await import('../../src/forecasting/champion.js');
    expect(candidatesFor('auto')).toEqual(['snaive', 'hw', 'mstl', 'theta']);
    expect(candidatesFor('mstl')).toEqual(['mstl']);
    expect(candidatesFor('lstm')).toEqual(['lstm']);
  });
});
