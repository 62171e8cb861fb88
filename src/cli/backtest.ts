import { existsSync, statSync, writeFileSync } from 'node:fs';
import { InputError } from '../core/errors.js';
import { formatIsoTimestamp, readCsvTrace } from '../core/csv-trace.js';
import { horizonSteps, runBacktest, type BacktestResult, type TrainingFit } from '../forecasting/backtest.js';
import { DEFAULT_CANDIDATES, selectChampion } from '../forecasting/champion.js';
import type { RegularSeries } from '../forecasting/forecaster.js';
import { forecasterKinds } from '../forecasting/forecasters.js';

/**
 * The logic behind `prescale backtest` (and bench/forecast.ts): the rolling-origin backtest of
 * EVALUATION.md for each requested model, a table of the scores, and the forecast file of the chosen one.
 * `auto` is exactly the service's champion selection (selectChampion); a named model is the same pipeline
 * with one candidate and no baseline gate, so its intervals are calibrated the same way.
 */

export const MODEL_CHOICES = ['auto', 'hw', 'lstm', 'mstl', 'snaive', 'theta'] as const;
export const FORECAST_HEADER = 'origin,timestamp,yhat,lo80,hi80,lo95,hi95';

export interface ModelBacktest {
  /** As asked: "auto", "hw", ... */
  model: string;
  result: BacktestResult;
}

/** Parses `--models`; throws InputError naming the flag for unknown or unavailable models. */
export function parseModels(text: string): string[] {
  const models = [...new Set(text.split(',').map((m) => m.trim()).filter(Boolean))];
  if (models.length === 0) throw new InputError('give at least one model', '--models');
  const available = forecasterKinds();
  for (const model of models) {
    if (!(MODEL_CHOICES as readonly string[]).includes(model)) {
      throw new InputError(`unknown model "${model}"; choose from ${MODEL_CHOICES.join(', ')}`, '--models');
    }
    if (model !== 'auto' && !available.includes(model)) {
      throw new InputError(`model "${model}" is not available in this build (available: ${available.join(', ')}, auto)`, '--models');
    }
  }
  return models;
}

/** How a model spec is fitted on a training part; `auto` adds lstm to its candidates when it is also asked for. */
export function trainingFitFor(model: string, models: readonly string[], onProgress?: (fraction: number, message?: string) => void): TrainingFit {
  return async (train, { horizon }) => {
    if (model === 'auto') {
      const candidates = [...DEFAULT_CANDIDATES, ...(models.includes('lstm') ? ['lstm'] : [])];
      return (await selectChampion(train, { horizon, candidates, ...(onProgress ? { onProgress } : {}) })).model;
    }
    const fitted = await selectChampion(train, {
      horizon,
      candidates: [model],
      baseline: false,
      ensembles: false,
      ...(onProgress ? { onProgress } : {}),
    });
    return fitted.model;
  };
}

/** Backtests each model on the series; `onProgress(done, total, label)` counts models in hundredths. */
export async function backtestModels(
  series: RegularSeries,
  horizon: number,
  models: readonly string[],
  onProgress?: (fraction: number, label: string) => void,
): Promise<ModelBacktest[]> {
  const out: ModelBacktest[] = [];
  for (const [i, model] of models.entries()) {
    const report = (f: number, message?: string) => onProgress?.((i + Math.min(1, f) * 0.9) / models.length, `${model}: ${message ?? ''}`);
    report(0, 'fitting');
    const result = await runBacktest(series, horizon, trainingFitFor(model, models, report));
    onProgress?.((i + 1) / models.length, `${model}: done`);
    out.push({ model, result });
  }
  return out;
}

/** The model whose forecasts go to `--out`: auto when asked for, else the first one listed. */
export function chosenModel(models: readonly string[]): string {
  return models.includes('auto') ? 'auto' : models[0]!;
}

/** The forecast file: one row per (origin, predicted point); numbers in full precision. */
export function forecastCsv(result: BacktestResult, fractionalSeconds = false): string {
  const lines = [FORECAST_HEADER];
  const num = (v: number | undefined) => (v === undefined ? '' : String(v));
  for (const row of result.rows) {
    lines.push(
      [
        formatIsoTimestamp(row.originMs, fractionalSeconds),
        formatIsoTimestamp(row.timestampMs, fractionalSeconds),
        num(row.yhat),
        num(row.lo80),
        num(row.hi80),
        num(row.lo95),
        num(row.hi95),
      ].join(','),
    );
  }
  return `${lines.join('\n')}\n`;
}

/** A fixed-width table of the scores; MASE, sMAPE and coverage with 4 decimals, as the scorer prints them. */
export function scoresTable(results: readonly ModelBacktest[], chosen?: string): string {
  const header = ['model', 'fitted', 'MASE', 'sMAPE', 'cov80', 'cov95', 'fit s', 'origins'];
  const f4 = (v: number | undefined) => (v === undefined ? 'n/a' : v.toFixed(4));
  const rows = results.map(({ model, result }) => [
    model === chosen ? `${model} *` : model,
    result.description,
    f4(result.scores.mase),
    f4(result.scores.smape),
    f4(result.scores.coverage80),
    f4(result.scores.coverage95),
    result.fitSeconds.toFixed(2),
    String(result.split.origins.length),
  ]);
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const line = (cells: string[]) => cells.map((cell, c) => (c < 2 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

export interface BacktestCommandOptions {
  series: string;
  horizon: string;
  models: string;
  out: string;
  onProgress?: (fraction: number, label: string) => void;
}

/** Validates the flags, runs the backtests, writes `--out`. Throws InputError naming the flag or `file:line`. */
export async function runBacktestCommand(options: BacktestCommandOptions): Promise<{ results: ModelBacktest[]; chosen: string; table: string }> {
  const models = parseModels(options.models);
  if (!/^(1h|1d)$/.test(options.horizon)) throw new InputError(`must be 1h or 1d, got "${options.horizon}"`, '--horizon');
  if (!existsSync(options.series) || !statSync(options.series).isFile()) throw new InputError(`no such file: ${options.series}`, '--series');
  const trace = readCsvTrace(options.series);
  const horizon = horizonSteps(options.horizon, trace.stepMs)!;
  if (horizon < 1) throw new InputError(`${options.horizon} is shorter than the series' step (${trace.stepMs / 1000}s)`, '--horizon');
  const results = await backtestModels(trace.series, horizon, models, options.onProgress);
  const chosen = chosenModel(models);
  const chosenResult = results.find((r) => r.model === chosen)!;
  writeFileSync(options.out, forecastCsv(chosenResult.result, trace.fractionalSeconds));
  return { results, chosen, table: scoresTable(results, chosen) };
}
