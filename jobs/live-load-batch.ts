/**
 * The plan job's live-load reads, batched: the ticks that ask within a few milliseconds of each other (the plan
 * queue runs many at once, jobs/plan-serial.ts) share one metrics-store request per measurement and field
 * (MetricsStore.latestPerSeries) instead of one query each (bench:fleet: 2,000 per 15 s at 1,000 targets).
 *
 * Exact: every tick gets what `latest` would have given it. The batch reads up to the latest tick's `at`;
 * a tick whose series' newest sample is later than its own `at` (written in between) asks `latest` itself.
 * Stores without latestPerSeries are asked per tick, as before.
 */
import type { Tags } from '../src/metrics/metrics-store.js';
import type { MetricsStore } from '../src/metrics/metrics-store.js';

/** How long the first read of a batch waits for others: short against a tick, long enough to catch the ticks in flight. */
export const LIVE_BATCH_WINDOW_MS = 5;

export interface LiveLoadRequest {
  measurement: string;
  field: string;
  tags: Tags;
  at: number;
  lookbackMs: number;
}

type Sample = { time: number; value: number } | null;

interface Pending {
  request: LiveLoadRequest;
  resolve: (sample: Sample) => void;
  reject: (error: unknown) => void;
}

export interface LiveLoadBatcher {
  latest(request: LiveLoadRequest): Promise<Sample>;
}

const tagKey = (keys: string[], tags: Tags) => JSON.stringify(keys.map((k) => tags[k] ?? ''));

export function createLiveLoadBatcher(store: MetricsStore, windowMs = LIVE_BATCH_WINDOW_MS): LiveLoadBatcher {
  let pending: Pending[] = [];
  let timer: NodeJS.Timeout | null = null;

  async function runGroup(group: Pending[]): Promise<void> {
    const { measurement, field } = group[0]!.request;
    const keys = Object.keys(group[0]!.request.tags).sort();
    const at = Math.max(...group.map((p) => p.request.at));
    const from = Math.min(...group.map((p) => p.request.at - p.request.lookbackMs));
    let samples: Map<string, { time: number; value: number }>;
    try {
      // Only the series asked for: the store reads those, not the whole measurement.
      const match = [...new Map(group.map((p) => [tagKey(keys, p.request.tags), p.request.tags] as const)).values()];
      const rows = await store.latestPerSeries!({ measurement, field, groupBy: keys, ...(keys.length > 0 ? { match } : {}), at, lookbackMs: at - from });
      samples = new Map(rows.map((row) => [tagKey(keys, row.tags), { time: row.time, value: row.value }]));
    } catch (error) {
      for (const p of group) p.reject(error);
      return;
    }
    await Promise.all(
      group.map(async ({ request, resolve, reject }) => {
        const sample = samples.get(tagKey(keys, request.tags)) ?? null;
        if (sample === null || sample.time < request.at - request.lookbackMs) return resolve(null);
        if (sample.time <= request.at) return resolve(sample);
        // Newer than this tick: what it would have read is older; ask for exactly that.
        await store.latest(request).then(resolve, reject);
      }),
    );
  }

  function flush(): void {
    timer = null;
    const batch = pending;
    pending = [];
    const groups = new Map<string, Pending[]>();
    for (const p of batch) {
      const key = JSON.stringify([p.request.measurement, p.request.field, Object.keys(p.request.tags).sort()]);
      groups.set(key, [...(groups.get(key) ?? []), p]);
    }
    for (const group of groups.values()) void runGroup(group);
  }

  return {
    latest(request) {
      if (!store.latestPerSeries) return store.latest(request);
      return new Promise<Sample>((resolve, reject) => {
        pending.push({ request, resolve, reject });
        timer ??= setTimeout(flush, windowMs);
      });
    },
  };
}
