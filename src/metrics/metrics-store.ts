/**
 * The metrics store port: the one place that holds observed load and hardware metrics, forecasts, plans
 * and scaling decisions, so every replica of the API, the dashboard and the jobs read the same state.
 *
 * Adapters: influx-v1.ts (InfluxQL over /query, line protocol to /write: InfluxDB 1.x, 2.x compat, 3.x)
 * and influx-v2.ts (Flux via @influxdata/influxdb-client, for 2.x). Both pass test/contract/metrics-store.
 *
 * Left out: retention management, authentication schemes beyond token / user+password, and arbitrary
 * queries. Reads always come back on a regular grid (see series.ts) so callers never align timestamps.
 */

/** Epoch milliseconds. */
export type EpochMs = number;

export type Tags = Record<string, string>;

/** One sample of one or more fields at a time. Field values are numbers (floats). */
export interface MetricPoint {
  measurement: string;
  tags: Tags;
  fields: Record<string, number>;
  time: EpochMs;
}

/** How empty grid cells are filled: left as null, the previous value carried forward, zero, or linear. */
export type GapPolicy = 'null' | 'previous' | 'zero' | 'linear';

export type Aggregate = 'mean' | 'max' | 'min' | 'sum' | 'last';

export interface SeriesQuery {
  measurement: string;
  field: string;
  /** Exact-match tag filters. */
  tags?: Tags;
  /** Inclusive start, epoch ms; aligned down to the step. */
  from: EpochMs;
  /** Exclusive end, epoch ms. */
  to: EpochMs;
  /** Grid step in ms; the store downsamples with `aggregate` (GROUP BY time()). */
  stepMs: number;
  aggregate?: Aggregate;
  gap?: GapPolicy;
}

/**
 * A read series on its regular grid. `values[i]` is at `startMs + i * stepMs`. Gaps are filled like InfluxQL fill():
 * null stays only with gap 'null', before the first value with 'previous' when the week before the range holds none,
 * and before the first / after the last value with 'linear' (nothing to interpolate towards).
 */
export interface GridSeries {
  startMs: EpochMs;
  stepMs: number;
  values: (number | null)[];
}

export interface StoredForecast {
  target: string;
  /** When the forecast was made (the origin). */
  issuedAt: EpochMs;
  model: string;
  startMs: EpochMs;
  stepMs: number;
  mean: number[];
  /** Interval bounds by level (80, 95). */
  intervals: { level: number; lower: number[]; upper: number[] }[];
}

/** One point of a forecast as read back for a time range (the latest issued forecast wins per timestamp). */
export interface ForecastPoint {
  time: EpochMs;
  mean: number;
  lo80?: number;
  hi80?: number;
  lo95?: number;
  hi95?: number;
  model: string;
  issuedAt: EpochMs;
}

/**
 * A read of the forecasts as they were known `leadMs` before each timestamp: per timestamp, the point of the
 * latest forecast issued at or before `time - leadMs` (the forecast a plan tick one pod lead earlier acted on),
 * so the dashboard and the accuracy job see the misses that drove scaling, not the latest hindsight.
 */
export interface AsIssuedQuery {
  target: string;
  /** Inclusive start, epoch ms. */
  from: EpochMs;
  /** Exclusive end, epoch ms. */
  to: EpochMs;
  /** How long before each timestamp the forecast must have been issued, ms; 0 .. FORECAST_HISTORY.maxAgeMs. */
  leadMs: number;
  /** The forecasts' grid step, ms (forecast points lie on it). */
  stepMs: number;
  /**
   * Only issues at most `leadMs + windowMs` before the point count (a few forecast periods: a forecast that old
   * was not what the plan used). Default: all the history keeps. Smaller is faster on InfluxDB.
   */
  windowMs?: number;
}

/**
 * How much of each forecast is kept for as-issued reads: the points less than `maxAgeMs` after their issue,
 * bucketed by age in `bucketMs` (one kept per bucket and timestamp, the latest issued). Exact for any lead
 * when forecasts are issued at most once per bucket (the default schedule issues one a minute).
 */
export const FORECAST_HISTORY = { bucketMs: 60_000, maxAgeMs: 3_600_000 } as const;

/** Which decisions to read: every tick's record (default) or only those that changed replicas or nodes. */
export interface DecisionFilter {
  /** Only decisions whose desired replicas (or nodes) differ from the previous ones. */
  changesOnly?: boolean;
}

/**
 * Modes shown to people (src/scaling/mode.ts); `conflict`: another autoscaler (HPA, KEDA ScaledObject) scales
 * a direct-mode target, so Prescale does not patch it (src/scaling/actuation.ts).
 */
export const SCALING_MODES = ['predictive', 'reactive', 'forecast-only', 'learning', 'conflict'] as const;

/** Who writes the replicas (config targets[].actuation): Prescale itself, or an HPA / KEDA from what it publishes. */
export const ACTUATIONS = ['direct', 'hpa', 'keda'] as const;

/**
 * A target's error budget at one decision, every share a share of the window's minutes (the unit of
 * targets[].underProvisionedBudget): budget 0.001, spent 0.0004, left 0.0006 over a 7-day window.
 */
export interface DecisionBudget {
  /** targets[].underProvisionedBudget: the share of minutes allowed short of capacity. */
  budget: number;
  /** targets[].budgetWindow, ms. */
  windowMs: number;
  /** Minutes short of capacity within the window so far, as a share of the window's minutes. */
  spent: number;
  /** budget - spent (negative once overspent). */
  left: number;
}

/** The record of one planning tick for one target: what was known, which rule decided, what changed. */
export interface ScalingDecision {
  target: string;
  time: EpochMs;
  mode: (typeof SCALING_MODES)[number];
  /** Which loop decided: the planning tick or the reactive fast loop (both may run at the same instant). Default plan. */
  loop?: 'plan' | 'reactive';
  /** The rule that decided, in words: "forecast P90 1840 rps / 200 per replica", "reactive: cpu 93% > 80%". */
  rule: string;
  previousReplicas: number;
  desiredReplicas: number;
  /** Whether the change was sent to the cluster (false in forecast-only mode or when unchanged). */
  applied: boolean;
  /** The target's actuation when it was decided; absent in records that predate actuation modes (= direct). */
  actuation?: (typeof ACTUATIONS)[number];
  /**
   * Whether the change was published for an HPA or KEDA to apply (hpa/keda actuation: the counterpart of
   * `applied`, which stays false there because Prescale never patches). Absent in older records (= false).
   */
  published?: boolean;
  nodePool?: string;
  previousNodes?: number;
  desiredNodes?: number;
  /**
   * The target's error budget as this tick left it (planning ticks of targets whose sizing the error-budget
   * controller drives); absent in older records and where `quantile` overrides the budget.
   */
  budget?: DecisionBudget;
  /** Inputs as numbers: forecast mean and bounds over the lead window, live load, utilisation, calendar. */
  inputs: Record<string, number>;
  /** Free-form context (calendar entry ids, errors). */
  notes?: string;
}

export interface LatestPerSeriesQuery {
  measurement: string;
  field: string;
  /** Tag keys that tell the series apart (a target's load tags); empty: one answer over the whole measurement. */
  groupBy: string[];
  /**
   * Only the series with one of these tag sets (the targets asking): the store reads those series only, not the
   * whole measurement (bench:fleet: a GROUP BY over 1,000 series for a batch of 16 ticks cost more than it saved).
   * Absent: every series.
   */
  match?: Tags[];
  at: EpochMs;
  lookbackMs: number;
}

/** One series' latest sample: its `groupBy` tags, time and value. */
export interface SeriesSample {
  tags: Tags;
  time: EpochMs;
  value: number;
}

export interface MetricsStore {
  /** Creates the database if needed and checks the server answers; throws ServiceError naming the address. */
  ensureReady(): Promise<void>;
  /** Writes points atomically per call as far as the backend allows; rejects invalid points before writing. */
  writePoints(points: MetricPoint[]): Promise<void>;
  readSeries(query: SeriesQuery): Promise<GridSeries>;
  /** The latest point of a field at or before `at` within `lookbackMs` (live metrics for the reactive path). */
  latest(query: { measurement: string; field: string; tags?: Tags; at: EpochMs; lookbackMs: number }): Promise<{ time: EpochMs; value: number } | null>;
  /**
   * The latest point of a field per series in [at - lookbackMs, at], series told apart by the `groupBy` tag keys:
   * one request for the live load of every target that shares a measurement (the plan job batches its ticks'
   * reads through it, jobs/live-load-batch.ts). Optional: without it, callers ask `latest` per series.
   */
  latestPerSeries?(query: LatestPerSeriesQuery): Promise<SeriesSample[]>;
  writeForecast(forecast: StoredForecast): Promise<void>;
  /** Forecast points for [from, to), the latest issued forecast per timestamp. */
  readForecast(target: string, from: EpochMs, to: EpochMs): Promise<ForecastPoint[]>;
  /** Forecast points for [from, to) as issued at least `leadMs` before each (see AsIssuedQuery), time ordered. */
  readForecastAsIssued(query: AsIssuedQuery): Promise<ForecastPoint[]>;
  writeDecisions(decisions: ScalingDecision[]): Promise<void>;
  readDecisions(target: string | undefined, from: EpochMs, to: EpochMs, filter?: DecisionFilter): Promise<ScalingDecision[]>;
  close(): Promise<void>;
}

/** Measurement names Prescale writes itself. */
export const MEASUREMENTS = {
  forecast: 'prescale_forecast',
  /** Each forecast's first hour again, tagged by age bucket, for as-issued reads (influx-points.ts). */
  forecastHistory: 'prescale_forecast_history',
  decision: 'prescale_decision',
  cluster: 'prescale_cluster',
} as const;
