import { join } from 'node:path';
import { REPO_ROOT } from '../../core/paths.js';
import { ModelStore } from '../model-store.js';
import { loadGlobalLstm } from './artefact.js';
import type { FittedGlobalLstm } from './fitted.js';

/**
 * The pre-trained global model shipped with the repository, in the model store format: models/global/
 * global-lstm/vNNNN/{artefact.json, blobs/, MODEL_CARD.md} and current.json. `npm run bench:global --
 * --save-bundled` trains it on the six bundled traces' training parts and adds a version (promoted as any
 * store version: unless its validation loss is more than 25% worse). The service only reads it: a new target
 * is conditioned on it, never trained into it. Loaded once per process and shared (it holds tensors).
 */

export const BUNDLED_ROOT = join(REPO_ROOT, 'models', 'global');
export const BUNDLED_TARGET = 'global-lstm';

function store(root: string): ModelStore {
  return new ModelStore({ root, loadModel: (artefact) => loadGlobalLstm(artefact) });
}

export async function saveBundledGlobalLstm(global: FittedGlobalLstm, root = BUNDLED_ROOT): Promise<string> {
  const artefact = global.toArtefact();
  // The store promotes by `mase`: the global model's is its validation loss (level units, MASE-like).
  artefact.metrics = { ...artefact.metrics, mase: global.params.metrics.validationLoss ?? Number.NaN };
  const saved = await store(root).saveVersion(BUNDLED_TARGET, artefact, { force: true });
  return join(root, BUNDLED_TARGET, `v${String(saved.version).padStart(4, '0')}`);
}

const cache = new Map<string, Promise<FittedGlobalLstm>>();

/** The promoted bundled global model (or the newest older one that loads). Throws when none loads. */
export function loadBundledGlobalLstm(root = BUNDLED_ROOT): Promise<FittedGlobalLstm> {
  let loading = cache.get(root);
  if (!loading) {
    loading = store(root)
      .load(BUNDLED_TARGET)
      .then((loaded) => {
        if (!loaded) throw new Error(`global-lstm: no bundled model loads from ${join(root, BUNDLED_TARGET)}`);
        return loaded.model as FittedGlobalLstm;
      });
    loading.catch(() => cache.delete(root));
    cache.set(root, loading);
  }
  return loading;
}
