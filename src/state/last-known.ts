/**
 * The last known live load and the last forecast of every target, kept in Redis beside the metrics store, so
 * the plan job can still size from live load and from the last good forecast while InfluxDB is away
 * (jobs/processors/plan.ts falls back to these when a read fails, and says so in the decision).
 *
 * - `<prefix>:last-live`: per target id, {time, value} of the newest load sample the collect job wrote
 *   (kept only if newer than the stored one, so a late or replayed collect never moves it back);
 * - `<prefix>:last-forecast`: per target id, the newest StoredForecast the forecast job wrote.
 * - `<prefix>:plan-forecast`: per target id, the near-future window the plan job reads every tick instead of
 *   InfluxDB (src/state/plan-forecast.ts).
 *
 * Left out: history (one value per target), and loads written into InfluxDB by something other than the
 * collect job (Telegraf, remote write): those are unknown while InfluxDB is away, and the planner then
 * holds replicas (it never scales in on unknown load).
 */
import type { RedisClient } from '../core/redis.js';
import { clusterSafePrefix } from '../core/redis-hash-tag.js';
import type { TargetConfig } from '../config/schema.js';
import { targetId } from '../config/targets.js';
import type { ForecastPoint, MetricPoint, StoredForecast } from '../metrics/metrics-store.js';
import { mergePlanForecast, seedRange, seedWindow, type PlanForecastWindow } from './plan-forecast.js';

export interface LiveSample {
  /** Epoch ms of the sample. */
  time: number;
  value: number;
}

export interface LastKnownStore {
  /** Remembers, per target, the newest finite sample of its load among `points`. */
  recordLoads(targets: readonly TargetConfig[], points: readonly MetricPoint[]): Promise<void>;
  /** The remembered load sample of a target taken in [at - lookbackMs, at], or null. */
  latestLoad(target: string, at: number, lookbackMs: number): Promise<LiveSample | null>;
  /**
   * Keeps the forecast, and merges it into the target's plan window (plan-forecast.ts). `seed` reads the metrics
   * store's forecast points in a range: asked once, when the target has no window yet, so the first window also
   * holds the step filling up (without it the plan job reads InfluxDB until the next step).
   */
  putForecast(forecast: StoredForecast, seed?: (from: number, to: number) => Promise<ForecastPoint[]>): Promise<void>;
  getForecast(target: string): Promise<StoredForecast | null>;
  /** What the plan job reads every tick instead of asking the metrics store (plan-forecast.ts). */
  getPlanForecast(target: string): Promise<PlanForecastWindow | null>;
}

/** A first window from the metrics store's points for the seed range; none when there is no seed or it fails. */
async function seeded(forecast: StoredForecast, seed?: (from: number, to: number) => Promise<ForecastPoint[]>): Promise<PlanForecastWindow | null> {
  if (!seed) return null;
  const range = seedRange(forecast);
  if (range.to <= range.from) return null;
  const points = await seed(range.from, range.to).catch(() => null);
  return points ? seedWindow(points, range, forecast.stepMs) : null;
}

/** Whether a point carries this target's load (same measurement, every configured tag equal). */
function isLoadOf(target: TargetConfig, point: MetricPoint): boolean {
  if (point.measurement !== target.load.measurement) return false;
  return Object.entries(target.load.tags ?? {}).every(([k, v]) => point.tags[k] === v);
}

/** The newest finite load sample per target id among the points. */
export function newestLoads(targets: readonly TargetConfig[], points: readonly MetricPoint[]): Map<string, LiveSample> {
  const newest = new Map<string, LiveSample>();
  for (const target of targets) {
    for (const point of points) {
      const value = point.fields[target.load.field];
      if (value === undefined || !Number.isFinite(value) || !isLoadOf(target, point)) continue;
      const id = targetId(target);
      const seen = newest.get(id);
      if (!seen || point.time >= seen.time) newest.set(id, { time: point.time, value });
    }
  }
  return newest;
}

/** The points of a stored forecast in [from, to), as the metrics store's readForecast returns them. */
export function forecastPointsBetween(forecast: StoredForecast, from: number, to: number): ForecastPoint[] {
  const points: ForecastPoint[] = [];
  const bound = (level: number) => forecast.intervals.find((i) => i.level === level);
  const [i80, i95] = [bound(80), bound(95)];
  forecast.mean.forEach((mean, i) => {
    const time = forecast.startMs + i * forecast.stepMs;
    if (time < from || time >= to) return;
    points.push({
      time,
      mean,
      ...(i80 ? { lo80: i80.lower[i]!, hi80: i80.upper[i]! } : {}),
      ...(i95 ? { lo95: i95.lower[i]!, hi95: i95.upper[i]! } : {}),
      model: forecast.model,
      issuedAt: forecast.issuedAt,
    });
  });
  return points;
}

// Sets field ARGV[1] to ARGV[3] unless the stored value's time is newer than ARGV[2].
const SET_IF_NEWER = `
local current = redis.call('HGET', KEYS[1], ARGV[1])
if current then
  local ok, decoded = pcall(cjson.decode, current)
  if ok and type(decoded) == 'table' and tonumber(decoded.time) and tonumber(decoded.time) > tonumber(ARGV[2]) then return 0 end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
return 1`;

export function createRedisLastKnownStore(redis: RedisClient, prefix = 'prescale'): LastKnownStore {
  const tagged = clusterSafePrefix(redis, prefix);
  const liveKey = `${tagged}:last-live`;
  const forecastKey = `${tagged}:last-forecast`;
  const planKey = `${tagged}:plan-forecast`;
  return {
    async recordLoads(targets, points) {
      const newest = newestLoads(targets, points);
      if (newest.size === 0) return;
      const pipeline = redis.pipeline();
      for (const [id, sample] of newest) pipeline.eval(SET_IF_NEWER, 1, liveKey, id, String(sample.time), JSON.stringify(sample));
      await pipeline.exec();
    },
    async latestLoad(target, at, lookbackMs) {
      const raw = await redis.hget(liveKey, target);
      if (!raw) return null;
      const sample = JSON.parse(raw) as LiveSample;
      return sample.time <= at && sample.time >= at - lookbackMs ? sample : null;
    },
    async putForecast(forecast, seed) {
      // Read, merge, write: only the target's own forecast jobs write its window, one at a time but for overlaps.
      const raw = await redis.hget(planKey, forecast.target);
      const window = mergePlanForecast(raw ? (JSON.parse(raw) as PlanForecastWindow) : await seeded(forecast, seed), forecast);
      await redis.multi().hset(forecastKey, forecast.target, JSON.stringify(forecast)).hset(planKey, forecast.target, JSON.stringify(window)).exec();
    },
    async getForecast(target) {
      const raw = await redis.hget(forecastKey, target);
      return raw ? (JSON.parse(raw) as StoredForecast) : null;
    },
    async getPlanForecast(target) {
      const raw = await redis.hget(planKey, target);
      return raw ? (JSON.parse(raw) as PlanForecastWindow) : null;
    },
  };
}

/** The same in memory (the demo without Redis, unit tests); JSON round trips like Redis. */
export function createMemoryLastKnownStore(): LastKnownStore {
  const live = new Map<string, string>();
  const forecasts = new Map<string, string>();
  const windows = new Map<string, string>();
  return {
    async recordLoads(targets, points) {
      for (const [id, sample] of newestLoads(targets, points)) {
        const current = live.get(id);
        if (current && (JSON.parse(current) as LiveSample).time > sample.time) continue;
        live.set(id, JSON.stringify(sample));
      }
    },
    async latestLoad(target, at, lookbackMs) {
      const raw = live.get(target);
      const sample = raw ? (JSON.parse(raw) as LiveSample) : null;
      return sample && sample.time <= at && sample.time >= at - lookbackMs ? sample : null;
    },
    async putForecast(forecast, seed) {
      forecasts.set(forecast.target, JSON.stringify(forecast));
      const raw = windows.get(forecast.target);
      windows.set(forecast.target, JSON.stringify(mergePlanForecast(raw ? (JSON.parse(raw) as PlanForecastWindow) : await seeded(forecast, seed), forecast)));
    },
    async getForecast(target) {
      const raw = forecasts.get(target);
      return raw ? (JSON.parse(raw) as StoredForecast) : null;
    },
    async getPlanForecast(target) {
      const raw = windows.get(target);
      return raw ? (JSON.parse(raw) as PlanForecastWindow) : null;
    },
  };
}
