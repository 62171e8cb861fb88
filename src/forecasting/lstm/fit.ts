import { InputError } from '../../core/errors.js';
import type { FitOptions, RegularSeries } from '../forecaster.js';
import { ensureBackend } from './backend.js';
import { DEFAULT_SEED, type LstmConfig } from './config.js';
import {
  DAY_MS,
  allocateSamples,
  firstOrigin,
  seriesView,
  writeSample,
  writeTarget,
  type FeatureLayout,
} from './features.js';
import { FittedLstm, assertFiniteValues, historyToKeep, type LstmParams } from './fitted-lstm.js';
import { residualTable } from './intervals.js';
import { buildNetwork } from './model-builder.js';
import { SharedNetwork } from './network.js';
import { fitScaler, isConstant, scaleValues } from './scaler.js';
import { trainNetwork, type SampleSet } from './training.js';

/** The season (steps per day unless given) and the input/output shapes derived from it and the config. */
export function deriveLayout(stepMs: number, config: LstmConfig, options: FitOptions = {}): FeatureLayout {
  const given = options.seasonLengths?.filter((s) => Number.isInteger(s) && s >= 2) ?? [];
  const season = given.length > 0 ? Math.min(...given) : Math.max(2, Math.round(DAY_MS / stepMs));
  const lookback = Math.max(1, Math.round(config.lookbackDays * season));
  const blockSize = Math.max(1, Math.round(lookback / config.encoderSteps));
  return {
    season,
    horizon: season,
    blocks: Math.max(1, Math.round(lookback / blockSize)),
    blockSize,
    recent: Math.min(season, Math.max(2, Math.round(config.recentMs / stepMs))),
    smoothHalfWidth: Math.floor(season / 96),
    calendar: (options.calendar ?? []).map((c) => c.name),
  };
}

/** Shortest series the LSTM trains on: the lookback, then training windows, then held-out validation windows. */
export function minimumLength(layout: FeatureLayout): number {
  return firstOrigin(layout) + 2 * layout.horizon + layout.season;
}

interface Split {
  train: number[];
  validation: number[];
}

/** Forecast origins: training windows first; validation windows at the end, their targets disjoint from training. */
function splitOrigins(n: number, layout: FeatureLayout, config: LstmConfig): Split {
  const first = firstOrigin(layout);
  const lastOrigin = n - layout.horizon;
  const usable = lastOrigin - first + 1;
  const validationCount = Math.max(1, Math.floor(config.validationFraction * usable));
  const validationStart = lastOrigin - validationCount + 1;
  const trainLast = validationStart - layout.horizon;
  const thin = (from: number, to: number, cap: number) => {
    const count = to - from + 1;
    const stride = Math.max(1, count / cap);
    const out: number[] = [];
    for (let x = from; Math.round(x) <= to && out.length < cap; x += stride) out.push(Math.round(x));
    return out;
  };
  return {
    train: thin(first, trainLast, config.maxTrainWindows),
    validation: thin(validationStart, lastOrigin, config.maxValidationWindows),
  };
}

function sampleSet(values: Float64Array, startMs: number, stepMs: number, layout: FeatureLayout, origins: number[], options: FitOptions): SampleSet {
  const view = seriesView(values, startMs, stepMs, options.calendar ?? []);
  const inputs = allocateSamples(layout, origins.length);
  const targets = new Float32Array(origins.length * layout.horizon);
  origins.forEach((o, slot) => {
    writeSample(view, layout, o, inputs, slot);
    writeTarget(view, layout, o, targets, slot);
  });
  return { count: origins.length, inputs, targets };
}

/** Loss weight per horizon step: `near` on the first hour fading to 1, normalised to mean 1. */
function stepWeights(layout: FeatureLayout, stepMs: number, near: number): Float32Array {
  const hour = Math.max(1, 3_600_000 / stepMs);
  const weights = new Float32Array(layout.horizon);
  for (let j = 0; j < layout.horizon; j++) weights[j] = 1 + (near - 1) * Math.exp(-j / hour);
  const mean = weights.reduce((a, b) => a + b, 0) / weights.length;
  return weights.map((w) => w / mean);
}

export async function fitLstm(series: RegularSeries, config: LstmConfig, options: FitOptions = {}): Promise<FittedLstm> {
  const { values, startMs, stepMs } = series;
  if (!(stepMs > 0)) throw new InputError(`step ${stepMs} ms must be positive`, 'series.stepMs');
  assertFiniteValues(values, 'series.values');
  const layout = deriveLayout(stepMs, config, options);
  const required = minimumLength(layout);
  if (values.length < required) {
    throw new InputError(
      `the LSTM needs at least ${required} points (${(required / layout.season).toFixed(1)} seasons of ${layout.season} steps); got ${values.length}`,
      'series.values',
    );
  }
  const seed = options.seed ?? DEFAULT_SEED;
  const keep = historyToKeep(layout);
  const dropped = Math.max(0, values.length - keep);
  const trainedOn = { startMs, endMs: startMs + (values.length - 1) * stepMs, stepMs, points: values.length };
  const base = {
    layout,
    history: values.slice(dropped),
    historyStartMs: startMs + dropped * stepMs,
    stepMs,
    trainedOn,
  };

  if (isConstant(values)) {
    options.onProgress?.(1, 'constant series: flat forecast, no training');
    const params: LstmParams = {
      ...base,
      scaler: { mean: values[0]!, scale: 1 },
      residuals: null,
      description: 'lstm(flat: constant series)',
      notes: ['constant training series: flat forecast at the last value, zero-width intervals'],
      metrics: { epochs: 0, trainSeconds: 0 },
    };
    return new FittedLstm(params, null, options.calendar);
  }

  const backend = await ensureBackend();
  const scaler = fitScaler(values);
  const scaled = scaleValues(values, scaler);
  const split = splitOrigins(values.length, layout, config);
  const train = sampleSet(scaled, startMs, stepMs, layout, split.train, options);
  const validation = sampleSet(scaled, startMs, stepMs, layout, split.validation, options);

  const model = buildNetwork(layout, config, seed);
  let network: SharedNetwork | undefined;
  try {
    const result = await trainNetwork(model, layout, train, validation, {
      maxEpochs: config.maxEpochs,
      patience: config.patience,
      batchSize: config.batchSize,
      learningRate: config.learningRate,
      stepWeights: stepWeights(layout, stepMs, config.nearHorizonWeight),
      seed,
      maxTrainSeconds: config.maxTrainSeconds,
      onEpoch: (epoch, trainLoss, validationLoss) =>
        options.onProgress?.(
          Math.min(0.99, epoch / config.maxEpochs),
          `epoch ${epoch}/${config.maxEpochs}: train ${trainLoss.toFixed(4)}, validation ${validationLoss.toFixed(4)}`,
        ),
    });
    network = await SharedNetwork.fromModel(model);

    // Residuals of the restored weights on the validation windows, in the series' units.
    const residuals = new Float64Array(result.validationPredictions.length);
    let absolute = 0;
    for (let i = 0; i < residuals.length; i++) {
      const forecast = Math.max(0, result.validationPredictions[i]! * scaler.scale + scaler.mean);
      const actual = validation.targets[i]! * scaler.scale + scaler.mean;
      residuals[i] = actual - forecast;
      absolute += Math.abs(residuals[i]!);
    }
    const notes = [`backend ${backend}`];
    if (result.stoppedByTime) notes.push(`training stopped by the ${config.maxTrainSeconds} s cap: not reproducible`);
    const params: LstmParams = {
      ...base,
      scaler,
      residuals: residualTable(residuals, layout.horizon),
      description: `lstm(${config.units}u, ${layout.blocks}x${layout.blockSize} lookback, ${layout.horizon}-step head)`,
      notes,
      metrics: {
        epochs: result.epochs,
        bestEpoch: result.bestEpoch,
        trainSeconds: Number(result.seconds.toFixed(3)),
        validationMae: residuals.length > 0 ? absolute / residuals.length : 0,
        trainWindows: train.count,
        validationWindows: validation.count,
      },
    };
    const fitted = new FittedLstm(params, network, options.calendar);
    options.onProgress?.(1, `trained ${result.epochs} epochs in ${result.seconds.toFixed(1)} s (best ${result.bestEpoch})`);
    return fitted;
  } catch (error) {
    if (!network) model.dispose();
    throw error;
  }
}
