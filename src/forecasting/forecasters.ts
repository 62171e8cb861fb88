import { InputError } from '../core/errors.js';
import { CONFORMAL_KIND, loadConformal } from './calibration.js';
import { ENSEMBLE_KIND, loadEnsemble } from './ensemble.js';
import type { FittedModel, LoadOptions, ModelArtefact } from './forecaster.js';
import { forecasterKinds, getForecaster, registerForecaster } from './registry.js';
import { SNAIVE_KIND, seasonalNaiveForecaster } from './seasonal-naive.js';

/**
 * Registers every built-in forecaster (importing this module is enough) and loads any stored artefact,
 * including the wrappers the champion builds (conformal intervals, ensembles). Heavy forecasters are
 * imported lazily so that the CLI and the API do not load TensorFlow unless a model needs it.
 */

if (!forecasterKinds().includes(SNAIVE_KIND)) {
  registerForecaster(SNAIVE_KIND, () => seasonalNaiveForecaster);
  registerForecaster('hw', async () => (await import('./holt-winters.js')).holtWintersForecaster);
  registerForecaster('lstm', async () => (await import('./lstm.js')).lstmForecaster);
  registerForecaster('global-lstm', async () => (await import('./global-lstm/forecaster.js')).globalLstmForecaster);
  registerForecaster('mstl', async () => (await import('./mstl.js')).mstlForecaster);
  registerForecaster('theta', async () => (await import('./theta.js')).thetaForecaster);
}

/**
 * Rebuilds a fitted model of any kind from its artefact (the wrappers' members get the same options). Throws
 * InputError for unknown kinds.
 */
export async function loadModel(artefact: ModelArtefact, options: LoadOptions = {}): Promise<FittedModel> {
  const member = (inner: ModelArtefact) => loadModel(inner, options);
  if (artefact.kind === CONFORMAL_KIND) return loadConformal(artefact, member);
  if (artefact.kind === ENSEMBLE_KIND) return loadEnsemble(artefact, member);
  if (!forecasterKinds().includes(artefact.kind)) {
    throw new InputError(`artefact of unknown kind "${artefact.kind}"; known: ${[...forecasterKinds(), CONFORMAL_KIND, ENSEMBLE_KIND].join(', ')}`);
  }
  return (await getForecaster(artefact.kind)).load(artefact, options);
}

/** Frees what a fitted model holds outside the JS heap (tfjs tensors); a no-op for plain models. */
export function disposeModel(model: FittedModel): void {
  (model as Partial<{ dispose: () => void }>).dispose?.();
}

export { forecasterKinds, getForecaster };
