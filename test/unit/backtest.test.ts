import { describe, expect, it } from 'vitest';
import { readCsvTrace } from '../../src/core/csv-trace.js';
import { tracePath } from '../../src/core/paths.js';
import { maseScale, scoreForecasts } from '../../src/forecasting/accuracy.js';
import {
  MAX_VALIDATION_FOLDS,
  MAX_WALK_FORWARD_ORIGINS,
  daySeason,
  evaluationSplit,
  horizonSteps,
  rollForecasts,
  runBacktest,
  sliceSeries,
  validationFolds,
  validationPlan,
} from '../../src/forecasting/backtest.js';
import type { FittedModel } from '../../src/forecasting/forecaster.js';
import { seasonalNaiveForecaster } from '../../src/forecasting/seasonal-naive.js';

// The split table of shared/data/EVALUATION.md ("### Split"), copied verbatim.
const SPLITS = [
  ['azure2019_vm_cpu_total_5min', 288, 8640, 6912, 1728, '2019-01-25T00:00:00Z', 270196, 144, 6],
  ['nab_asg_cpu_5min', 288, 18050, 16034, 2016, '2014-07-08T17:24:00Z', 2.73626, 168, 7],
  ['nab_elb_request_count_5min', 288, 4040, 3232, 808, '2014-04-21T05:24:00Z', 55.9212, 67, 2],
  ['nab_nyc_taxi_30min', 48, 10320, 9984, 336, '2015-01-25T00:00:00Z', 2554.55, 168, 7],
  ['nab_twitter_amzn_5min', 288, 15831, 13815, 2016, '2015-04-15T20:57:53Z', 19.2476, 168, 7],
  ['nasa_http_jul1995_5min', 288, 7937, 6350, 1587, '1995-07-23T05:15:00Z', 100.952, 132, 5],
] as const;

describe('the split of EVALUATION.md on every dev trace', () => {
  for (const [name, m, n, nTrain, T, testStart, scale, origins1h, origins1d] of SPLITS) {
    it(name, () => {
      const { series, stepMs } = readCsvTrace(tracePath(`${name}.csv`));
      const season = daySeason(stepMs);
      expect(season).toBe(m);
      const h1 = evaluationSplit(series.values.length, season, horizonSteps('1h', stepMs)!);
      expect([h1.n, h1.nTrain, h1.testLength]).toEqual([n, nTrain, T]);
      expect(new Date(series.startMs + h1.nTrain * stepMs).toISOString().replace('.000', '')).toBe(testStart);
      expect(h1.origins).toHaveLength(origins1h);
      expect(evaluationSplit(n, season, horizonSteps('1d', stepMs)!).origins).toHaveLength(origins1d);
      // EVALUATION.md prints the scale to 6 significant digits.
      expect(maseScale(series.values, nTrain, season)).toBeCloseTo(scale, 6 - Math.ceil(Math.log10(scale)));
    });
  }
});

describe('runBacktest', () => {
  const elb = readCsvTrace(tracePath('nab_elb_request_count_5min.csv')).series;

  it("reproduces statsmodels' seasonal naive numbers on ELB at 1h (EVALUATION.md: MASE 0.971, sMAPE 89.80)", async () => {
    const result = await runBacktest(elb, 12, (train) => seasonalNaiveForecaster.fit(train, { seasonLengths: [288] }));
    expect(result.rows).toHaveLength(67 * 12);
    expect(result.scores.mase).toBeCloseTo(0.971, 3);
    expect(result.scores.smape).toBeCloseTo(89.8, 2);
    expect(result.rows[0]!.originMs).toBe(elb.startMs + 3231 * elb.stepMs);
    expect(result.rows[0]!.timestampMs).toBe(elb.startMs + 3232 * elb.stepMs);
    expect(result.rows[11]!.timestampMs).toBe(elb.startMs + 3243 * elb.stepMs);
    expect(result.rows[12]!.originMs).toBe(elb.startMs + 3243 * elb.stepMs);
  });

  it('never lets a forecast see its own target: fit sees the training part, predict sees y[0..o-1]', async () => {
    const seen: number[] = [];
    let fitLength = 0;
    const spy = (model: FittedModel): FittedModel => ({
      ...model,
      kind: model.kind,
      description: model.description,
      lastObservedMs: model.lastObservedMs,
      stepMs: model.stepMs,
      predict: (h, levels) => {
        seen.push(model.lastObservedMs);
        return model.predict(h, levels);
      },
      update: (values) => spy(model.update(values)),
      toArtefact: () => model.toArtefact(),
    });
    const result = await runBacktest(elb, 288, async (train) => {
      fitLength = train.values.length;
      return spy(await seasonalNaiveForecaster.fit(train));
    });
    expect(fitLength).toBe(3232);
    expect(seen).toEqual(result.split.origins.map((o) => elb.startMs + (o - 1) * elb.stepMs));
  });

  it('rolls forward with update() and refuses origins the model has already passed', async () => {
    const model = await seasonalNaiveForecaster.fit(sliceSeries(elb, 0, 500));
    const rolled = rollForecasts(model, elb, [500, 510, 600], 5);
    expect(rolled.map((r) => r.forecast.startMs)).toEqual([500, 510, 600].map((o) => elb.startMs + o * elb.stepMs));
    expect(() => rollForecasts(model, elb, [400], 5)).toThrow(/before what the model has already seen/);
  });

  it('rejects a series too short for the split', () => {
    expect(() => evaluationSplit(500, 288, 12)).toThrow(/series too short/);
  });
});

describe('scoreForecasts', () => {
  it('matches the definitions by hand (sMAPE row with both zero counts 0)', () => {
    const s = scoreForecasts(
      [
        { y: 10, yhat: 8, lo80: 9, hi80: 11, lo95: 7, hi95: 13 },
        { y: 0, yhat: 0, lo80: 0, hi80: 0, lo95: 0, hi95: 0 },
        { y: 4, yhat: 6, lo80: 5, hi80: 7, lo95: 3, hi95: 9 },
      ],
      2,
    );
    expect(s.mae).toBeCloseTo(4 / 3, 12);
    expect(s.mase).toBeCloseTo(2 / 3, 12);
    expect(s.smape).toBeCloseTo((100 * (4 / 18 + 0 + 4 / 10)) / 3, 12);
    expect(s.coverage80).toBeCloseTo(2 / 3, 12);
    expect(s.coverage95).toBe(1);
    expect(scoreForecasts([{ y: 1, yhat: 1 }], 1).coverage80).toBeUndefined();
  });
});

describe('validationPlan (the inner split)', () => {
  it('applies the same split to the training part, with at most maxOrigins origins ending at the last point', () => {
    const plan = validationPlan(9984, 48, 2, 100)!;
    expect(plan.fitEnd).toBe(9984 - 336);
    expect(plan.origins.length).toBeLessThanOrEqual(100);
    expect(plan.origins[plan.origins.length - 1]).toBe(9984 - 2);
    expect(plan.origins[0]).toBeGreaterThanOrEqual(plan.fitEnd);
  });

  it('keeps two seasons to fit on, and gives up when even that leaves no room', () => {
    const plan = validationPlan(700, 288, 12)!;
    expect(plan.fitEnd).toBe(576);
    expect(validationPlan(580, 288, 12)).toBeUndefined();
  });
});

describe('validationFolds (walk-forward validation for the champion)', () => {
  it('adds a fold a week earlier while two weeks remain to fit on; origins ascend, each in one fold, the last window ending at n', () => {
    // ASG one hour ahead: 16034 training points of 5 minutes, a day is 288.
    const plan = validationFolds(16034, 288, 12)!;
    const last = validationPlan(16034, 288, 12)!;
    expect(plan.folds.map((f) => f.fitEnd)).toEqual([5954, 7970, 9986, 12002, last.fitEnd]);
    expect(plan.fitEnd).toBe(5954);
    expect(plan.origins.length).toBeLessThanOrEqual(MAX_WALK_FORWARD_ORIGINS);
    expect(plan.origins.at(-1)).toBe(16034 - 12);
    expect(plan.origins).toEqual([...plan.origins].sort((a, b) => a - b));
    expect(plan.origins).toEqual(plan.folds.flatMap((f) => f.origins));
    plan.folds.forEach((fold, i) => {
      expect(fold.origins[0]).toBeGreaterThanOrEqual(fold.fitEnd);
      expect(fold.origins.at(-1)!).toBeLessThan(plan.folds[i + 1]?.fitEnd ?? Number.POSITIVE_INFINITY);
    });
  });

  it('is validationPlan when asked for one fold or when history allows no earlier one', () => {
    const one = validationFolds(16034, 288, 12, 1)!;
    expect(one.folds).toHaveLength(1);
    expect(one.fitEnd).toBe(validationPlan(16034, 288, 12)!.fitEnd);
    // Azure: 24 days of training, the last fold starts on day 19; a week earlier leaves under two weeks.
    expect(validationFolds(6912, 288, 12)!.folds).toHaveLength(1);
    expect(validationFolds(580, 288, 12)).toBeUndefined();
  });

  it('stops at maxFolds', () => {
    expect(validationFolds(9984, 48, 2, 3)!.folds).toHaveLength(3);
    expect(validationFolds(9984, 48, 2)!.folds).toHaveLength(MAX_VALIDATION_FOLDS);
  });
});

