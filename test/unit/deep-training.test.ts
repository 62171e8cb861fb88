/**
 * When the service trains a subject's LSTM (config forecasting.deep, the target's model, its history) and among
 * which candidates the champion is chosen again (src/forecasting/deep-training.ts).
 */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { deepCandidates, deepEnsembleWeights, deepTrainingDecision, minimumHistoryPoints } from '../../src/forecasting/deep-training.js';

const STEP = 300_000;
const HOUR = 12;
const DAY_STEPS = 288;

function forecasting(deep?: string, deepBudget?: string) {
  const config = parseConfig({ forecasting: { ...(deep ? { deep } : {}), ...(deepBudget ? { deepBudget } : {}) }, targets: [{ name: 'web', load: { measurement: 'http', field: 'rps' }, capacityPerReplica: 10, maxReplicas: 5 }] }, {});
  return config.forecasting;
}

describe('forecasting.deep', () => {
  it('defaults to auto with a 60 s budget, and rejects anything else naming the field', () => {
    expect(forecasting()).toEqual({ deep: 'auto', deepBudget: 60_000 });
    expect(forecasting('always', '90s')).toEqual({ deep: 'always', deepBudget: 90_000 });
    expect(() => forecasting('sometimes')).toThrow(/forecasting\.deep/);
  });

  it('trains for model auto with a week of 5-minute history; says why not otherwise', () => {
    const week = 7 * DAY_STEPS;
    expect(minimumHistoryPoints(STEP, HOUR)).toBeGreaterThan(5 * DAY_STEPS);
    expect(minimumHistoryPoints(STEP, HOUR)).toBeLessThanOrEqual(week);
    expect(deepTrainingDecision(forecasting(), { model: 'auto' }, week, STEP, HOUR)).toEqual({ train: true });
    expect(deepTrainingDecision(forecasting('off'), { model: 'auto' }, week, STEP, HOUR)).toEqual({ train: false, reason: 'forecasting.deep is off' });
    expect(deepTrainingDecision(forecasting(), { model: 'auto' }, 3 * DAY_STEPS, STEP, HOUR)).toMatchObject({ train: false, reason: expect.stringMatching(/^not enough history for the LSTM: 3\.0 of \d\.\d days$/) });
    expect(deepTrainingDecision(forecasting(), { model: 'hw' }, week, STEP, HOUR)).toMatchObject({ train: false, reason: expect.stringContaining('model: hw') });
    expect(deepTrainingDecision(forecasting('always'), { model: 'hw' }, week, STEP, HOUR)).toEqual({ train: true });
    // model: lstm is trained by the main job already.
    expect(deepTrainingDecision(forecasting('always'), { model: 'lstm' }, week, STEP, HOUR)).toMatchObject({ train: false });
  });

  it("chooses again among the current champion's members, Holt-Winters and the LSTM, with weights for the LSTM's pairs only", () => {
    expect(deepCandidates('hw')).toEqual(['hw', 'lstm']);
    expect(deepCandidates('snaive+theta')).toEqual(['snaive', 'theta', 'hw', 'lstm']);
    expect(deepCandidates('hw*0.25+lstm*0.75')).toEqual(['hw', 'lstm']);
    expect(deepEnsembleWeights('hw', 'lstm')).toEqual([0.25, 0.5, 0.75]);
    expect(deepEnsembleWeights('snaive', 'hw')).toBeUndefined();
  });
});
