import * as tf from '@tensorflow/tfjs';
import { HISTORY_FEATURES, recentFeatureCount, stepFeatureCount, type FeatureLayout, type SampleBuffers } from './features.js';
import { seededRandom, shuffledIndices } from './random.js';

/**
 * Mini-batch training with early stopping on a held-out validation set, restoring the best weights. Written
 * as an explicit loop over `trainOnBatch` (not `fit`) because tfjs shuffles with Math.random and its
 * EarlyStopping cannot restore the best weights: here the shuffle is seeded, so a seed fixes the result.
 */

export interface SampleSet {
  count: number;
  inputs: SampleBuffers;
  /** Scaled targets, count * horizon. */
  targets: Float32Array;
}

export interface TrainingOptions {
  maxEpochs: number;
  patience: number;
  batchSize: number;
  learningRate: number;
  /** Loss weight per horizon step (mean 1). */
  stepWeights: Float32Array;
  seed: number;
  /** 0 = no time cap. */
  maxTrainSeconds: number;
  onEpoch?: (epoch: number, trainLoss: number, validationLoss: number) => void;
}

export interface TrainingResult {
  epochs: number;
  bestEpoch: number;
  bestValidationLoss: number;
  /** Scaled validation predictions of the restored (best) weights, count * horizon. */
  validationPredictions: Float32Array;
  stoppedByTime: boolean;
  seconds: number;
}

/** Inputs of the samples `indices` as tensors (the caller disposes them). */
export function inputTensors(layout: FeatureLayout, inputs: SampleBuffers, indices: ArrayLike<number>): tf.Tensor[] {
  const n = indices.length;
  const sizes = [layout.blocks * HISTORY_FEATURES, recentFeatureCount(layout), layout.horizon * stepFeatureCount(layout)];
  const sources = [inputs.history, inputs.recent, inputs.horizon];
  const gathered = sources.map((source, k) => {
    const size = sizes[k]!;
    const out = new Float32Array(n * size);
    for (let i = 0; i < n; i++) out.set(source.subarray(indices[i]! * size, (indices[i]! + 1) * size), i * size);
    return out;
  });
  return [
    tf.tensor3d(gathered[0]!, [n, layout.blocks, HISTORY_FEATURES]),
    tf.tensor2d(gathered[1]!, [n, sizes[1]!]),
    tf.tensor3d(gathered[2]!, [n, layout.horizon, stepFeatureCount(layout)]),
  ];
}

function gatherTargets(layout: FeatureLayout, targets: Float32Array, indices: ArrayLike<number>): tf.Tensor2D {
  const out = new Float32Array(indices.length * layout.horizon);
  for (let i = 0; i < indices.length; i++) {
    out.set(targets.subarray(indices[i]! * layout.horizon, (indices[i]! + 1) * layout.horizon), i * layout.horizon);
  }
  return tf.tensor2d(out, [indices.length, layout.horizon]);
}

/** Predicts all samples of a set in batches; returns the flat scaled outputs. */
export function predictSet(model: tf.LayersModel, layout: FeatureLayout, set: SampleSet, batch = 256): Float32Array {
  const out = new Float32Array(set.count * layout.horizon);
  for (let from = 0; from < set.count; from += batch) {
    const indices = Array.from({ length: Math.min(batch, set.count - from) }, (_, i) => from + i);
    const values = tf.tidy(() => {
      const xs = inputTensors(layout, set.inputs, indices);
      return (model.predict(xs) as tf.Tensor).dataSync() as Float32Array;
    });
    out.set(values, from * layout.horizon);
  }
  return out;
}

function weightedMae(predictions: Float32Array, targets: Float32Array, weights: Float32Array): number {
  const h = weights.length;
  let sum = 0;
  for (let i = 0; i < predictions.length; i++) sum += weights[i % h]! * Math.abs(predictions[i]! - targets[i]!);
  return sum / predictions.length;
}

/** One pass over the training samples in a seeded order; returns the mean batch loss. */
async function trainEpoch(model: tf.LayersModel, layout: FeatureLayout, train: SampleSet, batchSize: number, random: () => number): Promise<number> {
  const order = shuffledIndices(train.count, random);
  let lossSum = 0;
  let batches = 0;
  for (let from = 0; from < train.count; from += batchSize) {
    const indices = order.subarray(from, Math.min(from + batchSize, train.count));
    const xs = inputTensors(layout, train.inputs, indices);
    const ys = gatherTargets(layout, train.targets, indices);
    try {
      const loss = await model.trainOnBatch(xs, ys);
      lossSum += Array.isArray(loss) ? loss[0]! : loss;
      batches++;
    } finally {
      tf.dispose([...xs, ys]);
    }
  }
  return lossSum / Math.max(1, batches);
}

/** The loss every training uses: weighted mean absolute error (the median is what MASE rewards, and it shrugs off the spikes of real traces). */
function compileForTraining(model: tf.LayersModel, stepWeights: tf.Tensor1D, optimizer: tf.Optimizer): void {
  model.compile({
    optimizer,
    loss: (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.mean(tf.mul(tf.abs(tf.sub(yTrue, yPred)), stepWeights)),
  });
}

export interface ContinueOptions {
  epochs: number;
  batchSize: number;
  learningRate: number;
  stepWeights: Float32Array;
  seed: number;
  /** 0 = no time cap; else no new epoch starts after this many seconds. */
  maxTrainSeconds: number;
  onEpoch?: (epoch: number, trainLoss: number) => void;
}

export interface ContinueResult {
  epochs: number;
  stoppedByTime: boolean;
  seconds: number;
}

/**
 * A few more epochs from the model's current weights on a (longer) sample set, with nothing held out: the
 * weights were already validated on the windows at the end, and these epochs only let the newest data in.
 * What replaces a second training from scratch (fit.ts, continueLstm).
 */
export async function continueNetwork(model: tf.LayersModel, layout: FeatureLayout, train: SampleSet, options: ContinueOptions): Promise<ContinueResult> {
  const started = performance.now();
  const stepWeights = tf.tensor1d(options.stepWeights);
  const optimizer = tf.train.adam(options.learningRate);
  compileForTraining(model, stepWeights, optimizer);
  const random = seededRandom(options.seed);
  let epochs = 0;
  let stoppedByTime = false;
  try {
    while (epochs < options.epochs) {
      if (options.maxTrainSeconds > 0 && (performance.now() - started) / 1000 > options.maxTrainSeconds) {
        stoppedByTime = true;
        break;
      }
      const loss = await trainEpoch(model, layout, train, options.batchSize, random);
      epochs++;
      options.onEpoch?.(epochs, loss);
    }
  } finally {
    stepWeights.dispose();
    optimizer.dispose();
  }
  return { epochs, stoppedByTime, seconds: (performance.now() - started) / 1000 };
}

export async function trainNetwork(
  model: tf.LayersModel,
  layout: FeatureLayout,
  train: SampleSet,
  validation: SampleSet,
  options: TrainingOptions,
): Promise<TrainingResult> {
  const started = performance.now();
  const stepWeights = tf.tensor1d(options.stepWeights);
  const optimizer = tf.train.adam(options.learningRate);
  compileForTraining(model, stepWeights, optimizer);
  const random = seededRandom(options.seed);
  let best: tf.Tensor[] | undefined;
  let bestLoss = Number.POSITIVE_INFINITY;
  let bestEpoch = 0;
  let bestPredictions: Float32Array = new Float32Array(0);
  let epochs = 0;
  let stoppedByTime = false;
  const consider = (epoch: number, predictions: Float32Array, validationLoss: number) => {
    if (!(validationLoss < bestLoss - 1e-5)) return;
    bestLoss = validationLoss;
    bestEpoch = epoch;
    bestPredictions = predictions;
    if (best) tf.dispose(best);
    best = tf.tidy(() => model.getWeights().map((w) => w.clone()));
  };
  try {
    // Epoch 0 is the untrained network, which starts as a seasonal baseline: training must beat it.
    const initial = predictSet(model, layout, validation);
    consider(0, initial, weightedMae(initial, validation.targets, options.stepWeights));
    for (let epoch = 0; epoch < options.maxEpochs; epoch++) {
      // A budget already spent (the job's deadline) trains nothing: the untrained network is what there is.
      if (epoch === 0 && options.maxTrainSeconds > 0 && (performance.now() - started) / 1000 > options.maxTrainSeconds) {
        stoppedByTime = true;
        break;
      }
      const trainLoss = await trainEpoch(model, layout, train, options.batchSize, random);
      epochs = epoch + 1;
      const predictions = predictSet(model, layout, validation);
      const validationLoss = weightedMae(predictions, validation.targets, options.stepWeights);
      options.onEpoch?.(epochs, trainLoss, validationLoss);
      consider(epochs, predictions, validationLoss);
      if (epochs - bestEpoch >= options.patience) break;
      if (options.maxTrainSeconds > 0 && (performance.now() - started) / 1000 > options.maxTrainSeconds) {
        stoppedByTime = true;
        break;
      }
    }
    if (best) model.setWeights(best);
  } finally {
    if (best) tf.dispose(best);
    stepWeights.dispose();
    optimizer.dispose();
  }
  return {
    epochs,
    bestEpoch,
    bestValidationLoss: bestLoss,
    validationPredictions: bestPredictions,
    stoppedByTime,
    seconds: (performance.now() - started) / 1000,
  };
}
