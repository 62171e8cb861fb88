import * as tf from '@tensorflow/tfjs';
import { CONTEXT_FEATURES, ENCODER_FEATURES, STEP, STEP_FEATURES } from './features.js';
import { ENCODER_BLOCKS } from './layout.js';

/**
 * The global network. An LSTM encodes the last 12 hours (half-hour blocks); with the series' summary
 * statistics it forms a context that is added to every predicted step and mixed with that step's own features
 * (templates, time, lead, fading level and offset) by a shared two-layer MLP. A linear path over the step
 * features sits beside it, initialised to a seasonal blend (day, week and mean-of-days templates plus the
 * current offset fading out; with no day visible the templates are the last hour's mean), and the nonlinear
 * branch starts at zero: training learns corrections to a forecast that is already sensible.
 *
 * The horizon axis is left open (`null`): the same weights forecast 288 steps of a 5-minute series or 48 of a
 * 30-minute one, and fine-tuning may use a shorter horizon than pre-training. Output: [batch, steps, 1],
 * in units of the sample's level.
 */

const BASELINE: ReadonlyArray<[number, number]> = [
  [STEP.dayTemplate, 0.3],
  [STEP.weekTemplate, 0.3],
  [STEP.meanDaysTemplate, 0.4],
  [STEP.lastOffsetFast, 0.3],
  [STEP.hourOffsetSlow, 0.5],
];

export interface GlobalNetworkSize {
  units: number;
  hiddenUnits: number;
}

export function buildGlobalNetwork(size: GlobalNetworkSize, seed: number): tf.LayersModel {
  let nextSeed = seed;
  const glorot = () => tf.initializers.glorotUniform({ seed: nextSeed++ });
  const encoder = tf.input({ shape: [ENCODER_BLOCKS, ENCODER_FEATURES], name: 'encoder' });
  const context = tf.input({ shape: [CONTEXT_FEATURES], name: 'context' });
  const steps = tf.input({ shape: [null, STEP_FEATURES], name: 'steps' });

  const encoded = tf.layers
    .lstm({
      units: size.units,
      recurrentActivation: 'sigmoid',
      kernelInitializer: glorot(),
      recurrentInitializer: tf.initializers.orthogonal({ seed: nextSeed++, gain: 1 }),
      name: 'encoder_lstm',
    })
    .apply(encoder) as tf.SymbolicTensor;
  const joined = tf.layers.concatenate({ name: 'joined' }).apply([encoded, context]) as tf.SymbolicTensor;
  const summary = tf.layers
    .dense({ units: size.hiddenUnits, activation: 'tanh', kernelInitializer: glorot(), name: 'summary' })
    .apply(joined) as tf.SymbolicTensor;
  const contextPart = tf.layers
    .dense({ units: size.hiddenUnits, kernelInitializer: glorot(), name: 'mix_context' })
    .apply(summary) as tf.SymbolicTensor;
  const contextRow = tf.layers
    .reshape({ targetShape: [1, size.hiddenUnits], name: 'mix_context_row' })
    .apply(contextPart) as tf.SymbolicTensor;
  const stepPart = tf.layers
    .dense({ units: size.hiddenUnits, useBias: false, kernelInitializer: glorot(), name: 'mix_steps' })
    .apply(steps) as tf.SymbolicTensor;
  const summed = tf.layers.add({ name: 'mix_sum' }).apply([stepPart, contextRow]) as tf.SymbolicTensor;
  const hidden = tf.layers.activation({ activation: 'relu', name: 'mix' }).apply(summed) as tf.SymbolicTensor;
  const hidden2 = tf.layers
    .dense({ units: size.hiddenUnits, activation: 'relu', kernelInitializer: glorot(), name: 'mix2' })
    .apply(hidden) as tf.SymbolicTensor;
  const mixed = tf.layers.dense({ units: 1, kernelInitializer: 'zeros', name: 'mix_out' }).apply(hidden2) as tf.SymbolicTensor;
  const linear = tf.layers
    .dense({ units: 1, useBias: false, kernelInitializer: 'zeros', name: 'template_linear' })
    .apply(steps) as tf.SymbolicTensor;
  const output = tf.layers.add({ name: 'forecast' }).apply([mixed, linear]) as tf.SymbolicTensor;

  const model = tf.model({ inputs: [encoder, context, steps], outputs: output, name: 'prescale_global_lstm' });
  const baseline = new Float32Array(STEP_FEATURES);
  for (const [feature, weight] of BASELINE) baseline[feature] = weight;
  const kernel = tf.tensor2d(baseline, [STEP_FEATURES, 1]);
  model.getLayer('template_linear').setWeights([kernel]);
  kernel.dispose();
  return model;
}
