/**
 * The forecasts the `prescale` policy gets during a replay, as the service would make them: retrain
 * (champion selection) every `retrainEveryMs` on the history up to now only, and between retrainings feed
 * each newly completed point to the fitted model (re-filtering, no re-estimation) and forecast again.
 * A point of the trace counts as observed `knownAfterMs` after its step starts: the replayed demand is a
 * step function of the trace's points, so the service's forecast job (jobs/processors/forecast.ts), which
 * conditions on the samples of the step still filling up, knows it from its first run after the first
 * sample. Without `knownAfterMs` a point counts only once its step is over.
 */
import type { Forecast, FittedModel, RegularSeries } from '../forecasting/forecaster.js';
import { selectChampion } from '../forecasting/champion.js';
import type { ModelHealth } from '../scaling/engine.js';
import type { DemandTrace } from './trace.js';

const DAY_MS = 86_400_000;

export interface ForecastFeedOptions {
  /** Retraining interval of simulated time, ms. Default 6 h. */
  retrainEveryMs?: number;
  /** History a training reads, ms. Default 28 days. */
  historyMs?: number;
  /** History needed before the first model, ms. Default 1 day, as the service (REQUIRED_HISTORY_DAYS in jobs/processors/train.ts); the policy is reactive until then. */
  minHistoryMs?: number;
  /** Forecast length in trace steps. */
  horizonSteps: number;
  /**
   * A point counts as observed this long after its step starts, ms (the metric lag plus the forecast job's
   * period); default: when its step is over.
   */
  knownAfterMs?: number;
  /** Forecaster kinds the champion selection tries (default: the service's). */
  candidates?: readonly string[];
}

export interface FeedView {
  forecast: Forecast | null;
  health: ModelHealth;
}

export class ForecastFeed {
  private model: FittedModel | null = null;
  private modelLastIndex = -1;
  private trainedAt: number | null = null;
  private forecast: Forecast | null = null;
  private backtestMase: number | undefined;
  private naiveMase: number | undefined;
  private readonly retrainEveryMs: number;
  private readonly historyMs: number;
  private readonly minHistoryMs: number;
  /** How long the trainings took, wall ms (for the benchmark's report). */
  trainingWallMs = 0;
  trainings = 0;

  constructor(
    private readonly trace: DemandTrace,
    private readonly options: ForecastFeedOptions,
  ) {
    this.retrainEveryMs = options.retrainEveryMs ?? 6 * 3_600_000;
    this.historyMs = options.historyMs ?? 28 * DAY_MS;
    this.minHistoryMs = options.minHistoryMs ?? DAY_MS;
  }

  /** Index of the last point observed at `now`, -1 for none. */
  private lastCompleteIndex(now: number): number {
    const { times, stepMs } = this.trace;
    const knownAfter = this.options.knownAfterMs ?? stepMs;
    let lo = -1;
    let hi = times.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (times[mid]! + knownAfter <= now) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  async at(now: number): Promise<FeedView> {
    const last = this.lastCompleteIndex(now);
    const stepMs = this.trace.stepMs;
    const historyDays = last < 0 ? 0 : ((last + 1) * stepMs) / DAY_MS;
    const requiredHistoryDays = this.minHistoryMs / DAY_MS;
    if (last >= 0 && historyDays >= requiredHistoryDays) {
      if (this.model === null || this.trainedAt === null || now - this.trainedAt >= this.retrainEveryMs) {
        await this.train(now, last);
      } else if (last > this.modelLastIndex) {
        this.model = this.model.update(this.trace.values.slice(this.modelLastIndex + 1, last + 1));
        this.modelLastIndex = last;
        this.forecast = this.model.predict(this.options.horizonSteps);
      }
    }
    return {
      forecast: this.forecast,
      health: {
        model: this.model?.description ?? null,
        trainedAt: this.trainedAt,
        ...(this.backtestMase !== undefined ? { backtestMase: this.backtestMase } : {}),
        ...(this.naiveMase !== undefined ? { naiveMase: this.naiveMase } : {}),
        historyDays,
        requiredHistoryDays,
      },
    };
  }

  private async train(now: number, last: number): Promise<void> {
    const stepMs = this.trace.stepMs;
    const points = Math.max(1, Math.floor(this.historyMs / stepMs));
    const first = Math.max(0, last + 1 - points);
    const series: RegularSeries = { startMs: this.trace.times[first]!, stepMs, values: this.trace.values.slice(first, last + 1) };
    const started = performance.now();
    const result = await selectChampion(series, {
      horizon: this.options.horizonSteps,
      ...(this.options.candidates ? { candidates: this.options.candidates } : {}),
    });
    this.trainingWallMs += performance.now() - started;
    this.trainings++;
    this.model = result.model;
    this.backtestMase = result.backtestMase;
    this.naiveMase = result.naiveMase;
    this.modelLastIndex = last;
    this.trainedAt = now;
    this.forecast = this.model.predict(this.options.horizonSteps);
  }
}
