import * as tf from '@tensorflow/tfjs';
import { InputError } from '../../core/errors.js';
import {
  DEFAULT_LEVELS,
  type CalendarFeature,
  type FittedModel,
  type Forecast,
  type ModelArtefact,
  type PredictionInterval,
} from '../forecaster.js';
import { allocateSamples, firstOrigin, seriesView, writeSample, type FeatureLayout } from './features.js';
import { residualQuantile, type ResidualTable } from './intervals.js';
import type { SharedNetwork } from './network.js';
import type { Scaler } from './scaler.js';
import { inputTensors } from './training.js';

export const LSTM_KIND = 'lstm';
export const LSTM_FORMAT_VERSION = 1;

/** Everything besides the weights that a fitted LSTM needs to forecast: stored as the artefact's params. */
export interface LstmParams {
  layout: FeatureLayout;
  scaler: Scaler;
  /** Validation residual quantiles; null for the flat model of a constant series. */
  residuals: ResidualTable | null;
  /** The latest observations (raw units), enough for the lookback and the weekly templates. */
  history: number[];
  /** Epoch ms of history[0]. */
  historyStartMs: number;
  stepMs: number;
  description: string;
  notes: string[];
  trainedOn: ModelArtefact['trainedOn'];
  metrics: Record<string, number>;
}

/** Observations kept for forecasting: the lookback, and a week plus smoothing for the weekly template. */
export function historyToKeep(layout: FeatureLayout): number {
  return Math.max(firstOrigin(layout), 7 * layout.season + layout.smoothHalfWidth + 1);
}

export function assertFiniteValues(values: readonly number[], where: string): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) {
      throw new InputError(`value ${i} is ${String(values[i])}; fill gaps and drop non-finite values first`, where);
    }
  }
}

function checkLevels(levels: readonly number[]): void {
  for (const level of levels) {
    if (!(level > 0 && level < 100)) throw new InputError(`interval level ${level} must be in (0, 100)`, 'levels');
  }
}

export class FittedLstm implements FittedModel {
  readonly kind = LSTM_KIND;
  private disposed = false;

  constructor(
    private readonly params: LstmParams,
    /** Null for the flat model of a constant series. */
    private readonly network: SharedNetwork | null,
    private readonly calendar: readonly CalendarFeature[] = [],
  ) {
    network?.acquire();
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

  /** What training from these weights needs (continueLstm, fit.ts): the fitted parameters and the network. */
  get trainingState(): { params: Readonly<LstmParams>; network: SharedNetwork | null; calendar: readonly CalendarFeature[] } {
    if (this.disposed) throw new Error('lstm: training state of a disposed model');
    return { params: this.params, network: this.network, calendar: this.calendar };
  }

  /** The steps the network predicts in one pass; longer horizons are forecast recursively. */
  get directHorizon(): number {
    return this.params.layout.horizon;
  }

  predict(h: number, levels: number[] = [...DEFAULT_LEVELS]): Forecast {
    if (!Number.isInteger(h) || h < 1) throw new InputError(`horizon ${h} must be a positive whole number of steps`, 'h');
    checkLevels(levels);
    if (this.disposed) throw new Error('lstm: predict on a disposed model');
    const { params } = this;
    const notes = [...params.notes];
    const mean = this.network ? this.networkMean(h, notes) : new Array<number>(h).fill(Math.max(0, params.history.at(-1)!));
    const horizon = params.layout.horizon;
    if (h > horizon) notes.push(`beyond ${horizon} steps: recursive forecast, intervals widened by sqrt(passes)`);
    const intervals: PredictionInterval[] = levels.map((level) => {
      const p = (1 - level / 100) / 2;
      const lower: number[] = [];
      const upper: number[] = [];
      for (let k = 0; k < h; k++) {
        const m = mean[k]!;
        if (!params.residuals) {
          lower.push(m);
          upper.push(m);
          continue;
        }
        const widen = Math.sqrt(Math.floor(k / horizon) + 1);
        const lo = m + widen * residualQuantile(params.residuals, k % horizon, p);
        const hi = m + widen * residualQuantile(params.residuals, k % horizon, 1 - p);
        lower.push(Math.max(0, Math.min(lo, m)));
        upper.push(Math.max(hi, m));
      }
      return { level, lower, upper };
    });
    return {
      startMs: this.lastObservedMs + params.stepMs,
      stepMs: params.stepMs,
      mean,
      intervals,
      model: params.description,
      notes,
    };
  }

  private networkMean(h: number, notes: string[]): number[] {
    const { layout, scaler } = this.params;
    const history = this.params.history;
    const passes = Math.ceil(h / layout.horizon);
    const scaled = new Float64Array(history.length + passes * layout.horizon);
    for (let i = 0; i < history.length; i++) scaled[i] = (history[i]! - scaler.mean) / scaler.scale;
    const floor = -scaler.mean / scaler.scale;
    const buffers = allocateSamples(layout, 1);
    const mean: number[] = [];
    let fallbacks = 0;
    let origin = history.length;
    for (let pass = 0; pass < passes; pass++) {
      const view = seriesView(scaled.subarray(0, origin), this.params.historyStartMs, this.params.stepMs, this.calendar);
      writeSample(view, layout, origin, buffers, 0);
      const output = tf.tidy(() => {
        const xs = inputTensors(layout, buffers, [0]);
        return (this.network!.model.predict(xs) as tf.Tensor).dataSync() as Float32Array;
      });
      for (let j = 0; j < layout.horizon; j++) {
        let value = output[j]!;
        if (!Number.isFinite(value)) {
          // Never hand out NaN: fall back to the seasonal template (the same time one season earlier).
          value = scaled[origin + j - layout.season]!;
          fallbacks++;
        }
        scaled[origin + j] = Math.max(value, floor);
        mean.push(Math.max(0, value * scaler.scale + scaler.mean));
      }
      origin += layout.horizon;
    }
    if (fallbacks > 0) notes.push(`${fallbacks} non-finite network outputs replaced by the seasonal naive value`);
    return mean.slice(0, h);
  }

  update(values: number[]): FittedLstm {
    if (this.disposed) throw new Error('lstm: update on a disposed model');
    assertFiniteValues(values, 'update.values');
    const keep = historyToKeep(this.params.layout);
    const joined = [...this.params.history, ...values];
    const dropped = Math.max(0, joined.length - keep);
    return new FittedLstm(
      {
        ...this.params,
        history: joined.slice(dropped),
        historyStartMs: this.params.historyStartMs + dropped * this.params.stepMs,
      },
      this.network,
      this.calendar,
    );
  }

  toArtefact(): ModelArtefact {
    const { params } = this;
    return {
      kind: LSTM_KIND,
      formatVersion: LSTM_FORMAT_VERSION,
      params: structuredClone(params),
      trainedOn: { ...params.trainedOn },
      metrics: { ...params.metrics },
      ...(this.network ? { blobs: { ...this.network.serialised } } : {}),
    };
  }

  /** Frees the network's tensors once no model derived from the same fit holds it. Idempotent. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.network?.release();
  }
}
