/**
 * MetricsStore over InfluxDB 2.x's native API through @influxdata/influxdb-client: WriteApi (line protocol to
 * /api/v2/write) and QueryApi (Flux to /api/v2/query). For 2.x users who prefer Flux and buckets over the v1
 * compatibility API (influx-v1.ts also works against 2.x).
 *
 * No 2.x server can run on the development machine, so this adapter is tested against recorded 2.x responses
 * (annotated CSV, test/fixtures/influx2) served by a local HTTP server that checks each request's path, org, bucket,
 * precision, token and Flux text (test/unit/influx-v2.test.ts), and it runs the MetricsStore contract against a 2.x
 * protocol double that parses every Flux query with the real Flux parser and interprets it
 * (test/contract/metrics-store-influx-v2.test.ts). It has not been run against a live 2.x server.
 *
 * Downsampling is Flux `aggregateWindow(every, fn, createEmpty: true, timeSrc: "_start")` after `group()`, so cells
 * are epoch-aligned and labelled by their start like InfluxQL `GROUP BY time()`; gaps are filled by series.ts.
 */
import { HttpError, InfluxDB, RequestTimedOutError, setLogger, type Point } from '@influxdata/influxdb-client';
import { InputError, ServiceError } from '../core/errors.js';
import { stripUrlCredentials } from '../core/secrets.js';
import { silentLogger, type Logger } from '../core/logger.js';
import type { Aggregate, AsIssuedQuery, DecisionFilter, EpochMs, ForecastPoint, GridSeries, MetricPoint, MetricsStore, ScalingDecision, SeriesQuery, StoredForecast, Tags } from './metrics-store.js';
import { MEASUREMENTS } from './metrics-store.js';
import {
  DEFAULT_BATCH_LINES,
  asIssuedBuckets,
  chunk,
  compareDecisions,
  decisionToPoint,
  filterDecisions,
  forecastEndMs,
  forecastHistoryPoints,
  forecastPointsNotSuperseded,
  metricPointToPoint,
  pickAsIssued,
  rowToDecision,
  rowsToForecastPoints,
  toLines,
  type StoredRow,
} from './influx-points.js';
import { gridFor, needsSeed, placeOnGrid, SEED_LOOKBACK_MS, toGridSeries } from './series.js';
import { validateAsIssuedQuery, validateDecisions, validateForecast, validatePoints, validateLatestQuery, validateSeriesQuery } from './validate.js';

export interface InfluxV2StoreOptions {
  /** Base URL, e.g. https://influx.example:8086. */
  url: string;
  org: string;
  bucket: string;
  /** API token with read and write access to the bucket. */
  token: string;
  /** Per request, in milliseconds. Default 10 000. */
  timeoutMs?: number;
  /** Lines per write request. Default 5000. */
  batchLines?: number;
  logger?: Logger;
}

const SERVICE = 'influxdb';

/**
 * A Flux string literal: `\` and `"` escaped, and `${` (which would start interpolation) written `\${`. A lone `$`
 * stays as it is: Flux's parser rejects `\$` before anything but `{` (found by parsing every query the store sends).
 */
export function fluxString(value: string): string {
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`).replaceAll('${', '\\${')}"`;
}

/** A Flux float literal (an integer literal would not compare with a float column). */
export const fluxFloat = (value: number): string => (Number.isInteger(value) ? `${value}.0` : String(value));

/** A Flux time literal (RFC 3339, UTC). */
export const fluxTime = (ms: EpochMs): string => new Date(Math.round(ms)).toISOString();

function fluxFilter(measurement: string, field: string | undefined, tags: Tags | undefined): string {
  const conditions = [`r._measurement == ${fluxString(measurement)}`];
  if (field !== undefined) conditions.push(`r._field == ${fluxString(field)}`);
  for (const [key, value] of Object.entries(tags ?? {})) conditions.push(`r[${fluxString(key)}] == ${fluxString(value)}`);
  return `filter(fn: (r) => ${conditions.join(' and ')})`;
}

const FLUX_FN: Record<Aggregate, string> = { mean: 'mean', max: 'max', min: 'min', sum: 'sum', last: 'last' };

export function createInfluxV2Store(options: InfluxV2StoreOptions): MetricsStore {
  const url = options.url.replace(/\/+$/, '');
  // Messages and logs name the server without the user and password a URL may carry.
  const address = stripUrlCredentials(url);
  const timeoutMs = options.timeoutMs ?? 10_000;
  const batchLines = options.batchLines ?? DEFAULT_BATCH_LINES;
  const logger = options.logger ?? silentLogger;
  // The client logs failed writes to the console by itself; send that through our logger instead (process-wide).
  setLogger({ error: (message, error) => logger.debug({ err: error }, message), warn: (message, error) => logger.debug({ err: error }, message) });
  const client = new InfluxDB({ url, token: options.token, timeout: timeoutMs });
  const queryApi = client.getQueryApi(options.org);
  const bucket = fluxString(options.bucket);

  function toServiceError(error: unknown, action: string): Error {
    if (error instanceof ServiceError || error instanceof InputError) return error;
    if (error instanceof HttpError) {
      const message = (error.json as { message?: string } | undefined)?.message ?? error.body ?? error.message;
      const retryable = error.statusCode >= 500 || error.statusCode === 429 || error.statusCode === 408;
      const what = error.statusCode === 401 || error.statusCode === 403 ? 'authentication failed' : `HTTP ${error.statusCode}`;
      return new ServiceError(SERVICE, address, `${action}: ${what}: ${message}`, retryable, { cause: error });
    }
    if (error instanceof RequestTimedOutError) return new ServiceError(SERVICE, address, `${action}: no answer within ${timeoutMs} ms`, true, { cause: error });
    const code = (error as { code?: string }).code;
    return new ServiceError(SERVICE, address, `${action}: unreachable (${code ?? (error as Error).message})`, true, { cause: error });
  }

  async function rows(flux: string): Promise<StoredRow[]> {
    let raw: Record<string, unknown>[];
    try {
      raw = await queryApi.collectRows<Record<string, unknown>>(flux);
    } catch (error) {
      throw toServiceError(error, 'query');
    }
    return raw.map((row) => ({ ...row, time: Date.parse(String(row['_time'])) }));
  }

  async function writePointObjects(points: Point[]): Promise<void> {
    const lines = toLines(points);
    if (lines.length === 0) return;
    for (const batch of chunk(lines, batchLines)) {
      // One WriteApi per batch: no background flushing, no client-side retries (callers decide), and the
      // failure comes back from flush() instead of only being logged.
      const writeApi = client.getWriteApi(options.org, options.bucket, 'ms', {
        batchSize: batch.length + 1,
        flushInterval: 0,
        maxRetries: 0,
        writeFailed: (error) => Promise.reject(error),
      });
      writeApi.writeRecords(batch);
      try {
        await writeApi.flush();
      } catch (error) {
        throw toServiceError(error, 'write');
      } finally {
        writeApi.dispose();
      }
    }
    logger.debug({ lines: lines.length, bucket: options.bucket }, 'influx write');
  }

  const from = (start: EpochMs, stop: EpochMs) => `from(bucket: ${bucket})\n  |> range(start: ${fluxTime(start)}, stop: ${fluxTime(stop)})`;

  async function lastValue(measurement: string, field: string, tags: Tags | undefined, start: EpochMs, stop: EpochMs): Promise<{ time: EpochMs; value: number } | null> {
    const flux = `${from(start, stop)}
  |> ${fluxFilter(measurement, field, tags)}
  |> group()
  |> sort(columns: ["_time"])
  |> last()
  |> keep(columns: ["_time", "_value"])`;
    const [row] = await rows(flux);
    return row && typeof row['_value'] === 'number' ? { time: row.time, value: row['_value'] } : null;
  }

  return {
    async ensureReady() {
      let answer: { buckets?: { name: string }[] };
      try {
        answer = (await client.transport.request(
          `/api/v2/buckets?${new URLSearchParams({ org: options.org, name: options.bucket }).toString()}`,
          null,
          { method: 'GET' },
        )) as { buckets?: { name: string }[] };
      } catch (error) {
        throw toServiceError(error, 'bucket lookup');
      }
      if (!answer.buckets?.some((b) => b.name === options.bucket)) {
        throw new ServiceError(SERVICE, address, `bucket "${options.bucket}" not found in org "${options.org}": create it (influx bucket create) first`, false);
      }
    },

    async writePoints(points: MetricPoint[]) {
      validatePoints(points);
      await writePointObjects(points.map(metricPointToPoint));
    },

    async readSeries(q: SeriesQuery): Promise<GridSeries> {
      validateSeriesQuery(q);
      const grid = gridFor(q.from, q.to, q.stepMs);
      const aggregate = q.aggregate ?? 'mean';
      const gap = q.gap ?? 'null';
      // group() merges every series the tag filter matches, as InfluxQL does; `last` needs time order after it.
      const flux = `${from(grid.startMs, q.to)}
  |> ${fluxFilter(q.measurement, q.field, q.tags)}
  |> group()${aggregate === 'last' ? '\n  |> sort(columns: ["_time"])' : ''}
  |> aggregateWindow(every: ${grid.stepMs}ms, fn: ${FLUX_FN[aggregate]}, createEmpty: true, timeSrc: "_start")`;
      const cells = placeOnGrid(
        grid,
        (await rows(flux)).map((row) => ({ time: row.time, value: typeof row['_value'] === 'number' ? row['_value'] : null })),
      );
      const seed = needsSeed(cells, gap) ? ((await lastValue(q.measurement, q.field, q.tags, grid.startMs - SEED_LOOKBACK_MS, grid.startMs))?.value ?? null) : null;
      return toGridSeries(grid, cells, gap, seed);
    },

    async latest(q) {
      validateLatestQuery(q);
      // range() stops before `stop`: one millisecond past `at` makes `at` itself count.
      return lastValue(q.measurement, q.field, q.tags, q.at - q.lookbackMs, q.at + 1);
    },

    async writeForecast(forecast: StoredForecast) {
      validateForecast(forecast);
      if (forecast.mean.length === 0) return;
      const newerFlux = `${from(forecast.startMs, forecastEndMs(forecast) + 1)}
  |> ${fluxFilter(MEASUREMENTS.forecast, 'issued_at', { target: forecast.target })}
  |> filter(fn: (r) => r._value > ${fluxFloat(forecast.issuedAt)})
  |> keep(columns: ["_time"])`;
      const newer = new Set((await rows(newerFlux)).map((row) => row.time));
      await writePointObjects([...forecastPointsNotSuperseded(forecast, newer), ...forecastHistoryPoints(forecast)]);
    },

    async readForecast(target: string, fromMs: EpochMs, toMs: EpochMs): Promise<ForecastPoint[]> {
      const flux = `${from(fromMs, toMs)}
  |> ${fluxFilter(MEASUREMENTS.forecast, undefined, { target })}
  |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")`;
      return rowsToForecastPoints(await rows(flux));
    },

    async readForecastAsIssued(q: AsIssuedQuery): Promise<ForecastPoint[]> {
      validateAsIssuedQuery(q);
      // The age buckets that can qualify, pivoted to rows; the youngest qualifying issue per timestamp is picked here.
      const buckets = asIssuedBuckets(q.leadMs, q.windowMs).map((b) => `r.age == "${b}"`).join(' or ');
      const flux = `${from(q.from, q.to)}
  |> ${fluxFilter(MEASUREMENTS.forecastHistory, undefined, { target: q.target })}
  |> filter(fn: (r) => ${buckets})
  |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")
  |> filter(fn: (r) => r.age_ms >= ${fluxFloat(q.leadMs)})`;
      return pickAsIssued(await rows(flux), q.leadMs, q.windowMs);
    },

    async writeDecisions(decisions: ScalingDecision[]) {
      validateDecisions(decisions);
      await writePointObjects(decisions.map(decisionToPoint));
    },

    async readDecisions(target: string | undefined, fromMs: EpochMs, toMs: EpochMs, filter?: DecisionFilter): Promise<ScalingDecision[]> {
      const changes = filter?.changesOnly
        ? '\n  |> filter(fn: (r) => r.desired_replicas != r.previous_replicas or (exists r.desired_nodes and exists r.previous_nodes and r.desired_nodes != r.previous_nodes))'
        : '';
      const flux = `${from(fromMs, toMs)}
  |> ${fluxFilter(MEASUREMENTS.decision, undefined, target !== undefined ? { target } : undefined)}
  |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")${changes}`;
      return filterDecisions((await rows(flux)).map(rowToDecision), filter).sort(compareDecisions);
    },

    async close() {
      // Each write uses its own WriteApi, disposed after its flush: nothing is buffered here.
    },
  };
}
