/**
 * MetricsStore in process memory, for the scaling simulator and unit tests. It behaves like InfluxDB where callers
 * can tell: a point with the same measurement, tags and time merges its fields over the old ones; a tag filter
 * matches every series that has those tags (aggregating across the rest); grid cells are epoch-aligned.
 * Passes the same contract suite as the Influx adapters (test/contract/metrics-store.contract.ts).
 * State lives in one process only, so it is not for deployments with more than one replica.
 */
import type { AsIssuedQuery, DecisionFilter, EpochMs, ForecastPoint, GridSeries, MetricPoint, MetricsStore, ScalingDecision, SeriesQuery, StoredForecast, Tags } from './metrics-store.js';
import { FORECAST_HISTORY } from './metrics-store.js';
import { ageBucket, compareDecisions, filterDecisions } from './influx-points.js';
import { aggregateOnGrid, gridFor, needsSeed, SEED_LOOKBACK_MS, toGridSeries } from './series.js';
import { validateAsIssuedQuery, validateDecisions, validateForecast, validatePoints, validateLatestQuery, validateSeriesQuery } from './validate.js';

interface StoredSeries {
  measurement: string;
  tags: Tags;
  /** time -> fields */
  points: Map<EpochMs, Record<string, number>>;
}

const seriesKey = (measurement: string, tags: Tags) =>
  JSON.stringify([measurement, ...Object.keys(tags).sort().map((k) => [k, tags[k]])]);

const matches = (series: StoredSeries, measurement: string, tags: Tags | undefined) =>
  series.measurement === measurement && Object.entries(tags ?? {}).every(([k, v]) => series.tags[k] === v);

export function createMemoryStore(): MetricsStore {
  const series = new Map<string, StoredSeries>();
  /** target -> time -> point */
  const forecasts = new Map<string, Map<EpochMs, ForecastPoint>>();
  /** target -> time -> age bucket -> point: the history as-issued reads choose from (like prescale_forecast_history). */
  const history = new Map<string, Map<EpochMs, Map<number, ForecastPoint>>>();
  /** target|mode|loop|actuation|time -> decision, like the Influx layout (tags target, mode, loop, actuation). */
  const decisions = new Map<string, ScalingDecision>();

  function* samples(measurement: string, field: string, tags: Tags | undefined, from: EpochMs, to: EpochMs, inclusiveEnd = false) {
    for (const s of series.values()) {
      if (!matches(s, measurement, tags)) continue;
      for (const [time, fields] of s.points) {
        const value = fields[field];
        if (value === undefined || time < from || (inclusiveEnd ? time > to : time >= to)) continue;
        yield { time, value };
      }
    }
  }

  function lastSample(measurement: string, field: string, tags: Tags | undefined, from: EpochMs, to: EpochMs, inclusiveEnd: boolean) {
    let best: { time: EpochMs; value: number } | null = null;
    for (const sample of samples(measurement, field, tags, from, to, inclusiveEnd)) {
      if (best === null || sample.time >= best.time) best = sample;
    }
    return best;
  }

  return {
    async ensureReady() {},

    async writePoints(points: MetricPoint[]) {
      validatePoints(points);
      for (const p of points) {
        const key = seriesKey(p.measurement, p.tags);
        let s = series.get(key);
        if (!s) {
          s = { measurement: p.measurement, tags: { ...p.tags }, points: new Map() };
          series.set(key, s);
        }
        const time = Math.round(p.time);
        s.points.set(time, { ...s.points.get(time), ...p.fields });
      }
    },

    async readSeries(q: SeriesQuery): Promise<GridSeries> {
      validateSeriesQuery(q);
      const grid = gridFor(q.from, q.to, q.stepMs);
      const gap = q.gap ?? 'null';
      const cells = aggregateOnGrid(grid, samples(q.measurement, q.field, q.tags, grid.startMs, q.to), q.aggregate ?? 'mean');
      const seed = needsSeed(cells, gap) ? (lastSample(q.measurement, q.field, q.tags, grid.startMs - SEED_LOOKBACK_MS, grid.startMs, false)?.value ?? null) : null;
      return toGridSeries(grid, cells, gap, seed);
    },

    async latest(q) {
      validateLatestQuery(q);
      return lastSample(q.measurement, q.field, q.tags, q.at - q.lookbackMs, q.at, true);
    },

    async latestPerSeries(q) {
      validateLatestQuery(q);
      const groups = new Map<string, Tags>();
      for (const s of series.values()) {
        if (s.measurement !== q.measurement) continue;
        const tags = Object.fromEntries(q.groupBy.map((k) => [k, s.tags[k] ?? '']));
        groups.set(JSON.stringify(q.groupBy.map((k) => tags[k])), tags);
      }
      const wanted = q.match?.map((m) => JSON.stringify(q.groupBy.map((k) => m[k] ?? '')));
      return [...groups.entries()].filter(([key]) => !wanted || wanted.includes(key)).map(([, tags]) => tags).flatMap((tags) => {
        // A tag absent from a series reads as '' (as InfluxDB groups it): match those series by absence.
        const present = Object.fromEntries(Object.entries(tags).filter(([, v]) => v !== ''));
        const absent = Object.keys(tags).filter((k) => tags[k] === '');
        let best: { time: EpochMs; value: number } | null = null;
        for (const s of series.values()) {
          if (!matches(s, q.measurement, present) || absent.some((k) => s.tags[k] !== undefined)) continue;
          for (const [time, fields] of s.points) {
            const value = fields[q.field];
            if (value === undefined || time < q.at - q.lookbackMs || time > q.at) continue;
            if (best === null || time >= best.time) best = { time, value };
          }
        }
        return best ? [{ tags, ...best }] : [];
      });
    },

    async writeForecast(f: StoredForecast) {
      validateForecast(f);
      let byTime = forecasts.get(f.target);
      if (!byTime) forecasts.set(f.target, (byTime = new Map()));
      f.mean.forEach((mean, i) => {
        const time = Math.round(f.startMs + i * f.stepMs);
        const existing = byTime.get(time);
        if (existing && existing.issuedAt > f.issuedAt) return;
        // Merge like an InfluxDB point: bounds of a level the new forecast lacks stay from the old one.
        const point: ForecastPoint = { ...existing, time, mean, model: f.model, issuedAt: f.issuedAt };
        for (const interval of f.intervals) {
          if (interval.level === 80 || interval.level === 95) {
            point[`lo${interval.level}`] = interval.lower[i]!;
            point[`hi${interval.level}`] = interval.upper[i]!;
          }
        }
        byTime.set(time, point);
      });
      let historyByTime = history.get(f.target);
      if (!historyByTime) history.set(f.target, (historyByTime = new Map()));
      f.mean.forEach((mean, i) => {
        const time = Math.round(f.startMs + i * f.stepMs);
        const age = time - f.issuedAt;
        if (age < 0 || age >= FORECAST_HISTORY.maxAgeMs) return;
        const point: ForecastPoint = { time, mean, model: f.model, issuedAt: f.issuedAt };
        for (const interval of f.intervals) {
          if (interval.level === 80 || interval.level === 95) {
            point[`lo${interval.level}`] = interval.lower[i]!;
            point[`hi${interval.level}`] = interval.upper[i]!;
          }
        }
        const buckets = historyByTime.get(time) ?? historyByTime.set(time, new Map()).get(time)!;
        const bucket = ageBucket(age);
        const held = buckets.get(bucket);
        if (!held || held.issuedAt <= f.issuedAt) buckets.set(bucket, point);
      });
    },

    async readForecast(target: string, from: EpochMs, to: EpochMs) {
      return [...(forecasts.get(target)?.values() ?? [])]
        .filter((p) => p.time >= from && p.time < to)
        .map((p) => ({ ...p }))
        .sort((a, b) => a.time - b.time);
    },

    async readForecastAsIssued(q: AsIssuedQuery) {
      validateAsIssuedQuery(q);
      const points: ForecastPoint[] = [];
      for (const [time, buckets] of history.get(q.target) ?? []) {
        if (time < q.from || time >= q.to) continue;
        let best: ForecastPoint | undefined;
        for (const point of buckets.values()) {
          const age = time - point.issuedAt;
          if (age >= q.leadMs && age <= q.leadMs + (q.windowMs ?? Infinity) && (!best || point.issuedAt > best.issuedAt)) best = point;
        }
        if (best) points.push({ ...best });
      }
      return points.sort((a, b) => a.time - b.time);
    },

    async writeDecisions(list: ScalingDecision[]) {
      validateDecisions(list);
      for (const d of list) {
        const time = Math.round(d.time);
        decisions.set(`${d.target}|${d.mode}|${d.loop ?? 'plan'}|${d.actuation ?? ''}|${time}`, structuredClone({ ...d, loop: d.loop ?? 'plan', time }));
      }
    },

    async readDecisions(target: string | undefined, from: EpochMs, to: EpochMs, filter?: DecisionFilter) {
      const inRange = [...decisions.values()].filter((d) => (target === undefined || d.target === target) && d.time >= from && d.time < to);
      return filterDecisions(inRange, filter)
        .map((d) => structuredClone(d))
        .sort(compareDecisions);
    },

    async close() {},
  };
}
