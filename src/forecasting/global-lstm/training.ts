import * as tf from '@tensorflow/tfjs';
import { seededRandom, shuffledIndices } from '../lstm/random.js';
import { CONTEXT_FEATURES, ENCODER_FEATURES, STEP_FEATURES, type GlobalSampleBuffers } from './features.js';
import { ENCODER_BLOCKS } from './layout.js';
import type { SeriesSamples } from './samples.js';

/**
 * Mini-batch training of the global network over many series with early stopping on their held-out windows,
 * restoring the best weights (epoch 0 is the network as given: the seasonal-blend start, or the global weights
 * when fine-tuning, so training never ends worse on validation than it began). A batch holds windows of one
 * series (they share a horizon); the order of batches is shuffled with a seeded generator. The loss is the
 * mean absolute error in standardised units, weighted per sample (MASE-like) and per step (the first hour counts more).
 */

export interface GlobalTrainingOptions {
  maxEpochs: number;
  patience: number;
  batchSize: number;
  learningRate: number;
  nearHorizonWeight: number;
  seed: number;
  /** 0 = no cap. */
  maxTrainSeconds: number;
  /** Called after every epoch (epoch 1 .. maxEpochs) with the mean training and validation loss. */
  onEpoch?: (epoch: number, trainLoss: number, validationLoss: number, seconds: number) => void;
  /** Called every few batches with the share of the epoch done. */
  onBatch?: (epoch: number, fraction: number) => void;
}

export interface GlobalTrainingResult {
  epochs: number;
  bestEpoch: number;
  initialValidationLoss: number;
  bestValidationLoss: number;
  stoppedByTime: boolean;
  seconds: number;
  trainLosses: number[];
}

/** Inputs of samples `indices` of a set as tensors (the caller disposes them). */
export function globalInputTensors(inputs: GlobalSampleBuffers, indices: ArrayLike<number>): tf.Tensor[] {
  const n = indices.length;
  const h = inputs.horizon;
  const sizes = [ENCODER_BLOCKS * ENCODER_FEATURES, CONTEXT_FEATURES, h * STEP_FEATURES];
  const sources = [inputs.encoder, inputs.context, inputs.steps];
  const gathered = sources.map((source, k) => {
    const size = sizes[k]!;
    const out = new Float32Array(n * size);
    for (let i = 0; i < n; i++) out.set(source.subarray(indices[i]! * size, (indices[i]! + 1) * size), i * size);
    return out;
  });
  return [
    tf.tensor3d(gathered[0]!, [n, ENCODER_BLOCKS, ENCODER_FEATURES]),
    tf.tensor2d(gathered[1]!, [n, CONTEXT_FEATURES]),
    tf.tensor3d(gathered[2]!, [n, h, STEP_FEATURES]),
  ];
}

function gather(source: Float32Array, width: number, indices: ArrayLike<number>): Float32Array {
  const out = new Float32Array(indices.length * width);
  for (let i = 0; i < indices.length; i++) out.set(source.subarray(indices[i]! * width, (indices[i]! + 1) * width), i * width);
  return out;
}

/** Loss weight per step: `near` on the first hour fading to 1, normalised to mean 1. */
export function stepWeights(horizon: number, hourSteps: number, near: number): Float32Array {
  const weights = new Float32Array(horizon);
  for (let j = 0; j < horizon; j++) weights[j] = 1 + (near - 1) * Math.exp(-j / hourSteps);
  const mean = weights.reduce((a, b) => a + b, 0) / horizon;
  return weights.map((w) => w / mean);
}

/** Scaled outputs of every sample of a set, count * horizon. */
export function predictGlobal(model: tf.LayersModel, set: SeriesSamples, batch = 128): Float32Array {
  const h = set.inputs.horizon;
  const out = new Float32Array(set.count * h);
  for (let from = 0; from < set.count; from += batch) {
    const indices = Array.from({ length: Math.min(batch, set.count - from) }, (_, i) => from + i);
    const values = tf.tidy(() => {
      const xs = globalInputTensors(set.inputs, indices);
      return (model.predict(xs) as tf.Tensor).dataSync() as Float32Array;
    });
    out.set(values, from * h);
  }
  return out;
}

/** Weighted absolute error summed over all samples and steps of the sets, and the weight total. */
function validationLoss(model: tf.LayersModel, sets: readonly SeriesSamples[], near: number): number {
  let sum = 0;
  let total = 0;
  for (const set of sets) {
    if (set.count === 0) continue;
    const h = set.inputs.horizon;
    const w = stepWeights(h, set.layout.hourSteps, near);
    const predictions = predictGlobal(model, set);
    for (let i = 0; i < set.count; i++) {
      for (let j = 0; j < h; j++) sum += set.weights[i]! * w[j]! * Math.abs(predictions[i * h + j]! - set.targets[i * h + j]!);
      total += h;
    }
  }
  return total > 0 ? sum / total : 0;
}

export async function trainGlobalNetwork(
  model: tf.LayersModel,
  train: readonly SeriesSamples[],
  validation: readonly SeriesSamples[],
  options: GlobalTrainingOptions,
): Promise<GlobalTrainingResult> {
  const started = performance.now();
  const optimizer = tf.train.adam(options.learningRate);
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const weightTensors = train.map((set) => tf.tensor1d(stepWeights(set.inputs.horizon, set.layout.hourSteps, options.nearHorizonWeight)));
  const random = seededRandom(options.seed);
  let best: tf.Tensor[] | undefined;
  let bestLoss = Number.POSITIVE_INFINITY;
  let bestEpoch = 0;
  let epochs = 0;
  let stoppedByTime = false;
  const trainLosses: number[] = [];
  const consider = (epoch: number, loss: number) => {
    if (!(loss < bestLoss - 1e-6)) return;
    bestLoss = loss;
    bestEpoch = epoch;
    if (best) tf.dispose(best);
    best = tf.tidy(() => model.getWeights().map((w) => w.clone()));
  };
  const initialValidationLoss = validationLoss(model, validation, options.nearHorizonWeight);
  try {
    consider(0, initialValidationLoss);
    for (let epoch = 1; epoch <= options.maxEpochs; epoch++) {
      // Batches of one series each, in a shuffled order.
      const batches: { set: number; indices: Int32Array }[] = [];
      train.forEach((set, k) => {
        const order = shuffledIndices(set.count, random);
        for (let from = 0; from < set.count; from += options.batchSize) batches.push({ set: k, indices: order.subarray(from, Math.min(from + options.batchSize, set.count)) });
      });
      const batchOrder = shuffledIndices(batches.length, random);
      let lossSum = 0;
      for (let b = 0; b < batches.length; b++) {
        const { set: k, indices } = batches[batchOrder[b]!]!;
        const set = train[k]!;
        const h = set.inputs.horizon;
        const xs = globalInputTensors(set.inputs, indices);
        const ys = tf.tensor2d(gather(set.targets, h, indices), [indices.length, h]);
        const sampleWeights = tf.tensor2d(gather(set.weights, 1, indices), [indices.length, 1]);
        try {
          const loss = optimizer.minimize(
            () => {
              const predicted = (model.apply(xs, { training: true }) as tf.Tensor).reshape([indices.length, h]);
              return tf.mean(tf.mul(tf.mul(tf.abs(tf.sub(ys, predicted)), weightTensors[k]!), sampleWeights)) as tf.Scalar;
            },
            true,
            variables,
          );
          lossSum += loss ? (await loss.data())[0]! : 0;
          loss?.dispose();
        } finally {
          tf.dispose([...xs, ys, sampleWeights]);
        }
        if (b % 10 === 9) options.onBatch?.(epoch, (b + 1) / batches.length);
      }
      epochs = epoch;
      const trainLoss = lossSum / Math.max(1, batches.length);
      trainLosses.push(trainLoss);
      const loss = validationLoss(model, validation, options.nearHorizonWeight);
      options.onEpoch?.(epoch, trainLoss, loss, (performance.now() - started) / 1000);
      consider(epoch, loss);
      if (epoch - bestEpoch >= options.patience) break;
      if (options.maxTrainSeconds > 0 && (performance.now() - started) / 1000 > options.maxTrainSeconds) {
        stoppedByTime = true;
        break;
      }
    }
    if (best) model.setWeights(best);
  } finally {
    if (best) tf.dispose(best);
    tf.dispose(weightTensors);
    optimizer.dispose();
  }
  return {
    epochs,
    bestEpoch,
    initialValidationLoss,
    bestValidationLoss: bestLoss,
    stoppedByTime,
    seconds: (performance.now() - started) / 1000,
    trainLosses,
  };
}
