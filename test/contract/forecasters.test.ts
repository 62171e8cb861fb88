import { expect, it } from 'vitest';
import type { ContractOptions } from './forecaster.contract.js';
import type { Forecaster } from '../../src/forecasting/forecaster.js';
import { forecasterContract } from './forecaster.contract.js';
import { selectChampion } from '../../src/forecasting/champion.js';
import { EnsembleModel } from '../../src/forecasting/ensemble.js';
import { forecasterKinds, getForecaster, loadModel } from '../../src/forecasting/forecasters.js';

/** Every registered forecaster runs the same contract; slow learners get small settings, not a pass. */
const OPTIONS: Record<string, ContractOptions> = {
  // Under five days (two of lookback, then training and validation windows) the LSTM says it needs more.
  lstm: { tolerance: 1e-5, fitOptions: { seed: 7 }, refuses: ['very short (10 points)', 'constant (3 days)', 'all zeros (3 days)', 'one day and a bit'] },
  // The bundled global network conditioned on the series (no training): it needs one hour of history.
  'global-lstm': { tolerance: 1e-5, refuses: ['very short (10 points)'] },
};
/** Same code, smaller network: the contract checks behaviour; bench/*.ts checks accuracy and speed. */
const SMALL: Record<string, () => Promise<Forecaster>> = {
  lstm: async () =>
    (await import('../../src/forecasting/lstm.js')).createLstmForecaster({
      units: 4,
      hiddenUnits: 8,
      encoderSteps: 6,
      maxEpochs: 2,
      patience: 1,
      batchSize: 32,
      maxTrainWindows: 48,
      maxValidationWindows: 24,
      maxTrainSeconds: 0,
    }),
};

it('registers the baseline and lists kinds sorted', () => {
  const kinds = forecasterKinds();
  expect(kinds).toContain('snaive');
  expect([...kinds].sort()).toEqual(kinds);
});

for (const kind of forecasterKinds()) {
  forecasterContract(kind, SMALL[kind] ?? (() => getForecaster(kind)), OPTIONS[kind]);
}

// What the service actually runs: the champion (conformal intervals around the winner) behaves as a forecaster too.
forecasterContract('champion (auto, conformal wrapper)', () => ({
  kind: 'conformal',
  fit: async (series, options) => (await selectChampion(series, { ...options, horizon: 36 })).model,
  load: loadModel,
}));

// An equal-weight ensemble (what the champion stores when a pair wins) must keep the contract as well.
forecasterContract('ensemble (snaive + hw)', () => ({
  kind: 'ensemble',
  fit: async (series, options) => {
    const members = await Promise.all(['snaive', 'hw'].map(async (kind) => (await getForecaster(kind)).fit(series, options)));
    return new EnsembleModel(members, [1, 1]);
  },
  load: loadModel,
}));
