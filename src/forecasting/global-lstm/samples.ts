import type { RegularSeries } from '../forecaster.js';
import { seededRandom } from '../lstm/random.js';
import { allocateGlobalSamples, rawView, writeGlobalSample, type GlobalSampleBuffers } from './features.js';
import { globalLayout, historyToKeep, minimumHistory, type GlobalLayout } from './layout.js';

/**
 * Training windows of one series for the global network: evenly spaced forecast origins, the later
 * `validationFraction` held out (their targets never overlap the training windows'). A share of the windows
 * sees a history cut short to between one hour and three days, at random: every series then also teaches what
 * a new target looks like, not only its own first days. The cut is seeded, so a seed fixes the samples.
 */

export interface SeriesSamples {
  layout: GlobalLayout;
  count: number;
  inputs: GlobalSampleBuffers;
  /** Standardised targets (see SampleScale), count * horizon. */
  targets: Float32Array;
  /** Loss share of each sample (MASE-like, see sampleWeight). */
  weights: Float32Array;
  /** How each sample was standardised (centre, scale), 2 * count. */
  scales: Float64Array;
}

export interface SampleOptions {
  horizon: number;
  samples: number;
  validationSamples: number;
  validationFraction: number;
  coldShare: number;
  seed: number;
}

/** Evenly spaced whole numbers from `from` to `to` (inclusive), at most `cap` of them. */
function spread(from: number, to: number, cap: number): number[] {
  if (to < from || cap <= 0) return [];
  const count = to - from + 1;
  const stride = Math.max(1, count / cap);
  const out: number[] = [];
  for (let x = from; Math.round(x) <= to && out.length < cap; x += stride) out.push(Math.round(x));
  return out;
}

function build(series: RegularSeries, layout: GlobalLayout, origins: number[], horizon: number, coldShare: number, random: () => number): SeriesSamples {
  const view = rawView(series.values, series.startMs, series.stepMs);
  const inputs = allocateGlobalSamples(origins.length, horizon);
  const targets = new Float32Array(origins.length * horizon);
  const weights = new Float32Array(origins.length);
  const scales = new Float64Array(2 * origins.length);
  const keep = historyToKeep(layout);
  const shortest = minimumHistory(layout);
  origins.forEach((o, slot) => {
    const cut = random() < coldShare;
    const visible = cut ? shortest + Math.floor(random() * (3 * layout.season - shortest)) : keep;
    const s = Math.max(0, o - visible);
    const { centre, scale, weight } = writeGlobalSample(view, layout, s, o, inputs, slot);
    scales[2 * slot] = centre;
    scales[2 * slot + 1] = scale;
    weights[slot] = weight;
    for (let j = 0; j < horizon; j++) targets[slot * horizon + j] = (series.values[o + j]! - centre) / scale;
  });
  return { layout, count: origins.length, inputs, targets, weights, scales };
}

/** Training and validation windows of one series; either may be empty when the series is short. */
export function seriesSamples(series: RegularSeries, options: SampleOptions): { train: SeriesSamples; validation: SeriesSamples } {
  const layout = globalLayout(series.stepMs);
  const { horizon } = options;
  const first = minimumHistory(layout);
  const lastOrigin = series.values.length - horizon;
  const usable = lastOrigin - first + 1;
  const validationCount = usable > 1 ? Math.max(1, Math.floor(options.validationFraction * usable)) : 0;
  const validationStart = lastOrigin - validationCount + 1;
  const random = seededRandom(options.seed);
  const train = spread(first, validationStart - horizon, options.samples);
  const validation = spread(validationStart, lastOrigin, options.validationSamples);
  return {
    train: build(series, layout, train, horizon, options.coldShare, random),
    validation: build(series, layout, validation, horizon, options.coldShare, random),
  };
}
