import { describe, expect, it } from 'vitest';
import { readCsvTrace } from '../../src/core/csv-trace.js';
import { tracePath } from '../../src/core/paths.js';
import { horizonSteps, runBacktest } from '../../src/forecasting/backtest.js';
import { selectChampion } from '../../src/forecasting/champion.js';

/**
 * Issue 10's coverage target on the two one-hour pairs that missed it (80% in 0.75-0.85, 95% in 0.92-0.97):
 * ASG's test week has a level shift that needs bands more than 4x the calibrated width; taxi's calibration week
 * alone was too wide at 95%. Both are Holt-Winters champions, calibrated like every other champion (split
 * conformal per lead on the walk-forward validation origins, adaptive conformal online). Without the calibration
 * (the model's own intervals, or a static table) both leave the range.
 */
describe('calibrated one-hour intervals on the traces that missed the target', () => {
  for (const file of ['nab_asg_cpu_5min.csv', 'nab_nyc_taxi_30min.csv']) {
    it(`${file}: 80% and 95% coverage in range`, async () => {
      const { series } = readCsvTrace(tracePath(file));
      const h = horizonSteps('1h', series.stepMs)!;
      const result = await runBacktest(series, h, async (train, { horizon }) => (await selectChampion(train, { horizon, candidates: ['hw'], baseline: false, ensembles: false })).model);
      expect(result.scores.coverage80).toBeGreaterThanOrEqual(0.75);
      expect(result.scores.coverage80).toBeLessThanOrEqual(0.85);
      expect(result.scores.coverage95).toBeGreaterThanOrEqual(0.92);
      expect(result.scores.coverage95).toBeLessThanOrEqual(0.97);
      expect(result.description).toMatch(/^conformal\(ets/);
    }, 60_000);
  }
});
