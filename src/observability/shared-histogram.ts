/**
 * A prom-client Histogram whose buckets are set from totals kept elsewhere (Redis, written by the worker
 * processes) instead of observed in this process. It registers and renders like any Histogram: cumulative
 * `_bucket{le}` series ending in `+Inf`, `_sum` and `_count`.
 *
 * Left out: observe() (values arrive as totals; observing here would mix local and shared counts) and
 * exemplars. It relies on one prom-client contract: the registry renders a metric from `getForPromString()`
 * (when present) or `get()`, both returning `{name, help, type, values, aggregator}`.
 */
import { Histogram, type Aggregator, type LabelValues, type MetricType, type Registry } from 'prom-client';

export interface BucketedSeries<T extends string> {
  labels: LabelValues<T>;
  /** Counts per bucket, NOT cumulative, one per bound plus the last for +Inf. */
  buckets: readonly number[];
  sum: number;
  count: number;
}

export class BucketedHistogram<T extends string = string> extends Histogram<T> {
  private series: BucketedSeries<T>[] = [];
  private readonly metricName: string;
  private readonly metricHelp: string;
  private readonly bounds: readonly number[];

  constructor(config: { name: string; help: string; labelNames: readonly T[]; buckets: readonly number[]; registers: Registry[] }) {
    super({ name: config.name, help: config.help, labelNames: config.labelNames, buckets: [...config.buckets], registers: config.registers });
    this.metricName = config.name;
    this.metricHelp = config.help;
    this.bounds = config.buckets;
  }

  /** Replaces every series (the totals are read whole each scrape). */
  setSeries(series: BucketedSeries<T>[]): void {
    for (const s of series) {
      if (s.buckets.length !== this.bounds.length + 1) throw new Error(`${this.metricName}: ${s.buckets.length} bucket counts for ${this.bounds.length} bounds + Inf`);
    }
    this.series = series;
  }

  override async get() {
    const values: { metricName: string; labels: Record<string, string | number>; value: number }[] = [];
    for (const s of this.series) {
      const labels = s.labels as Record<string, string | number>;
      let cumulative = 0;
      this.bounds.forEach((bound, i) => {
        cumulative += s.buckets[i]!;
        values.push({ metricName: `${this.metricName}_bucket`, labels: { ...labels, le: bound }, value: cumulative });
      });
      cumulative += s.buckets[this.bounds.length]!;
      values.push({ metricName: `${this.metricName}_bucket`, labels: { ...labels, le: '+Inf' }, value: cumulative });
      values.push({ metricName: `${this.metricName}_sum`, labels: { ...labels }, value: s.sum });
      values.push({ metricName: `${this.metricName}_count`, labels: { ...labels }, value: s.count });
    }
    return {
      name: this.metricName,
      help: this.metricHelp,
      // prom-client's runtime type strings ('histogram') are typed as a numeric enum in its .d.ts.
      type: 'histogram' as unknown as MetricType,
      aggregator: 'sum' as Aggregator,
      collect: () => undefined,
      values: values as { metricName: string; labels: LabelValues<T>; value: number }[],
    };
  }

  /** What the registry renders from (prom-client's Histogram defines it too; it must not see the empty local state). */
  async getForPromString() {
    return this.get();
  }
}
