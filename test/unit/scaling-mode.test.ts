import { describe, expect, it } from 'vitest';
import { assessMode, type ModeInput } from '../../src/scaling/mode.js';

const now = 1_700_000_000_000;
const ok: ModeInput = {
  now,
  forecastOnly: false,
  model: { model: 'ets(A,Ad,A)[288]', trainedAt: now - 3_600_000, backtestMase: 0.4, naiveMase: 0.7, historyDays: 14, requiredHistoryDays: 2 },
  hasForecast: true,
  forecastCovers: true,
  forecastInvalid: false,
  reactiveUntil: null,
};

describe('modes', () => {
  it('predictive with a healthy model and forecast', () => {
    expect(assessMode(ok)).toEqual({ mode: 'predictive', sizing: 'forecast', reason: 'model ets(A,Ad,A)[288]' });
  });

  it('learning with "n of N days of history"', () => {
    const m = assessMode({ ...ok, model: { ...ok.model, historyDays: 3.27, requiredHistoryDays: 14 } });
    expect(m).toEqual({ mode: 'learning', sizing: 'live', reason: 'learning: 3.2 of 14 days of history' });
  });

  it.each([
    ['no model', { model: { ...ok.model, model: null, trainedAt: null } }, 'no model'],
    ['a stale model', { model: { ...ok.model, trainedAt: now - 3 * 86_400_000 } }, 'model ets(A,Ad,A)[288] trained 3 d ago is stale (> 2 d)'],
    ['a model worse than naive', { model: { ...ok.model, backtestMase: 0.9 } }, 'model ets(A,Ad,A)[288] MASE 0.900 does not beat seasonal naive 0.700'],
    ['no forecast', { hasForecast: false }, 'no forecast'],
    ['a NaN forecast', { forecastInvalid: true }, 'forecast holds non-finite values'],
    ['a short forecast', { forecastCovers: false }, 'forecast ends before the lead window'],
    ['a recent breach', { reactiveUntil: now + 30_000 }, 'reactive after a breach for 30 s more'],
  ])('reactive with %s', (_, change, reason) => {
    expect(assessMode({ ...ok, ...change } as ModeInput)).toEqual({ mode: 'reactive', sizing: 'live', reason });
  });

  it('the seasonal-naive baseline is never "worse than itself"', () => {
    expect(assessMode({ ...ok, model: { ...ok.model, model: 'snaive[2016]', backtestMase: 0.7, naiveMase: 0.7 } }).mode).toBe('predictive');
  });

  it('a breach hold that has expired lets the forecast take over again', () => {
    expect(assessMode({ ...ok, reactiveUntil: now - 1 }).mode).toBe('predictive');
  });

  it('forecast-only is shown as such and still sizes as it would', () => {
    expect(assessMode({ ...ok, forecastOnly: true })).toMatchObject({ mode: 'forecast-only', sizing: 'forecast' });
    expect(assessMode({ ...ok, forecastOnly: true, hasForecast: false })).toMatchObject({ mode: 'forecast-only', sizing: 'live', reason: 'forecast-only (plans, never applies); no forecast' });
  });
});
