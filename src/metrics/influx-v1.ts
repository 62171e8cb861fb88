/**
 * MetricsStore over InfluxDB's v1 HTTP API: line protocol to `/write`, InfluxQL to `/query`. The same API is served
 * by InfluxDB 1.x, by 2.x (v1 compatibility, with a DBRP mapping and a token) and by 3.x, so this is the default
 * adapter. Tested against the real influxd 1.6.7 (test/integration/influx-v1.test.ts).
 *
 * Downsampling is InfluxQL `GROUP BY time(step) fill(null)`; gaps are filled afterwards by series.ts so every adapter
 * fills them alike. Writes go in batches of `batchLines`; a batch is atomic in InfluxDB, a call of several batches is
 * not, but every point is validated before the first batch and rewriting the same points is harmless (same series
 * and timestamp overwrite), so a failed call can simply be retried.
 */
import type { Point } from '@influxdata/influxdb-client';
import { ServiceError } from '../core/errors.js';
import { stripUrlCredentials } from '../core/secrets.js';
import { silentLogger, type Logger } from '../core/logger.js';
import type { AsIssuedQuery, DecisionFilter, EpochMs, ForecastPoint, GridSeries, MetricPoint, MetricsStore, ScalingDecision, SeriesQuery, StoredForecast, Tags } from './metrics-store.js';
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

export interface InfluxV1StoreOptions {
  /** Base URL, e.g. http://127.0.0.1:18086. */
  url: string;
  database: string;
  /** Retention policy to read and write; the database default when absent. */
  retentionPolicy?: string;
  /** InfluxDB 1.x user (sent as HTTP basic auth). */
  username?: string;
  password?: string;
  /** InfluxDB 2.x/3.x token, sent as `Authorization: Token <token>`; takes precedence over username/password. */
  token?: string;
  /** Per request, in milliseconds. Default 10 000. */
  timeoutMs?: number;
  /** Lines per `/write` request. Default 5000. */
  batchLines?: number;
  /**
   * Whether ensureReady runs `CREATE DATABASE` (idempotent on 1.x). Default true without a token; with a token the
   * server is 2.x/3.x, where the bucket and its DBRP mapping are made by an operator, not through InfluxQL.
   */
  createDatabase?: boolean;
  /** Injected transport (tests count requests through it). Default: global fetch. */
  fetch?: typeof fetch;
  logger?: Logger;
}

const SERVICE = 'influxdb';

/** InfluxQL identifier: always double-quoted so any measurement, field or tag name works. */
export function quoteIdent(name: string): string {
  return `"${name.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** InfluxQL string literal. */
export function quoteString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

function tagConditions(tags: Tags | undefined): string[] {
  return Object.entries(tags ?? {}).map(([key, value]) => `${quoteIdent(key)} = ${quoteString(value)}`);
}

function timeConditions(from: EpochMs, to: EpochMs, inclusiveEnd = false): string[] {
  return [`time >= ${Math.round(from)}ms`, `time ${inclusiveEnd ? '<=' : '<'} ${Math.round(to)}ms`];
}

interface InfluxQLResult {
  statement_id?: number;
  error?: string;
  partial?: boolean;
  series?: { name: string; tags?: Record<string, string>; columns: string[]; values: unknown[][] }[];
}

/** Rows of every series of one statement, keyed by column, with series tags merged in. */
function rowsOf(result: InfluxQLResult): StoredRow[] {
  const rows: StoredRow[] = [];
  for (const series of result.series ?? []) {
    for (const values of series.values) {
      const row: Record<string, unknown> = { ...series.tags };
      series.columns.forEach((column, i) => {
        const value = values[i];
        if (value !== null && value !== undefined) row[column] = value;
      });
      rows.push(row as StoredRow);
    }
  }
  return rows;
}

function describeFetchError(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  if (cause?.code) return `unreachable (${cause.code})`;
  return `unreachable (${cause?.message ?? (error as Error).message})`;
}

/** The user and password in a URL (percent-decoded), or null. */
function urlCredentials(url: string): { username: string; password: string } | null {
  try {
    const parsed = new URL(url);
    return parsed.username ? { username: decodeURIComponent(parsed.username), password: decodeURIComponent(parsed.password) } : null;
  } catch {
    return null;
  }
}

export function createInfluxV1Store(options: InfluxV1StoreOptions): MetricsStore {
  // fetch refuses URLs with credentials: a user and password in the URL become Basic auth (unless set apart),
  // and messages and logs name the server without them.
  const base = stripUrlCredentials(options.url).replace(/\/+$/, '');
  const address = base;
  const inUrl = urlCredentials(options.url);
  const timeoutMs = options.timeoutMs ?? 10_000;
  const batchLines = options.batchLines ?? DEFAULT_BATCH_LINES;
  const doFetch = options.fetch ?? fetch;
  const logger = options.logger ?? silentLogger;
  const createDatabase = options.createDatabase ?? !options.token;
  const from = options.retentionPolicy
    ? (measurement: string) => `${quoteIdent(options.database)}.${quoteIdent(options.retentionPolicy!)}.${quoteIdent(measurement)}`
    : (measurement: string) => quoteIdent(measurement);

  const authHeaders: Record<string, string> = {};
  if (options.token) authHeaders['authorization'] = `Token ${options.token}`;
  else if (options.username !== undefined) {
    authHeaders['authorization'] = `Basic ${Buffer.from(`${options.username}:${options.password ?? ''}`).toString('base64')}`;
  } else if (inUrl) authHeaders['authorization'] = `Basic ${Buffer.from(`${inUrl.username}:${inUrl.password}`).toString('base64')}`;

  /** One HTTP exchange; maps every failure to a ServiceError that says whether a retry may help. */
  async function send(method: 'GET' | 'POST', path: string, params: Record<string, string>, body?: string, contentType?: string): Promise<{ status: number; text: string }> {
    const url = `${base}${path}?${new URLSearchParams(params).toString()}`;
    let response: Response;
    try {
      response = await doFetch(url, {
        method,
        headers: { ...authHeaders, ...(contentType ? { 'content-type': contentType } : {}) },
        body,
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      const name = (error as Error).name;
      if (name === 'TimeoutError' || name === 'AbortError') throw new ServiceError(SERVICE, address, `no answer within ${timeoutMs} ms`, true, { cause: error });
      throw new ServiceError(SERVICE, address, describeFetchError(error), true, { cause: error });
    }
    const text = await response.text();
    if (response.status >= 200 && response.status < 300) return { status: response.status, text };
    // 1.x answers {"error": ...}, 2.x/3.x {"code": ..., "message": ...}; some proxies plain text.
    let message = response.headers.get('x-influxdb-error') ?? '';
    try {
      const body = JSON.parse(text) as { error?: string; message?: string };
      message = body.error ?? body.message ?? message;
    } catch {
      message ||= text.trim().slice(0, 300);
    }
    // A missing database is transient where it matters: a server that just came back before Prescale (or an
    // operator) created it, or a 2.x DBRP mapping made a moment later; dropping buffered writes for it loses data.
    const databaseMissing = response.status === 404 && /database not found|bucket .*not found|DBRP/i.test(message);
    const retryable = response.status >= 500 || response.status === 429 || response.status === 408 || databaseMissing;
    const what = response.status === 401 || response.status === 403 ? 'authentication failed' : databaseMissing ? `database "${options.database}" not found (Prescale creates it at start when it may; with a token create it, or the DBRP mapping, first)` : `HTTP ${response.status}`;
    throw new ServiceError(SERVICE, address, `${method} ${path}: ${what}: ${message}`, retryable);
  }

  async function query(statements: string): Promise<InfluxQLResult[]> {
    const form: Record<string, string> = { q: statements, epoch: 'ms', db: options.database };
    const { text } = await send('POST', '/query', {}, new URLSearchParams(form).toString(), 'application/x-www-form-urlencoded');
    const parsed = JSON.parse(text) as { results?: InfluxQLResult[]; error?: string };
    if (parsed.error) throw new ServiceError(SERVICE, address, `query failed: ${parsed.error}`, false);
    const results = parsed.results ?? [];
    for (const result of results) {
      if (result.error) throw new ServiceError(SERVICE, address, `query failed: ${result.error}`, false);
      // A partial answer means the server truncated it (max-row-limit): silently short data is worse than an error.
      if (result.partial) throw new ServiceError(SERVICE, address, 'query answer truncated by the server (max-row-limit); ask for a shorter range or a larger step', false);
    }
    return results;
  }

  async function writeLines(lines: string[]): Promise<void> {
    const params: Record<string, string> = { db: options.database, precision: 'ms' };
    if (options.retentionPolicy) params['rp'] = options.retentionPolicy;
    for (const batch of chunk(lines, batchLines)) {
      await send('POST', '/write', params, batch.join('\n'), 'text/plain; charset=utf-8');
    }
  }

  async function writePointObjects(points: Point[]): Promise<void> {
    const lines = toLines(points);
    if (lines.length === 0) return;
    await writeLines(lines);
    logger.debug({ lines: lines.length, database: options.database }, 'influx write');
  }

  async function seedBefore(q: SeriesQuery, startMs: EpochMs): Promise<number | null> {
    const where = [...tagConditions(q.tags), `time >= ${Math.round(startMs - SEED_LOOKBACK_MS)}ms`, `time < ${Math.round(startMs)}ms`];
    const [result] = await query(`SELECT last(${quoteIdent(q.field)}) AS "value" FROM ${from(q.measurement)} WHERE ${where.join(' AND ')}`);
    const value = result ? rowsOf(result)[0]?.['value'] : undefined;
    return typeof value === 'number' ? value : null;
  }

  return {
    async ensureReady() {
      const { status } = await send('GET', '/ping', {});
      if (status !== 204 && status !== 200) throw new ServiceError(SERVICE, address, `unexpected /ping answer ${status}`, true);
      if (createDatabase) await query(`CREATE DATABASE ${quoteIdent(options.database)}`);
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
      const where = [...tagConditions(q.tags), ...timeConditions(grid.startMs, q.to)];
      const [result] = await query(
        `SELECT ${aggregate}(${quoteIdent(q.field)}) AS "value" FROM ${from(q.measurement)} WHERE ${where.join(' AND ')} GROUP BY time(${grid.stepMs}ms) fill(null)`,
      );
      const cells = placeOnGrid(
        grid,
        (result ? rowsOf(result) : []).map((row) => ({ time: row.time, value: typeof row['value'] === 'number' ? row['value'] : null })),
      );
      const seed = needsSeed(cells, gap) ? await seedBefore(q, grid.startMs) : null;
      return toGridSeries(grid, cells, gap, seed);
    },

    async latest(q) {
      validateLatestQuery(q);
      const where = [...tagConditions(q.tags), ...timeConditions(q.at - q.lookbackMs, q.at, true)];
      const [result] = await query(`SELECT last(${quoteIdent(q.field)}) AS "value" FROM ${from(q.measurement)} WHERE ${where.join(' AND ')}`);
      const row = result ? rowsOf(result)[0] : undefined;
      return row && typeof row['value'] === 'number' ? { time: row.time, value: row['value'] } : null;
    },

    async latestPerSeries(q) {
      validateLatestQuery(q);
      const where = timeConditions(q.at - q.lookbackMs, q.at, true);
      const wanted = (q.match ?? []).map((tags) => tagConditions(tags)).filter((c) => c.length > 0);
      if (wanted.length > 0) where.push(`(${wanted.map((c) => `(${c.join(' AND ')})`).join(' OR ')})`);
      const groupBy = q.groupBy.length > 0 ? ` GROUP BY ${q.groupBy.map(quoteIdent).join(', ')}` : '';
      const [result] = await query(`SELECT last(${quoteIdent(q.field)}) AS "value" FROM ${from(q.measurement)} WHERE ${where.join(' AND ')}${groupBy}`);
      return (result?.series ?? []).flatMap((series) => {
        const row = rowsOf({ series: [{ ...series, tags: {} }] })[0];
        const tags = Object.fromEntries(q.groupBy.map((k) => [k, series.tags?.[k] ?? '']));
        return row && typeof row['value'] === 'number' ? [{ tags, time: row.time, value: row['value'] }] : [];
      });
    },

    async writeForecast(forecast: StoredForecast) {
      validateForecast(forecast);
      if (forecast.mean.length === 0) return;
      const where = [`"target" = ${quoteString(forecast.target)}`, ...timeConditions(forecast.startMs, forecastEndMs(forecast), true), `"issued_at" > ${forecast.issuedAt}`];
      const [result] = await query(`SELECT "issued_at" FROM ${from(MEASUREMENTS.forecast)} WHERE ${where.join(' AND ')}`);
      const newer = new Set((result ? rowsOf(result) : []).map((row) => row.time));
      await writePointObjects([...forecastPointsNotSuperseded(forecast, newer), ...forecastHistoryPoints(forecast)]);
    },

    async readForecast(target: string, fromMs: EpochMs, toMs: EpochMs): Promise<ForecastPoint[]> {
      const where = [`"target" = ${quoteString(target)}`, ...timeConditions(fromMs, toMs)];
      const [result] = await query(`SELECT * FROM ${from(MEASUREMENTS.forecast)} WHERE ${where.join(' AND ')}`);
      return rowsToForecastPoints(result ? rowsOf(result) : []);
    },

    async readForecastAsIssued(q: AsIssuedQuery): Promise<ForecastPoint[]> {
      validateAsIssuedQuery(q);
      // Server-side: per grid cell the row with the smallest age at or above the lead (a selector keeps its
      // row's other fields), over the age buckets that can hold one, so 7 days come back as one row per step.
      const where = [
        `"target" = ${quoteString(q.target)}`,
        `"age" =~ /^(${asIssuedBuckets(q.leadMs, q.windowMs).join('|')})$/`,
        `"age_ms" >= ${Math.round(q.leadMs)}`,
        ...(q.windowMs !== undefined ? [`"age_ms" <= ${Math.round(q.leadMs + q.windowMs)}`] : []),
        ...timeConditions(q.from, q.to),
      ];
      const [result] = await query(
        `SELECT min("age_ms") AS "age_ms", "mean", "lo80", "hi80", "lo95", "hi95", "issued_at", "model" FROM ${from(MEASUREMENTS.forecastHistory)} WHERE ${where.join(' AND ')} GROUP BY time(${Math.round(q.stepMs)}ms) fill(none)`,
      );
      return pickAsIssued(result ? rowsOf(result) : [], q.leadMs, q.windowMs);
    },

    async writeDecisions(decisions: ScalingDecision[]) {
      validateDecisions(decisions);
      await writePointObjects(decisions.map(decisionToPoint));
    },

    async readDecisions(target: string | undefined, fromMs: EpochMs, toMs: EpochMs, filter?: DecisionFilter): Promise<ScalingDecision[]> {
      const where = [...(target !== undefined ? [`"target" = ${quoteString(target)}`] : []), ...timeConditions(fromMs, toMs)];
      // Field-to-field comparison on the server: a week of 15 s ticks is 40,000 rows, its changes a few hundred.
      if (filter?.changesOnly) where.push(`("desired_replicas" != "previous_replicas" OR "desired_nodes" != "previous_nodes")`);
      // GROUP BY * keeps tags out of the field columns and returns one series per (target, mode).
      const [result] = await query(`SELECT * FROM ${from(MEASUREMENTS.decision)} WHERE ${where.join(' AND ')} GROUP BY *`);
      return filterDecisions((result ? rowsOf(result) : []).map(rowToDecision), filter).sort(compareDecisions);
    },

    async close() {
      // Stateless over fetch: nothing to release.
    },
  };
}
