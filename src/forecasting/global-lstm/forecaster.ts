import type { FitOptions, Forecaster, ModelArtefact, RegularSeries } from '../forecaster.js';
import { loadGlobalLstm } from './artefact.js';
import { loadBundledGlobalLstm } from './bundled.js';
import { GLOBAL_LSTM_KIND, type FittedGlobalLstm } from './fitted.js';

/**
 * The global LSTM behind the Forecaster port (kind `global-lstm`). `fit` does not train: it conditions the
 * bundled global network (models/global/) on the series, so it works from the first hour of a target's
 * history. Fine-tuning on the target's own history is `fineTuneGlobalLstm` (train.ts). Calendar flags are
 * not inputs of the global network (they are per target); it ignores them.
 */
export interface GlobalLstmForecaster extends Forecaster {
  fit(series: RegularSeries, options?: FitOptions): Promise<FittedGlobalLstm>;
  load(artefact: ModelArtefact): Promise<FittedGlobalLstm>;
}

export function createGlobalLstmForecaster(root?: string): GlobalLstmForecaster {
  return {
    kind: GLOBAL_LSTM_KIND,
    async fit(series, options = {}) {
      const global = await loadBundledGlobalLstm(root);
      const model = global.conditionOn(series.values, series.startMs, series.stepMs);
      options.onProgress?.(1, 'conditioned the bundled global model (no training)');
      return model;
    },
    load: (artefact) => loadGlobalLstm(artefact),
  };
}

export const globalLstmForecaster: GlobalLstmForecaster = createGlobalLstmForecaster();
