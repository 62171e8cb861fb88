import * as tf from '@tensorflow/tfjs';
import { InputError } from '../../core/errors.js';
import { DEFAULT_LEVELS, type FittedModel, type Forecast, type ModelArtefact, type PredictionInterval } from '../forecaster.js';
import type { SharedNetwork } from '../lstm/network.js';
import { allocateGlobalSamples, rawView, writeGlobalSample } from './features.js';
import { leadBucket, leadResidualQuantile, type LeadResidualTable } from './intervals.js';
import { globalLayout, historyToKeep, minimumHistory } from './layout.js';
import { blendedForecast, fitSelfCheck, selfCheckOrigins, type SelfCheckResult } from './self-check.js';
import { globalInputTensors } from './training.js';

export const GLOBAL_LSTM_KIND = 'global-lstm';
export const GLOBAL_LSTM_FORMAT_VERSION = 1;

/** Everything besides the weights: stored as the artefact's params. */
export interface GlobalLstmParams {
  size: { units: number; hiddenUnits: number };
  /** "global": the weights trained across series; "fine-tuned": continued on this target's own history. */
  weights: 'global' | 'fine-tuned';
  /** The series the global weights were trained on (ids). */
  trainedSeries: string[];
  residuals: LeadResidualTable;
  /** The latest observations of the target it is conditioned on (raw units); empty for the bare global model. */
  history: number[];
  /** Epoch ms of history[0]. */
  historyStartMs: number;
  stepMs: number;
  description: string;
  notes: string[];
  trainedOn: ModelArtefact['trainedOn'];
  metrics: Record<string, number>;
  /**
   * Whether forecasts blend the network with the target's own day-ago and hour-ago values by a backtest on its
   * last hours (self-check.ts). Absent (artefacts before it existed): on.
   */
  selfCheck?: boolean;
}

function checkLevels(levels: readonly number[]): void {
  for (const level of levels) {
    if (!(level > 0 && level < 100)) throw new InputError(`interval level ${level} must be in (0, 100)`, 'levels');
  }
}

export function assertFinite(values: readonly number[], where: string): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) throw new InputError(`value ${i} is ${String(values[i])}; fill gaps and drop non-finite values first`, where);
  }
}

/**
 * The global network conditioned on one target's history. The bare global model (no history) only serves as
 * the source of `conditionOn` and fine-tuning; predicting from it is an error. Holds tensors: `dispose()`.
 */
export class FittedGlobalLstm implements FittedModel {
  readonly kind = GLOBAL_LSTM_KIND;
  private disposed = false;

  constructor(
    readonly params: GlobalLstmParams,
    readonly network: SharedNetwork,
  ) {
    network.acquire();
  }

  get description(): string {
    return this.params.description;
  }

  get stepMs(): number {
    return this.params.stepMs;
  }

  get lastObservedMs(): number {
    return this.params.historyStartMs + (this.params.history.length - 1) * this.params.stepMs;
  }

  /** The same network conditioned on `values` (a target's series on its grid, from its start). */
  conditionOn(values: readonly number[], startMs: number, stepMs: number, seriesId?: string, options: { selfCheck?: boolean } = {}): FittedGlobalLstm {
    if (this.disposed) throw new Error('global-lstm: conditionOn on a disposed model');
    if (!(stepMs > 0)) throw new InputError(`step ${stepMs} ms must be positive`, 'series.stepMs');
    assertFinite(values, 'series.values');
    const layout = globalLayout(stepMs);
    if (values.length < minimumHistory(layout)) {
      throw new InputError(`the global LSTM needs at least ${minimumHistory(layout)} points (one hour); got ${values.length}`, 'series.values');
    }
    const dropped = Math.max(0, values.length - historyToKeep(layout));
    return new FittedGlobalLstm(
      {
        ...this.params,
        history: values.slice(dropped),
        historyStartMs: startMs + dropped * stepMs,
        stepMs,
        notes: [...this.params.notes],
        ...(options.selfCheck === undefined ? {} : { selfCheck: options.selfCheck }),
        // What this model has seen of its target (the global training set is in trainedSeries and metrics).
        trainedOn: { startMs, endMs: startMs + (values.length - 1) * stepMs, stepMs, points: values.length, ...(seriesId ? { seriesId } : {}) },
        description: `${this.params.weights === 'global' ? 'global-lstm' : 'global-lstm fine-tuned'}(${this.params.size.units}u, ${this.params.trainedSeries.length} series)`,
      },
      this.network,
    );
  }

  predict(h: number, levels: number[] = [...DEFAULT_LEVELS]): Forecast {
    if (!Number.isInteger(h) || h < 1) throw new InputError(`horizon ${h} must be a positive whole number of steps`, 'h');
    checkLevels(levels);
    if (this.disposed) throw new Error('global-lstm: predict on a disposed model');
    const { params } = this;
    const layout = globalLayout(params.stepMs);
    if (params.history.length < minimumHistory(layout)) {
      throw new InputError('the bare global model has no history: condition it on a target (conditionOn) first', 'history');
    }
    const notes = [...params.notes];
    const passHorizon = Math.min(h, layout.season);
    const passes = Math.ceil(h / passHorizon);
    if (passes > 1) notes.push(`beyond ${passHorizon} steps: recursive forecast, intervals widened by sqrt(passes)`);
    const values = new Float64Array(params.history.length + passes * passHorizon);
    values.set(params.history);
    const buffers = allocateGlobalSamples(1, passHorizon);
    const mean: number[] = [];
    const scaleOf: number[] = [];
    let origin = params.history.length;
    let fallbacks = 0;
    const check = params.selfCheck === false ? undefined : this.selfCheck();
    if (check && check.weights.network < 1) {
      const w = check.weights;
      notes.push(`self-check on ${check.points} points of its last hours: network ${w.network.toFixed(1)}, day ago ${w.day.toFixed(1)}, hour ago ${w.hour.toFixed(1)}`);
    }
    for (let pass = 0; pass < passes; pass++) {
      const view = rawView(values.subarray(0, origin), params.historyStartMs, params.stepMs);
      const { centre, scale } = writeGlobalSample(view, layout, 0, origin, buffers, 0);
      const output = tf.tidy(() => (this.network.model.predict(globalInputTensors(buffers, [0])) as tf.Tensor).dataSync() as Float32Array);
      for (let j = 0; j < passHorizon; j++) {
        let value = centre + output[j]! * scale;
        if (!Number.isFinite(value)) {
          value = values[origin - 1]!;
          fallbacks++;
        }
        if (check && check.weights.network < 1) value = blendedForecast(values, layout, check, origin, j, value);
        value = Math.max(0, value);
        values[origin + j] = value;
        mean.push(value);
        scaleOf.push(scale);
      }
      origin += passHorizon;
    }
    if (fallbacks > 0) notes.push(`${fallbacks} non-finite network outputs replaced by the last value`);
    const intervals: PredictionInterval[] = levels.map((level) => {
      const p = (1 - level / 100) / 2;
      const lower: number[] = [];
      const upper: number[] = [];
      for (let k = 0; k < h; k++) {
        const m = mean[k]!;
        const widen = Math.sqrt(Math.floor(k / passHorizon) + 1) * scaleOf[k]!;
        const bucket = leadBucket(k % passHorizon, params.stepMs);
        lower.push(Math.max(0, Math.min(m, m + widen * leadResidualQuantile(params.residuals, bucket, p))));
        upper.push(Math.max(m, m + widen * leadResidualQuantile(params.residuals, bucket, 1 - p)));
      }
      return { level, lower, upper };
    });
    return { startMs: this.lastObservedMs + params.stepMs, stepMs: params.stepMs, mean: mean.slice(0, h), intervals, model: params.description, notes };
  }

  /**
   * Blend weights for a forecast from the end of the history: the network's one-hour forecasts from each of the
   * last hours (one batched call) against the target's day-ago and hour-ago values (self-check.ts).
   */
  selfCheck(): SelfCheckResult {
    const { params } = this;
    const layout = globalLayout(params.stepMs);
    const origins = selfCheckOrigins(params.history.length, layout);
    if (origins.length === 0) return { weights: { network: 1, day: 0, hour: 0 }, points: 0 };
    const h = layout.hourSteps;
    const view = rawView(params.history, params.historyStartMs, params.stepMs);
    const buffers = allocateGlobalSamples(origins.length, h);
    const scales = origins.map((b, i) => writeGlobalSample(view, layout, 0, b, buffers, i));
    const output = tf.tidy(() => (this.network.model.predict(globalInputTensors(buffers, origins.map((_, i) => i))) as tf.Tensor).dataSync() as Float32Array);
    const forecasts = origins.map((_, i) => Array.from({ length: h }, (_, j) => Math.max(0, scales[i]!.centre + output[i * h + j]! * scales[i]!.scale)));
    return fitSelfCheck(params.history, layout, origins, forecasts);
  }

  update(values: number[]): FittedGlobalLstm {
    if (this.disposed) throw new Error('global-lstm: update on a disposed model');
    assertFinite(values, 'update.values');
    const keep = historyToKeep(globalLayout(this.params.stepMs));
    const joined = [...this.params.history, ...values];
    const dropped = Math.max(0, joined.length - keep);
    return new FittedGlobalLstm(
      { ...this.params, history: joined.slice(dropped), historyStartMs: this.params.historyStartMs + dropped * this.params.stepMs },
      this.network,
    );
  }

  toArtefact(): ModelArtefact {
    const { params } = this;
    return {
      kind: GLOBAL_LSTM_KIND,
      formatVersion: GLOBAL_LSTM_FORMAT_VERSION,
      params: structuredClone(params),
      trainedOn: { ...params.trainedOn },
      metrics: { ...params.metrics },
      blobs: { ...this.network.serialised },
    };
  }

  /** Frees the network's tensors once no model derived from it holds them. Idempotent. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.network.release();
  }
}
