/**
 * A read cache for the settled past, around a MetricsStore: the dashboard asks for the same week every few
 * seconds, and a week of 5-minute cells that are more than a few minutes old does not change. So each read
 * (grid series, forecasts as issued, decisions) keeps what it got up to the *settle line* (`now - settleMs`,
 * on the data clock, so a replay settles as fast as it runs) and the next read of the same series asks the
 * store only for the tail from that line on, and stitches: the answer is what a full read would return.
 *
 * Late writes into the settled past (a write buffer that drains after an InfluxDB outage, a backfill with
 * `prescale ingest`) show after at most `refreshMs` of wall time: an entry older than that is read again whole.
 * Bounded: at most `maxEntries` series and `maxItems` in all, counted in grid cells (a forecast point weighs 8
 * cells, a decision 32: roughly their size in memory); least recently used series go first, and a read larger
 * than the budget is answered but not kept. Per process and in memory: a restart starts empty.
 *
 * Left out: the latest forecast ahead (it changes every minute) and `latest` (live values): they pass through,
 * as do writes (a write does not update an entry: the settle line is what keeps the tail fresh). A read that
 * fails keeps nothing.
 */
import type { Clock } from '../core/clock.js';
import type { AsIssuedQuery, DecisionFilter, EpochMs, ForecastPoint, GridSeries, MetricsStore, ScalingDecision, SeriesQuery } from './metrics-store.js';
import { alignDown } from './series.js';
import { validateAsIssuedQuery, validateSeriesQuery } from './validate.js';

export interface PastCacheOptions {
  /** The data clock (a replay clock in the demo): what "the past" means. */
  clock: Clock;
  /** How far behind now a cell or record counts as final, ms. Default 15 minutes (a few collect and plan periods). */
  settleMs?: number;
  /** Wall time after which an entry is read again whole (late writes into the past), ms. Default 5 minutes. */
  refreshMs?: number;
  /** Series kept at most (least recently used evicted). Default 256. */
  maxEntries?: number;
  /**
   * What all entries keep at most together, in grid cells (a forecast point counts 8, a decision 32); a larger read
   * is not kept. Default 500,000 (a few tens of MB at the most).
   */
  maxItems?: number;
  /** Wall clock for `refreshMs`, epoch ms. Default Date.now. */
  wallNow?: () => number;
}

export const PAST_CACHE_DEFAULTS = { settleMs: 15 * 60_000, refreshMs: 5 * 60_000, maxEntries: 256, maxItems: 500_000 } as const;

export interface PastCacheStats {
  /** Reads answered from an entry plus a tail read (or from the entry alone). */
  hits: number;
  /** Reads sent to the store whole. */
  misses: number;
  entries: number;
  /** What the entries keep, in grid cells (see PastCacheOptions.maxItems). */
  items: number;
}

export interface PastCachedStore extends MetricsStore {
  stats(): PastCacheStats;
  /** Forgets every entry (tests; an operator's backfill could call it too). */
  clear(): void;
}

/** What one entry holds: items in time order covering [fromMs, settledMs), read whole at `readAt` (wall ms). */
interface Entry<T> {
  fromMs: EpochMs;
  settledMs: EpochMs;
  items: T[];
  readAt: number;
  /** items.length times the kind's weight. */
  size: number;
}

/** How one kind of read is cut and stitched. Items are time ordered; `timeOf` gives an item's time. */
interface Kind<Q, R, T> {
  /** What one item weighs against the budget, in grid cells. */
  weight: number;
  key(q: Q): string;
  /** The read's start as the store sees it (grid reads align it down to the step). */
  startOf(q: Q): EpochMs;
  /** Up to where this read may settle: the settle line, and for a grid only whole cells before `to`. */
  settleOf(q: Q, line: EpochMs): EpochMs;
  read(q: Q, from: EpochMs, to: EpochMs): Promise<R>;
  itemsOf(result: R): T[];
  /** The time of the item at `index` of a list that starts at `startMs`. */
  timeOf(q: Q, item: T, index: number, startMs: EpochMs): EpochMs;
  /** The answer for [start, to): the kept items, then the tail read (null: the kept items cover it all). */
  stitch(q: Q, start: EpochMs, kept: T[], tail: R | null): R;
}

export function cachePastReads(store: MetricsStore, options: PastCacheOptions): PastCachedStore {
  const settleMs = options.settleMs ?? PAST_CACHE_DEFAULTS.settleMs;
  const refreshMs = options.refreshMs ?? PAST_CACHE_DEFAULTS.refreshMs;
  const maxEntries = options.maxEntries ?? PAST_CACHE_DEFAULTS.maxEntries;
  const maxItems = options.maxItems ?? PAST_CACHE_DEFAULTS.maxItems;
  const wallNow = options.wallNow ?? Date.now;
  const entries = new Map<string, Entry<unknown>>();
  let items = 0;
  let hits = 0;
  let misses = 0;

  function drop(key: string): void {
    const held = entries.get(key);
    if (!held) return;
    items -= held.size;
    entries.delete(key);
  }

  /** Keeps an entry as the most recently used, evicting the least recently used ones beyond the bounds. */
  function keep(key: string, entry: Entry<unknown>): void {
    drop(key);
    if (entry.size > maxItems) return;
    entries.set(key, entry);
    items += entry.size;
    while (entries.size > maxEntries || items > maxItems) drop(entries.keys().next().value!);
  }

  async function cached<Q extends { from: EpochMs; to: EpochMs }, R, T>(kind: Kind<Q, R, T>, q: Q): Promise<R> {
    const key = kind.key(q);
    const start = kind.startOf(q);
    const line = options.clock.now() - settleMs;
    const settle = kind.settleOf(q, line);
    const held = entries.get(key) as Entry<T> | undefined;
    // Usable: read whole recently, starting at or before this read, and not ahead of the clock (a clock set back).
    const usable = held !== undefined && wallNow() - held.readAt < refreshMs && held.fromMs <= start && held.settledMs <= line;
    if (!usable) {
      misses++;
      const result = await kind.read(q, q.from, q.to);
      if (settle > start) {
        const items = kind.itemsOf(result).filter((item, i) => kind.timeOf(q, item, i, start) < settle);
        keep(key, { fromMs: start, settledMs: settle, items, readAt: wallNow(), size: items.length * kind.weight });
      }
      return result;
    }
    hits++;
    entries.delete(key);
    entries.set(key, held);
    const kept = held.items.filter((item, i) => {
      const time = kind.timeOf(q, item, i, held.fromMs);
      return time >= start && time < q.to;
    });
    if (q.to <= held.settledMs) return kind.stitch(q, start, kept, null);
    const tailFrom = Math.max(held.settledMs, start);
    const tail = await kind.read(q, tailFrom, q.to);
    if (tailFrom === held.settledMs && settle > held.settledMs && entries.get(key) === held) {
      // The settle line moved: the tail's items before it join the entry.
      const grown = kind.itemsOf(tail).filter((item, i) => kind.timeOf(q, item, i, tailFrom) < settle);
      const all = [...held.items, ...grown];
      keep(key, { ...held, settledMs: settle, items: all, size: all.length * kind.weight });
    }
    return kind.stitch(q, start, kept, tail);
  }

  // Grid series: the items are the cells' values, cell i of a list at startMs + i * step.
  const seriesKind: Kind<SeriesQuery, GridSeries, number | null> = {
    weight: 1,
    key: (q) => JSON.stringify(['series', q.measurement, q.field, Object.entries(q.tags ?? {}).sort(), q.stepMs, q.aggregate ?? 'mean', q.gap ?? 'null']),
    startOf: (q) => alignDown(q.from, q.stepMs),
    settleOf: (q, line) => Math.min(alignDown(line, q.stepMs), alignDown(q.to, q.stepMs)),
    read: (q, from, to) => store.readSeries({ ...q, from, to }),
    itemsOf: (r) => r.values,
    timeOf: (q, _value, i, startMs) => startMs + i * q.stepMs,
    stitch: (q, start, kept, tail) => {
      if (!tail) return { startMs: start, stepMs: q.stepMs, values: kept };
      const values = [...kept, ...tail.values];
      // `previous` carries the last kept value over the tail's leading empty cells, as one read of the whole range
      // would (the tail's own seed looks back a week only).
      if ((q.gap ?? 'null') === 'previous' && kept.length > 0) {
        const carry = kept[kept.length - 1] ?? null;
        for (let i = kept.length; i < values.length && values[i] === null; i++) values[i] = carry;
      }
      return { startMs: start, stepMs: q.stepMs, values };
    },
  };

  const asIssuedKind: Kind<AsIssuedQuery, ForecastPoint[], ForecastPoint> = {
    weight: 8,
    key: (q) => JSON.stringify(['as-issued', q.target, q.leadMs, q.stepMs, q.windowMs ?? null]),
    startOf: (q) => q.from,
    settleOf: (q, line) => Math.min(alignDown(line, q.stepMs), q.to),
    read: (q, from, to) => store.readForecastAsIssued({ ...q, from, to }),
    itemsOf: (r) => r,
    timeOf: (_q, p) => p.time,
    stitch: (_q, _start, kept, tail) => (tail ? [...kept, ...tail] : kept),
  };

  type DecisionQuery = { target: string | undefined; from: EpochMs; to: EpochMs; filter: DecisionFilter | undefined };
  const decisionKind: Kind<DecisionQuery, ScalingDecision[], ScalingDecision> = {
    weight: 32,
    key: (q) => JSON.stringify(['decisions', q.target ?? null, q.filter?.changesOnly ?? false]),
    startOf: (q) => q.from,
    settleOf: (q, line) => Math.min(line, q.to),
    read: (q, from, to) => store.readDecisions(q.target, from, to, q.filter),
    itemsOf: (r) => r,
    timeOf: (_q, d) => d.time,
    stitch: (_q, _start, kept, tail) => (tail ? [...kept, ...tail] : kept),
  };

  return {
    ensureReady: () => store.ensureReady(),
    writePoints: (points) => store.writePoints(points),
    latest: (q) => store.latest(q),
    writeForecast: (forecast) => store.writeForecast(forecast),
    readForecast: (target, from, to) => store.readForecast(target, from, to),
    writeDecisions: (decisions) => store.writeDecisions(decisions),
    close: () => store.close(),
    readSeries: (q) => {
      validateSeriesQuery(q);
      return cached(seriesKind, q);
    },
    readForecastAsIssued: (q) => {
      validateAsIssuedQuery(q);
      return cached(asIssuedKind, q);
    },
    readDecisions: (target, from, to, filter) => cached(decisionKind, { target, from, to, filter }),
    stats: () => ({ hits, misses, entries: entries.size, items }),
    clear: () => {
      entries.clear();
      items = 0;
    },
  };
}
