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
import { continueNetwork, trainNetwork, type SampleSet } from './training.js';

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

/** At most `cap` origins spread evenly over [from, to]. */
function thin(from: number, to: number, cap: number): number[] {
  const count = to - from + 1;
  const stride = Math.max(1, count / cap);
  const out: number[] = [];
  for (let x = from; Math.round(x) <= to && out.length < cap; x += stride) out.push(Math.round(x));
  return out;
}

/**
 * Seconds training may take: the config's safety cap or what is left of the caller's budget (FitOptions
 * deadlineMs), whichever ends first, and which one it is (for the note when it stops training).
 */
export function trainingAllowance(config: LstmConfig, deadlineMs: number | undefined, now = Date.now()): { seconds: number; by: 'cap' | 'budget' } {
  const cap = config.maxTrainSeconds > 0 ? config.maxTrainSeconds : Number.POSITIVE_INFINITY;
  // Out of budget already: a sliver, so the loop stops before its first epoch (0 would mean "no cap").
  const left = deadlineMs === undefined ? Number.POSITIVE_INFINITY : Math.max(1e-3, (deadlineMs - now) / 1000);
  if (left < cap) return { seconds: left, by: 'budget' };
  return { seconds: Number.isFinite(cap) ? cap : 0, by: 'cap' };
}

function stoppedNote(by: 'cap' | 'budget', seconds: number, epochs: number, what: string): string {
  return by === 'budget'
    ? `${what} stopped at the time budget after ${epochs} epochs (${seconds.toFixed(0)} s left for it): kept the best weights so far, not reproducible`
    : `${what} stopped by the ${seconds} s cap after ${epochs} epochs: not reproducible`;
}

/** Forecast origins: training windows first; validation windows at the end, their targets disjoint from training. */
function splitOrigins(n: number, layout: FeatureLayout, config: LstmConfig): Split {
  const first = firstOrigin(layout);
  const lastOrigin = n - layout.horizon;
  const usable = lastOrigin - first + 1;
  const validationCount = Math.max(1, Math.floor(config.validationFraction * usable));
  const validationStart = lastOrigin - validationCount + 1;
  const trainLast = validationStart - layout.horizon;
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
  const allowance = trainingAllowance(config, options.deadlineMs);
  let network: SharedNetwork | undefined;
  try {
    const result = await trainNetwork(model, layout, train, validation, {
      maxEpochs: config.maxEpochs,
      patience: config.patience,
      batchSize: config.batchSize,
      learningRate: config.learningRate,
      stepWeights: stepWeights(layout, stepMs, config.nearHorizonWeight),
      seed,
      maxTrainSeconds: allowance.seconds,
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
    if (result.stoppedByTime) notes.push(stoppedNote(allowance.by, allowance.seconds, result.epochs, 'training'));
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
        stoppedByTime: result.stoppedByTime ? 1 : 0,
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

/**
 * One training, not two: `fitted` was trained (and validated) on the start of `series`; this goes on from its
 * weights on all of `series` for `config.continueEpochs` epochs at a lower learning rate, with nothing held out,
 * so the newest data (the validation windows) is learnt too. The scaler and the interval residuals stay those of
 * the validated training. `fitted` is left as it was (its network is copied first).
 */
export async function continueLstm(fitted: FittedLstm, series: RegularSeries, config: LstmConfig, options: FitOptions = {}): Promise<FittedLstm> {
  const { values, startMs, stepMs } = series;
  const { params, network } = fitted.trainingState;
  if (stepMs !== params.stepMs) throw new InputError(`step ${stepMs} ms differs from the fitted model's ${params.stepMs} ms`, 'series.stepMs');
  assertFiniteValues(values, 'series.values');
  const endMs = startMs + (values.length - 1) * stepMs;
  if (endMs < params.trainedOn.endMs) throw new InputError(`series ends before the data the model was trained on`, 'series.values');
  const calendarNames = (options.calendar ?? []).map((c) => c.name);
  if (calendarNames.join(',') !== params.layout.calendar.join(',')) {
    throw new InputError(`calendar flags [${calendarNames.join(', ')}] differ from the fitted model's [${params.layout.calendar.join(', ')}]`, 'calendar');
  }
  // The flat model of a constant series has no network to go on from: fit again (cheap when still constant).
  if (!network || isConstant(values)) return fitLstm(series, config, options);
  const layout = params.layout;
  const seed = options.seed ?? DEFAULT_SEED;
  const origins = thin(firstOrigin(layout), values.length - layout.horizon, config.maxTrainWindows);
  const samples = sampleSet(scaleValues(values, params.scaler), startMs, stepMs, layout, origins, options);
  const copy = (await SharedNetwork.fromSerialised(network.serialised)).model;
  const allowance = trainingAllowance(config, options.deadlineMs);
  let trained: SharedNetwork | undefined;
  try {
    const result = await continueNetwork(copy, layout, samples, {
      epochs: config.continueEpochs,
      batchSize: config.batchSize,
      learningRate: config.learningRate * config.continueLearningRateFactor,
      stepWeights: stepWeights(layout, stepMs, config.nearHorizonWeight),
      seed: seed + 1,
      maxTrainSeconds: allowance.seconds,
      onEpoch: (epoch, loss) => options.onProgress?.(Math.min(0.99, epoch / Math.max(1, config.continueEpochs)), `continued epoch ${epoch}/${config.continueEpochs} on all data: train ${loss.toFixed(4)}`),
    });
    trained = await SharedNetwork.fromModel(copy);
    const keep = historyToKeep(layout);
    const dropped = Math.max(0, values.length - keep);
    const notes = [...params.notes, `continued ${result.epochs} epochs on all ${values.length} points from the validated weights`];
    if (result.stoppedByTime) notes.push(stoppedNote(allowance.by, allowance.seconds, result.epochs, 'continued training'));
    const continued: LstmParams = {
      ...params,
      history: values.slice(dropped),
      historyStartMs: startMs + dropped * stepMs,
      trainedOn: { startMs, endMs, stepMs, points: values.length },
      notes,
      metrics: {
        ...params.metrics,
        continuedEpochs: result.epochs,
        continueSeconds: Number(result.seconds.toFixed(3)),
        trainSeconds: Number(((params.metrics['trainSeconds'] ?? 0) + result.seconds).toFixed(3)),
        stoppedByTime: (params.metrics['stoppedByTime'] ?? 0) || (result.stoppedByTime ? 1 : 0),
      },
    };
    options.onProgress?.(1, `continued ${result.epochs} epochs in ${result.seconds.toFixed(1)} s`);
    return new FittedLstm(continued, trained, options.calendar);
  } catch (error) {
    if (!trained) copy.dispose();
    throw error;
  }
}
