/**
 * A forecast source that remembers what a ForecastFeed answered at each moment, so several replays of one
 * trace (a benchmark's sweep) train the models once. The forecasts depend only on the trace and the moment,
 * never on what the policy did, so a replay may ask in any order: a moment not yet seen is asked of the
 * underlying feed, which must then be at or before it (it only moves forward).
 */
import type { FeedView, ForecastFeed } from './forecast-feed.js';
import type { ForecastSource } from './prescale-policy.js';

export class MemoForecastFeed implements ForecastSource {
  private readonly views = new Map<number, FeedView>();
  private latest = -Infinity;

  constructor(private readonly feed: ForecastFeed) {}

  get trainings(): number {
    return this.feed.trainings;
  }

  get trainingWallMs(): number {
    return this.feed.trainingWallMs;
  }

  async at(now: number): Promise<FeedView> {
    const known = this.views.get(now);
    if (known) return known;
    if (now < this.latest) throw new Error(`MemoForecastFeed: ${new Date(now).toISOString()} was never asked for, and the feed is already at ${new Date(this.latest).toISOString()}`);
    const view = await this.feed.at(now);
    this.views.set(now, view);
    this.latest = now;
    return view;
  }
}
