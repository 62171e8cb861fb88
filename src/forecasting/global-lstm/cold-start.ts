import { InputError } from '../../core/errors.js';
import type { FittedModel, RegularSeries } from '../forecaster.js';
import { loadBundledGlobalLstm } from './bundled.js';
import { globalLayout, minimumHistory } from './layout.js';

/**
 * What a target with less than a season (one day) of its own history forecasts with: the bundled global model
 * conditioned on what it has (at least one hour). Seasonal naive cannot forecast before a day; the global
 * model has seen other series' days. The train job calls this instead of staying without a model; the
 * returned model holds tensors (dispose it, e.g. with disposeModel, once saved).
 */

/** True when a series is too short for a season of its own but long enough for the global model. */
export function needsColdStart(series: RegularSeries): boolean {
  const layout = globalLayout(series.stepMs);
  return series.values.length >= minimumHistory(layout) && series.values.length < layout.season;
}

export async function coldStartModel(series: RegularSeries, seriesId?: string, root?: string): Promise<FittedModel> {
  const layout = globalLayout(series.stepMs);
  if (series.values.length < minimumHistory(layout)) {
    throw new InputError(`cold start needs at least ${minimumHistory(layout)} points (one hour); got ${series.values.length}`, 'series.values');
  }
  const global = await loadBundledGlobalLstm(root);
  return global.conditionOn(series.values, series.startMs, series.stepMs, seriesId);
}
