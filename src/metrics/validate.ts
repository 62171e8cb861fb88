/**
 * Checks what a store is asked to write before anything is sent, so a bad batch fails whole with the index and
 * field that is wrong, and nothing of it is stored. Every adapter calls these first.
 */
import { InputError } from '../core/errors.js';
import type { AsIssuedQuery, MetricPoint, ScalingDecision, SeriesQuery, StoredForecast } from './metrics-store.js';
import { ACTUATIONS, FORECAST_HISTORY, SCALING_MODES } from './metrics-store.js';
import { AGGREGATES, GAP_POLICIES } from './series.js';

/** InfluxDB refuses these as tag or field keys. */
const RESERVED_KEYS = new Set(['time', '_field', '_measurement']);

function checkKey(key: string, where: string): void {
  if (key === '') throw new InputError('expected a non-empty key', where);
  if (RESERVED_KEYS.has(key)) throw new InputError(`"${key}" is reserved by InfluxDB`, where);
}

function checkFinite(value: unknown, where: string): void {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new InputError(`expected a finite number, got ${typeof value === 'number' ? String(value) : JSON.stringify(value)}`, where);
  }
}

function checkName(value: unknown, where: string): void {
  if (typeof value !== 'string' || value.trim() === '') throw new InputError(`expected a non-empty name, got ${JSON.stringify(value)}`, where);
}

export function validateTags(tags: Record<string, string> | undefined, where: string): void {
  for (const [key, value] of Object.entries(tags ?? {})) {
    checkKey(key, `${where}.tags`);
    // InfluxDB drops a tag with an empty value silently; a filter on it would then never match.
    if (typeof value !== 'string' || value === '') throw new InputError(`expected a non-empty string, got ${JSON.stringify(value)}`, `${where}.tags.${key}`);
  }
}

export function validatePoints(points: readonly MetricPoint[]): void {
  if (!Array.isArray(points)) throw new InputError('expected an array of points', 'points');
  points.forEach((point, i) => {
    const where = `points[${i}]`;
    checkName(point.measurement, `${where}.measurement`);
    validateTags(point.tags, where);
    const fields = Object.entries(point.fields ?? {});
    if (fields.length === 0) throw new InputError('expected at least one field', `${where}.fields`);
    for (const [key, value] of fields) {
      checkKey(key, `${where}.fields`);
      checkFinite(value, `${where}.fields.${key}`);
    }
    checkFinite(point.time, `${where}.time`);
  });
}

export function validateSeriesQuery(query: SeriesQuery): void {
  checkName(query.measurement, 'query.measurement');
  checkName(query.field, 'query.field');
  validateTags(query.tags, 'query');
  if (query.aggregate !== undefined && !AGGREGATES.includes(query.aggregate)) {
    throw new InputError(`expected one of ${AGGREGATES.join(', ')}, got ${JSON.stringify(query.aggregate)}`, 'query.aggregate');
  }
  if (query.gap !== undefined && !GAP_POLICIES.includes(query.gap)) {
    throw new InputError(`expected one of ${GAP_POLICIES.join(', ')}, got ${JSON.stringify(query.gap)}`, 'query.gap');
  }
}

export function validateLatestQuery(query: { measurement: string; field: string; tags?: Record<string, string>; at: number; lookbackMs: number }): void {
  checkName(query.measurement, 'query.measurement');
  checkName(query.field, 'query.field');
  validateTags(query.tags, 'query');
  checkFinite(query.at, 'query.at');
  if (!(query.lookbackMs > 0) || !Number.isFinite(query.lookbackMs)) throw new InputError(`expected a positive duration in ms, got ${query.lookbackMs}`, 'query.lookbackMs');
}

export function validateAsIssuedQuery(query: AsIssuedQuery): void {
  checkName(query.target, 'query.target');
  checkFinite(query.from, 'query.from');
  checkFinite(query.to, 'query.to');
  if (!(query.to > query.from)) throw new InputError(`expected from (${query.from}) before to (${query.to})`, 'query.to');
  if (!(query.leadMs >= 0 && query.leadMs < FORECAST_HISTORY.maxAgeMs)) throw new InputError(`expected a lead from 0 to ${FORECAST_HISTORY.maxAgeMs} ms (forecast history kept), got ${query.leadMs}`, 'query.leadMs');
  if (!(query.stepMs > 0) || !Number.isFinite(query.stepMs)) throw new InputError(`expected a positive step in ms, got ${query.stepMs}`, 'query.stepMs');
  if (query.windowMs !== undefined && !(query.windowMs >= 0 && Number.isFinite(query.windowMs))) throw new InputError(`expected a window of 0 ms or more, got ${query.windowMs}`, 'query.windowMs');
}

export function validateForecast(forecast: StoredForecast): void {
  checkName(forecast.target, 'forecast.target');
  checkName(forecast.model, 'forecast.model');
  checkFinite(forecast.issuedAt, 'forecast.issuedAt');
  checkFinite(forecast.startMs, 'forecast.startMs');
  if (!(forecast.stepMs > 0) || !Number.isFinite(forecast.stepMs)) throw new InputError(`expected a positive step, got ${forecast.stepMs}`, 'forecast.stepMs');
  forecast.mean.forEach((v, i) => checkFinite(v, `forecast.mean[${i}]`));
  forecast.intervals.forEach((interval, k) => {
    const where = `forecast.intervals[${k}]`;
    if (!Number.isInteger(interval.level) || interval.level <= 0 || interval.level >= 100) {
      throw new InputError(`expected a whole percentage between 1 and 99, got ${interval.level}`, `${where}.level`);
    }
    for (const side of ['lower', 'upper'] as const) {
      if (interval[side].length !== forecast.mean.length) {
        throw new InputError(`expected ${forecast.mean.length} values like mean, got ${interval[side].length}`, `${where}.${side}`);
      }
      interval[side].forEach((v, i) => checkFinite(v, `${where}.${side}[${i}]`));
    }
  });
}

export function validateDecisions(decisions: readonly ScalingDecision[]): void {
  decisions.forEach((d, i) => {
    const where = `decisions[${i}]`;
    checkName(d.target, `${where}.target`);
    if (!(SCALING_MODES as readonly unknown[]).includes(d.mode)) throw new InputError(`expected one of ${SCALING_MODES.join(', ')}, got ${JSON.stringify(d.mode)}`, `${where}.mode`);
    checkFinite(d.time, `${where}.time`);
    checkFinite(d.previousReplicas, `${where}.previousReplicas`);
    checkFinite(d.desiredReplicas, `${where}.desiredReplicas`);
    if (typeof d.rule !== 'string') throw new InputError('expected a string', `${where}.rule`);
    if (typeof d.applied !== 'boolean') throw new InputError('expected true or false', `${where}.applied`);
    if (d.actuation !== undefined && !(ACTUATIONS as readonly unknown[]).includes(d.actuation)) {
      throw new InputError(`expected one of ${ACTUATIONS.join(', ')}, got ${JSON.stringify(d.actuation)}`, `${where}.actuation`);
    }
    if (d.published !== undefined && typeof d.published !== 'boolean') throw new InputError('expected true or false', `${where}.published`);
    if (d.previousNodes !== undefined) checkFinite(d.previousNodes, `${where}.previousNodes`);
    if (d.desiredNodes !== undefined) checkFinite(d.desiredNodes, `${where}.desiredNodes`);
    if (d.budget !== undefined) for (const key of ['budget', 'windowMs', 'spent', 'left'] as const) checkFinite(d.budget[key], `${where}.budget.${key}`);
    for (const [key, value] of Object.entries(d.inputs ?? {})) {
      if (key === '') throw new InputError('expected a non-empty key', `${where}.inputs`);
      checkFinite(value, `${where}.inputs.${key}`);
    }
  });
}
