import { InputError } from '../../core/errors.js';
import type { RegularSeries } from '../forecaster.js';
import { ensureBackend } from '../lstm/backend.js';
import { SharedNetwork } from '../lstm/network.js';
import { DEFAULT_GLOBAL_LSTM_CONFIG, GLOBAL_LSTM_SEED, type GlobalLstmConfig } from './config.js';
import { FittedGlobalLstm, assertFinite } from './fitted.js';
import { LEAD_BUCKETS, leadBucket, leadResidualTable } from './intervals.js';
import { HOUR_MS, globalLayout, minimumHistory } from './layout.js';
import { buildGlobalNetwork } from './network.js';
import { seriesSamples, type SeriesSamples } from './samples.js';
import { predictGlobal, trainGlobalNetwork } from './training.js';

/**
 * Training the global network across many series (`trainGlobalLstm`), and continuing it on one target's own
 * history (`fineTuneGlobalLstm`, the starting point the per-target LSTM code can call instead of training from
 * scratch). Both show progress through `onProgress` and restore the weights of their best validation epoch.
 */

export interface NamedSeries {
  id: string;
  series: RegularSeries;
}

export interface GlobalFitOptions {
  seed?: number;
  onProgress?: (fraction: number, message?: string) => void;
}

function residualsOf(model: SharedNetwork['model'], sets: readonly SeriesSamples[]): number[][] {
  const buckets: number[][] = Array.from({ length: LEAD_BUCKETS }, () => []);
  for (const set of sets) {
    if (set.count === 0) continue;
    const h = set.inputs.horizon;
    const predictions = predictGlobal(model, set);
    for (let i = 0; i < set.count; i++) {
      for (let j = 0; j < h; j++) buckets[leadBucket(j, set.layout.stepMs)]!.push(set.targets[i * h + j]! - predictions[i * h + j]!);
    }
  }
  return buckets.map((bucket, b) => (bucket.length > 0 ? bucket : (buckets.slice(0, b).reverse().find((x) => x.length > 0) ?? [0])));
}

/** Trains one network on every series given (each must hold at least two days). Returns the bare global model. */
export async function trainGlobalLstm(
  list: readonly NamedSeries[],
  overrides: Partial<GlobalLstmConfig> = {},
  options: GlobalFitOptions = {},
): Promise<FittedGlobalLstm> {
  const config = { ...DEFAULT_GLOBAL_LSTM_CONFIG, ...overrides };
  if (list.length === 0) throw new InputError('the global LSTM needs at least one series to train on', 'series');
  const seed = options.seed ?? GLOBAL_LSTM_SEED;
  const progress = options.onProgress ?? (() => {});
  const train: SeriesSamples[] = [];
  const validation: SeriesSamples[] = [];
  list.forEach(({ id, series }, k) => {
    assertFinite(series.values, `series[${id}].values`);
    const layout = globalLayout(series.stepMs);
    if (series.values.length < 2 * layout.season + minimumHistory(layout)) {
      throw new InputError(`series "${id}" has ${series.values.length} points; the global LSTM trains on series of at least two days`, `series[${id}]`);
    }
    const sets = seriesSamples(series, {
      horizon: Math.max(1, Math.min(layout.season, Math.round((config.horizonHours * HOUR_MS) / series.stepMs))),
      samples: config.samplesPerSeries,
      validationSamples: config.validationPerSeries,
      validationFraction: config.validationFraction,
      coldShare: config.coldShare,
      seed: seed + k,
    });
    train.push(sets.train);
    validation.push(sets.validation);
  });
  const backend = await ensureBackend();
  progress(0, `global-lstm: ${train.reduce((a, s) => a + s.count, 0)} training windows from ${list.length} series (backend ${backend})`);
  const model = buildGlobalNetwork(config, seed);
  let network: SharedNetwork | undefined;
  try {
    const result = await trainGlobalNetwork(model, train, validation, {
      ...config,
      seed,
      onBatch: (epoch, fraction) => progress(Math.min(0.99, (epoch - 1 + fraction) / config.maxEpochs)),
      onEpoch: (epoch, trainLoss, validationLoss, seconds) =>
        progress(Math.min(0.99, epoch / config.maxEpochs), `epoch ${epoch}/${config.maxEpochs}: train ${trainLoss.toFixed(4)}, validation ${validationLoss.toFixed(4)} (${seconds.toFixed(0)} s)`),
    });
    network = await SharedNetwork.fromModel(model);
    const first = list[0]!.series;
    const notes = [`backend ${backend}`];
    if (result.stoppedByTime) notes.push(`training stopped by the ${config.maxTrainSeconds} s cap: not reproducible`);
    const fitted = new FittedGlobalLstm(
      {
        size: { units: config.units, hiddenUnits: config.hiddenUnits },
        weights: 'global',
        trainedSeries: list.map((s) => s.id),
        residuals: leadResidualTable(residualsOf(model, validation)),
        history: [],
        historyStartMs: first.startMs,
        stepMs: first.stepMs,
        description: `global-lstm(${config.units}u, ${list.length} series)`,
        notes,
        trainedOn: {
          startMs: Math.min(...list.map((s) => s.series.startMs)),
          endMs: Math.max(...list.map((s) => s.series.startMs + (s.series.values.length - 1) * s.series.stepMs)),
          stepMs: first.stepMs,
          points: list.reduce((a, s) => a + s.series.values.length, 0),
          seriesId: list.map((s) => s.id).join(','),
        },
        metrics: {
          epochs: result.epochs,
          bestEpoch: result.bestEpoch,
          trainSeconds: Number(result.seconds.toFixed(3)),
          initialValidationLoss: result.initialValidationLoss,
          validationLoss: result.bestValidationLoss,
          trainWindows: train.reduce((a, s) => a + s.count, 0),
        },
      },
      network,
    );
    progress(1, `global-lstm: trained ${result.epochs} epochs in ${result.seconds.toFixed(1)} s (best epoch ${result.bestEpoch}, validation ${result.initialValidationLoss.toFixed(4)} -> ${result.bestValidationLoss.toFixed(4)})`);
    return fitted;
  } catch (error) {
    if (!network) model.dispose();
    throw error;
  }
}

export interface FineTuneOptions extends GlobalFitOptions {
  /** Epochs on the target's own history (default 6); early stopping on its last part restores the best. */
  epochs?: number;
  learningRate?: number;
  /** Id of the target, kept in the artefact's trainedOn. */
  seriesId?: string;
}

/**
 * Continues the global weights on one target's series for a few epochs and returns the fine-tuned network
 * conditioned on that series. The global model is unchanged (its weights are copied). The horizon trained on
 * is a third of the history after its first hour, at most one day, so a target with a day of history already
 * gives windows; with too little history for one training and one validation window the global weights are
 * kept and the notes say so.
 */
export async function fineTuneGlobalLstm(global: FittedGlobalLstm, series: RegularSeries, options: FineTuneOptions = {}): Promise<FittedGlobalLstm> {
  assertFinite(series.values, 'series.values');
  const layout = globalLayout(series.stepMs);
  const n = series.values.length;
  const horizon = Math.min(layout.season, Math.floor((n - minimumHistory(layout)) / 3));
  const progress = options.onProgress ?? (() => {});
  const conditioned = () => global.conditionOn(series.values, series.startMs, series.stepMs, options.seriesId);
  if (horizon < layout.hourSteps) {
    const model = conditioned();
    model.params.notes.push(`fine-tuning skipped: ${n} points are too few (global weights kept)`);
    return model;
  }
  const seed = options.seed ?? GLOBAL_LSTM_SEED;
  const epochs = options.epochs ?? 6;
  const sets = seriesSamples(series, { horizon, samples: 300, validationSamples: 80, validationFraction: 0.25, coldShare: 0.2, seed });
  if (sets.train.count === 0 || sets.validation.count === 0) {
    const model = conditioned();
    model.params.notes.push(`fine-tuning skipped: no training windows in ${n} points (global weights kept)`);
    return model;
  }
  await ensureBackend();
  const copy = await SharedNetwork.fromSerialised(global.network.serialised);
  let tuned: SharedNetwork | undefined;
  try {
    const result = await trainGlobalNetwork(copy.model, [sets.train], [sets.validation], {
      maxEpochs: epochs,
      patience: 2,
      batchSize: 32,
      learningRate: options.learningRate ?? 3e-4,
      nearHorizonWeight: DEFAULT_GLOBAL_LSTM_CONFIG.nearHorizonWeight,
      seed,
      maxTrainSeconds: 0,
      onEpoch: (epoch, trainLoss, validationLoss) =>
        progress(Math.min(0.99, epoch / epochs), `fine-tune epoch ${epoch}/${epochs}: train ${trainLoss.toFixed(4)}, validation ${validationLoss.toFixed(4)}`),
    });
    tuned = await SharedNetwork.fromModel(copy.model);
    const base = new FittedGlobalLstm(
      {
        ...global.params,
        weights: 'fine-tuned',
        notes: [...global.params.notes, `fine-tuned ${result.epochs} epochs on ${n} points (best epoch ${result.bestEpoch}; validation ${result.initialValidationLoss.toFixed(4)} -> ${result.bestValidationLoss.toFixed(4)})`],
        metrics: { ...global.params.metrics, fineTuneEpochs: result.epochs, fineTuneBestEpoch: result.bestEpoch, fineTuneSeconds: Number(result.seconds.toFixed(3)) },
      },
      tuned,
    );
    const model = base.conditionOn(series.values, series.startMs, series.stepMs, options.seriesId);
    base.dispose();
    progress(1, `fine-tuned ${result.epochs} epochs in ${result.seconds.toFixed(1)} s`);
    return model;
  } catch (error) {
    if (!tuned) copy.model.dispose();
    throw error;
  }
}
