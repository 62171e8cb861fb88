import { readFileSync } from 'node:fs';
import { InputError } from './errors.js';
import type { RegularSeries } from '../forecasting/forecaster.js';

/**
 * Reads a load trace from a `timestamp,value` CSV (ISO-8601 timestamps, UTC when no offset is given) and
 * puts it on its grid exactly as shared/tools/score_forecast.py does, so that what the CLI forecasts and
 * what the scorer scores are the same numbers.
 *
 * Every row is validated before anything is returned: the first bad row fails the whole read with an
 * InputError located at `file:line`. Left out: time zones other than an explicit offset, and
 * de-duplication rules other than the scorer's (observations on one grid point are averaged).
 */

/** Longest run of empty grid points that is forward filled; longer gaps are an error (as the scorer). */
export const MAX_GAP_STEPS = 12;

export interface TraceGap {
  /** Epoch ms of the last observation before the gap. */
  afterMs: number;
  /** Number of missing grid points. */
  missingSteps: number;
}

export interface CsvTrace {
  /** The values on the regular grid (forward filled over gaps, averaged where observations share a point). */
  series: RegularSeries;
  /** The grid step: the median positive gap between consecutive timestamps, in ms. */
  stepMs: number;
  /** Raw observation count (data rows). */
  rows: number;
  gaps: TraceGap[];
  /** Grid points that held more than one observation. */
  merged: number;
  /** Whether the input timestamps carried fractional seconds (output is written in the same style). */
  fractionalSeconds: boolean;
}

export interface ReadTraceOptions {
  /** Overrides the detected step, in ms. */
  stepMs?: number;
  /** Default MAX_GAP_STEPS. */
  maxGapSteps?: number;
}

const ISO_TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(Z|z|[+-]\d{2}:?\d{2})?$/;

/** Parses an ISO-8601 timestamp to epoch ms; naive timestamps are UTC. Returns undefined when invalid. */
export function parseIsoTimestamp(text: string): number | undefined {
  const m = ISO_TIMESTAMP.exec(text.trim());
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s = '00', frac = '', zone = 'Z'] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  if (month < 1 || month > 12 || day < 1 || Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) return undefined;
  // Date.UTC would roll 2019-02-30 over to March: check the day against the month's length.
  if (day > new Date(Date.UTC(year, month, 0)).getUTCDate()) return undefined;
  const millis = frac === '' ? 0 : Math.round(Number(`0${frac}`) * 1000);
  const offsetMs = zone === 'Z' || zone === 'z' ? 0 : offsetMinutes(zone) * 60_000;
  return Date.UTC(year, month - 1, day, Number(h), Number(mi), Number(s), millis) - offsetMs;
}

function offsetMinutes(zone: string): number {
  const digits = zone.replace(':', '');
  const sign = digits.startsWith('-') ? -1 : 1;
  return sign * (Number(digits.slice(1, 3)) * 60 + Number(digits.slice(3, 5)));
}

/** Epoch ms -> `YYYY-MM-DDTHH:MM:SSZ` (or with milliseconds when asked): the input files' own style. */
export function formatIsoTimestamp(ms: number, fractionalSeconds = false): string {
  const iso = new Date(ms).toISOString();
  return fractionalSeconds ? iso : `${iso.slice(0, 19)}Z`;
}

/** Parses CSV text (see readCsvTrace); `file` only names the source in error messages. */
export function parseCsvTrace(text: string, file: string, options: ReadTraceOptions = {}): CsvTrace {
  const lines = text.split(/\r?\n/);
  const header = (lines[0] ?? '').replace(/^\uFEFF/, '').split(',').map((c) => c.trim().toLowerCase());
  const tCol = header.indexOf('timestamp');
  const vCol = header.indexOf('value');
  if (tCol < 0 || vCol < 0) throw new InputError('header must contain the columns timestamp,value', `${file}:1`);

  const times: number[] = [];
  const values: number[] = [];
  let fractionalSeconds = false;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    const where = `${file}:${i + 1}`;
    const cells = line.split(',');
    if (cells.length !== header.length) {
      throw new InputError(`expected ${header.length} columns, found ${cells.length}`, where);
    }
    const tText = cells[tCol]!.trim();
    const t = parseIsoTimestamp(tText);
    if (t === undefined) throw new InputError(`"${tText}" is not an ISO-8601 timestamp`, where);
    const vText = cells[vCol]!.trim();
    const v = vText === '' ? Number.NaN : Number(vText);
    if (!Number.isFinite(v)) throw new InputError(`value "${vText}" is not a finite number`, where);
    if (times.length > 0 && t < times[times.length - 1]!) {
      throw new InputError(`timestamp ${tText} is earlier than the row before it (rows must be in time order)`, where);
    }
    if (/\.\d/.test(tText)) fractionalSeconds = true;
    times.push(t);
    values.push(v);
  }
  if (times.length < 2) throw new InputError(`need at least two data rows, found ${times.length}`, file);

  const stepMs = options.stepMs ?? medianPositiveGap(times);
  if (!(stepMs > 0)) throw new InputError('all timestamps are equal: no step can be detected', file);
  return { ...regularize(times, values, stepMs, options.maxGapSteps ?? MAX_GAP_STEPS, file), rows: times.length, fractionalSeconds };
}

/** Reads and validates a `timestamp,value` CSV file and puts it on its grid. Throws InputError(`file:line`). */
export function readCsvTrace(path: string, options: ReadTraceOptions = {}): CsvTrace {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new InputError(`cannot read the file (${(error as NodeJS.ErrnoException).code ?? String(error)})`, path, { cause: error });
  }
  return parseCsvTrace(text, path, options);
}

function medianPositiveGap(times: number[]): number {
  const gaps: number[] = [];
  for (let i = 1; i < times.length; i++) if (times[i]! > times[i - 1]!) gaps.push(times[i]! - times[i - 1]!);
  if (gaps.length === 0) return 0;
  gaps.sort((a, b) => a - b);
  const mid = gaps.length >> 1;
  return gaps.length % 2 ? gaps[mid]! : (gaps[mid - 1]! + gaps[mid]!) / 2;
}

function gapError(t0: number, lastFilled: number, stepMs: number, maxGapSteps: number, file: string): InputError {
  return new InputError(`gap of more than ${maxGapSteps} steps after ${formatIsoTimestamp(t0 + lastFilled * stepMs)} (step ${stepMs / 1000}s)`, file);
}

function regularize(times: number[], values: number[], stepMs: number, maxGapSteps: number, file: string) {
  const t0 = times[0]!;
  // Gaps are found from the observations before the grid is allocated: one far-off timestamp (a year typed
  // wrong) must give the gap error, not an array of billions of points.
  for (let i = 1; i < times.length; i++) {
    const before = Math.round((times[i - 1]! - t0) / stepMs);
    if (Math.round((times[i]! - t0) / stepMs) - before - 1 > maxGapSteps) throw gapError(t0, before, stepMs, maxGapSteps, file);
  }
  const last = Math.round((times[times.length - 1]! - t0) / stepMs);
  const sums = new Float64Array(last + 1);
  const counts = new Uint32Array(last + 1);
  for (let i = 0; i < times.length; i++) {
    const k = Math.round((times[i]! - t0) / stepMs);
    sums[k]! += values[i]!;
    counts[k]!++;
  }
  const grid: number[] = new Array(last + 1);
  const gaps: TraceGap[] = [];
  let merged = 0;
  let run = 0;
  for (let k = 0; k <= last; k++) {
    if (counts[k]! > 0) {
      if (run > 0) gaps.push({ afterMs: t0 + (k - run - 1) * stepMs, missingSteps: run });
      grid[k] = sums[k]! / counts[k]!;
      if (counts[k]! > 1) merged++;
      run = 0;
    } else {
      grid[k] = grid[k - 1]!; // k > 0: point 0 holds the first observation
      run++;
      if (run > maxGapSteps) throw gapError(t0, k - run, stepMs, maxGapSteps, file);
    }
  }
  return { series: { startMs: t0, stepMs, values: grid }, stepMs, gaps, merged };
}
