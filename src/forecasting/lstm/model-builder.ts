import * as tf from '@tensorflow/tfjs';
import { HISTORY_FEATURES, STEP, recentFeatureCount, stepFeatureCount, type FeatureLayout } from './features.js';

/**
 * The network: an LSTM encodes the lookback blocks; its state and the recent raw values form a context that is
 * added to every horizon step and mixed with that step's own features (seasonal templates, time, calendar)
 * by a shared two-layer MLP. Two linear paths sit beside it, in the spirit of LSTNet's autoregressive highway:
 * a shared linear map of the step features (so "yesterday at this time" is easy to learn) and a per-step
 * linear map of the recent values (so the level right before the origin carries into the first steps).
 * Output: `horizon` scaled values at once (direct multi-step head).
 *
 * The network starts as a seasonal baseline, not from noise: the linear template path is initialised to a blend
 * of the seasonal templates plus the current offset fading out, and the nonlinear branches start at zero, so
 * training learns corrections to a forecast that is already sensible (and early stopping cannot end worse).
 */

/** Initial weights of the linear template path (the rest start at 0). */
const BASELINE: ReadonlyArray<[number, number]> = [
  [STEP.dayTemplate, 0.3],
  [STEP.weekTemplate, 0.3],
  [STEP.meanDaysTemplate, 0.4],
  [STEP.lastOffsetFast, 0.3],
  [STEP.hourOffsetSlow, 0.5],
];

export interface NetworkSize {
  units: number;
  hiddenUnits: number;
}

export const INPUT_NAMES = ['history', 'recent', 'horizon'] as const;

export function buildNetwork(layout: FeatureLayout, size: NetworkSize, seed: number): tf.LayersModel {
  let nextSeed = seed;
  const glorot = () => tf.initializers.glorotUniform({ seed: nextSeed++ });
  const stepFeatures = stepFeatureCount(layout);

  const history = tf.input({ shape: [layout.blocks, HISTORY_FEATURES], name: 'history' });
  const recent = tf.input({ shape: [recentFeatureCount(layout)], name: 'recent' });
  const horizon = tf.input({ shape: [layout.horizon, stepFeatures], name: 'horizon' });

  const encoded = tf.layers
    .lstm({
      units: size.units,
      // sigmoid, not tfjs' default hardSigmoid: fewer kernels per time step (clip, compare, select).
      recurrentActivation: 'sigmoid',
      kernelInitializer: glorot(),
      recurrentInitializer: tf.initializers.orthogonal({ seed: nextSeed++, gain: 1 }),
      name: 'encoder',
    })
    .apply(history) as tf.SymbolicTensor;
  const joined = tf.layers.concatenate({ name: 'joined' }).apply([encoded, recent]) as tf.SymbolicTensor;
  const context = tf.layers
    .dense({ units: size.hiddenUnits, activation: 'tanh', kernelInitializer: glorot(), name: 'context' })
    .apply(joined) as tf.SymbolicTensor;
  // Equivalent to concatenating the context to every step's features before one dense layer, but as a
  // broadcast add: tfjs' RepeatVector (tile) gradient costs one slice per horizon step and dominated training.
  const contextPart = tf.layers
    .dense({ units: size.hiddenUnits, kernelInitializer: glorot(), name: 'mix_context' })
    .apply(context) as tf.SymbolicTensor;
  const contextRow = tf.layers.reshape({ targetShape: [1, size.hiddenUnits], name: 'mix_context_row' }).apply(contextPart) as tf.SymbolicTensor;
  const stepPart = tf.layers
    .dense({ units: size.hiddenUnits, useBias: false, kernelInitializer: glorot(), name: 'mix_steps' })
    .apply(horizon) as tf.SymbolicTensor;
  const summed = tf.layers.add({ name: 'mix_sum' }).apply([stepPart, contextRow]) as tf.SymbolicTensor;
  const hidden = tf.layers.activation({ activation: 'relu', name: 'mix' }).apply(summed) as tf.SymbolicTensor;
  const mixed = tf.layers
    .dense({ units: 1, kernelInitializer: 'zeros', name: 'mix_out' })
    .apply(hidden) as tf.SymbolicTensor;
  const linear = tf.layers
    .dense({ units: 1, useBias: false, kernelInitializer: 'zeros', name: 'template_linear' })
    .apply(horizon) as tf.SymbolicTensor;
  const stepSum = tf.layers.add({ name: 'step_sum' }).apply([mixed, linear]) as tf.SymbolicTensor;
  const flat = tf.layers.flatten({ name: 'flat' }).apply(stepSum) as tf.SymbolicTensor;
  const carry = tf.layers
    .dense({ units: layout.horizon, kernelInitializer: 'zeros', name: 'recent_linear' })
    .apply(recent) as tf.SymbolicTensor;
  const output = tf.layers.add({ name: 'forecast' }).apply([flat, carry]) as tf.SymbolicTensor;

  const model = tf.model({ inputs: [history, recent, horizon], outputs: output, name: 'prescale_lstm' });
  const baseline = new Float32Array(stepFeatures);
  for (const [feature, weight] of BASELINE) baseline[feature] = weight;
  const kernel = tf.tensor2d(baseline, [stepFeatures, 1]);
  model.getLayer('template_linear').setWeights([kernel]);
  kernel.dispose();
  return model;
}
