import { InputError } from '../core/errors.js';
import { maseScale } from './accuracy.js';
import { MAX_VALIDATION_FOLDS, daySeason, rollForecasts, sliceSeries, validationFolds, type FoldedValidationPlan } from './backtest.js';
import { ConformalModel, calibrate } from './calibration.js';
import { EnsembleModel } from './ensemble.js';
import { DEFAULT_LEVELS, type FitOptions, type FittedModel, type Forecaster, type RegularSeries } from './forecaster.js';
import { disposeModel, forecasterKinds, getForecaster } from './forecasters.js';
import { SNAIVE_KIND } from './seasonal-naive.js';

/**
 * Champion choice, the one the service and `prescale backtest --models auto` both use. Every candidate
 * (and every equal-weight pair of candidates) is scored by a walk-forward backtest over as much of the series
 * as it is given (validationFolds: a fold a week, refitted on all before it, up to eight weeks; one hour or one
 * day ahead, whichever horizon is asked for); a model is promoted only if its validation MASE is below seasonal
 * naive's. The winner is refitted on the whole series and its intervals are calibrated by split conformal on
 * the winner's own validation residuals over every fold, per lead step (calibration.ts).
 *
 * Nothing here looks past the end of `series`: in a backtest the caller passes the training part only.
 */

/**
 * Candidates `auto` considers unless told otherwise: LSTM only when asked (it is slow to train). MSTL + ETS
 * and Theta are the stronger references of EVALUATION.md in our own code (issue 10); every pair is scored too.
 */
export const DEFAULT_CANDIDATES = ['snaive', 'hw', 'mstl', 'theta'] as const;

/** What a target with less than a season of history gets when the baseline is in play: the global LSTM. */
export const COLD_START_KIND = 'global-lstm';

/**
 * Candidates for a target's configured model choice (config `model`): `auto` tries the defaults; a named
 * model is tried alone, and is still promoted only if it beats seasonal naive (the baseline stays in).
 */
export function candidatesFor(preferred: string): string[] {
  return preferred === 'auto' ? [...DEFAULT_CANDIDATES] : [preferred];
}

/**
 * Weights of the first member tried for every pair of candidates. Validated on the last week alone, 0.25 and
 * 0.75 won validation more often than they helped on the test weeks; over the walk-forward folds they help or
 * tie on all 12 pairs of bench:forecast (taxi one hour ahead 0.292 -> 0.271, one day 1.286 -> 1.176; Azure one
 * day 0.500 -> 0.469).
 */
export const ENSEMBLE_WEIGHTS: readonly number[] = [0.25, 0.5, 0.75];

/** An ensemble is chosen only if its validation MASE is this share below each member's (simpler wins ties). */
export const ENSEMBLE_MARGIN = 0.02;

export interface ChampionOptions extends FitOptions {
  /** Lead steps the intervals are calibrated for (the planner's horizon, or the backtest's h). */
  horizon: number;
  /** Forecaster kinds to try; kinds not registered are skipped with a note. Default DEFAULT_CANDIDATES. */
  candidates?: readonly string[];
  /** The baseline a champion must beat; false when the caller asked for one model explicitly. */
  baseline?: string | false;
  /** Try equal-weight pairs of candidates. Default true. */
  ensembles?: boolean;
  /** Most validation origins over all folds. Default MAX_WALK_FORWARD_ORIGINS (backtest.ts). */
  maxValidationOrigins?: number;
  /**
   * Most walk-forward folds (a week each, refitted on all before it; backtest.ts validationFolds). Default
   * MAX_VALIDATION_FOLDS; 1 validates on the last part only. A candidate trained on from its validation weights
   * (the LSTM, continueFit) makes it 1: one training per fold would not fit its time budget.
   */
  validationFolds?: number;
  /**
   * Weights of the first member tried for a pair of candidates (the best on validation wins). Default
   * ENSEMBLE_WEIGHTS for every pair; the deep job tries more for the pairs with the LSTM.
   */
  ensembleWeights?: (a: string, b: string) => readonly number[] | undefined;
  /** Forecasters to use instead of the registered ones of the same kind (the deep job's configured LSTM, tests' tiny one). */
  forecasters?: Readonly<Record<string, Forecaster>>;
  /**
   * One training, not two (default true): a forecaster with `continueFit` (the LSTM) goes on from the weights it
   * was validated with, on all data, instead of being trained again from scratch. false: trained again (the
   * old way; bench/lstm.ts --champion compares them).
   */
  continueTraining?: boolean;
}

/**
 * Share of the time budget (FitOptions.deadlineMs) the LSTM's validation training may use: the rest is for its
 * validation forecasts and the champion's fit on all data (the continued epochs, Holt-Winters' refit). 0.85 let
 * a training stopped by the budget end 8 s past it (AMZN, 28 days, a busy machine).
 */
export const VALIDATION_SHARE_OF_BUDGET = 0.7;

export interface CandidateScore {
  /** Kind, or "a+b" (equal weights) / "a*0.75+b*0.25" for an ensemble. */
  name: string;
  description: string;
  /** Validation MASE (scale: in-sample seasonal naive MAE on the fitting part). */
  mase: number;
  /** Validation sMAPE, percent. */
  smape: number;
  /** Validation MASE of each walk-forward fold, oldest first (same scale). */
  foldMase?: number[];
  fitSeconds: number;
  error?: string;
}

export interface ChampionResult {
  /** The champion, refitted on the whole series, with calibrated intervals. */
  model: FittedModel;
  /** The winning candidate's name ("hw", "snaive", "hw+snaive"). */
  kind: string;
  /** Validation scores by candidate name (mase, smape, fitSeconds), as the train job stores them. */
  scores: Record<string, Record<string, number>>;
  table: CandidateScore[];
  backtestMase?: number;
  naiveMase?: number;
  notes: string[];
}

interface CandidateRun {
  name: string;
  members: string[];
  /** One weight per member (they add up to 1). */
  weights: number[];
  description: string;
  /** means[j][k]: forecast of validation origin j at lead k+1. */
  means: number[][];
  fitSeconds: number;
  /** Validation models kept to continue training from (forecasters with continueFit), by member. */
  validated?: Partial<Record<string, FittedModel>>;
}

export async function selectChampion(series: RegularSeries, options: ChampionOptions): Promise<ChampionResult> {
  const { horizon } = options;
  if (!Number.isInteger(horizon) || horizon < 1) throw new InputError(`horizon must be a positive whole number of steps, got ${horizon}`);
  const levels = options.levels ?? [...DEFAULT_LEVELS];
  const baseline = options.baseline === undefined ? SNAIVE_KIND : options.baseline;
  const known = forecasterKinds();
  const notes: string[] = [];
  const requested = [...new Set(options.candidates ?? DEFAULT_CANDIDATES)];
  const candidates = requested.filter((kind) => known.includes(kind));
  for (const kind of requested) if (!known.includes(kind)) notes.push(`candidate "${kind}" is not available`);
  if (baseline && !candidates.includes(baseline)) candidates.unshift(baseline);
  if (candidates.length === 0) throw new InputError(`no forecaster available among ${requested.join(', ')}`);

  const season = daySeason(series.stepMs);
  const continued = options.continueTraining ?? true;
  const slow = continued && (await Promise.all(candidates.map((kind) => forecasterOf(kind, options).catch(() => undefined)))).some((f) => f?.continueFit);
  const folds = slow ? 1 : (options.validationFolds ?? MAX_VALIDATION_FOLDS);
  const plan = validationFolds(series.values.length, season, horizon, folds, options.maxValidationOrigins);
  if (!plan) {
    // Too short to validate anything: the baseline (or the one model asked for) with its own intervals. Under
    // a season (and from an hour on) the baseline has no season to repeat: the global model, trained on other
    // series, stands in (bench/global-lstm.ts: cold start, leave-one-out).
    const hour = Math.max(1, Math.round(3_600_000 / series.stepMs));
    const coldStart =
      Boolean(baseline) && series.values.length >= hour && series.values.length < season && (known.includes(COLD_START_KIND) || options.forecasters?.[COLD_START_KIND] !== undefined);
    const kind = coldStart ? COLD_START_KIND : baseline || candidates[0]!;
    notes.push(`history too short for an inner backtest (${series.values.length} points${coldStart ? `, under a season of ${season}` : ''}): ${kind} with its own intervals`);
    const model = await (await forecasterOf(kind, options)).fit(series, fitOptions(options));
    return { model, kind, scores: {}, table: [], notes };
  }

  const runs: CandidateRun[] = [];
  const table: CandidateScore[] = [];
  try {
    return await chooseAmong(series, options, { candidates, baseline, plan, levels, notes, runs, table });
  } finally {
    // The kept validation models hold tensors; the champion was trained on from a copy.
    for (const run of runs) if (run.members.length === 1) for (const model of Object.values(run.validated ?? {})) if (model) disposeModel(model);
  }
}

interface Selection {
  candidates: string[];
  baseline: string | false;
  plan: FoldedValidationPlan;
  levels: number[];
  notes: string[];
  runs: CandidateRun[];
  table: CandidateScore[];
}

async function chooseAmong(series: RegularSeries, options: ChampionOptions, selection: Selection): Promise<ChampionResult> {
  const { candidates, baseline, plan, levels, notes, runs, table } = selection;
  const { horizon } = options;
  const season = daySeason(series.stepMs);
  const progress = options.onProgress ?? (() => {});
  const scale = maseScale(series.values, plan.fitEnd, Math.min(season, Math.floor(plan.fitEnd / 2)));
  const actual = plan.origins.map((o) => series.values.slice(o, o + horizon));
  const foldOf = plan.folds.flatMap((fold, f) => fold.origins.map(() => f));
  // Validation may use most of the budget; the fit on all data gets the rest.
  const validationDeadline = options.deadlineMs === undefined ? undefined : Date.now() + VALIDATION_SHARE_OF_BUDGET * Math.max(0, options.deadlineMs - Date.now());
  for (const [i, kind] of candidates.entries()) {
    progress(i / (candidates.length + 1), `validating ${kind}`);
    try {
      const within = (f: number, message?: string) => progress((i + Math.min(1, Math.max(0, f))) / (candidates.length + 1), message ?? `validating ${kind}`);
      runs.push(await validateCandidate(kind, series, plan, { ...options, ...(validationDeadline !== undefined ? { deadlineMs: validationDeadline } : {}) }, within, notes));
    } catch (error) {
      table.push({ name: kind, description: kind, mase: Number.NaN, smape: Number.NaN, fitSeconds: 0, error: errorText(error) });
      notes.push(`${kind} failed in validation: ${errorText(error)}`);
    }
  }
  if (options.ensembles ?? true) {
    const singles = [...runs];
    for (let a = 0; a < singles.length; a++) {
      for (let b = a + 1; b < singles.length; b++) {
        const weights = options.ensembleWeights?.(singles[a]!.name, singles[b]!.name) ?? ENSEMBLE_WEIGHTS;
        for (const w of weights) runs.push(blend(singles[a]!, singles[b]!, w));
      }
    }
  }
  for (const run of runs) table.push(scoreRun(run, actual, scale, foldOf));

  const scored = table.filter((row) => Number.isFinite(row.mase));
  if (scored.length === 0) throw new InputError(`every candidate failed: ${notes.join('; ')}`);
  const naive = baseline ? scored.find((row) => row.name === baseline) : undefined;
  // Parsimony: an ensemble must beat its best member by ENSEMBLE_MARGIN, else the member is kept.
  const singles = scored.filter((row) => !row.name.includes('+'));
  const eligible = scored.filter((row) => {
    if (!row.name.includes('+')) return true;
    const members = singles.filter((s) => row.name.split('+').some((part) => part.split('*')[0] === s.name));
    return members.every((m) => row.mase < (1 - ENSEMBLE_MARGIN) * m.mase);
  });
  let best = eligible.reduce((a, b) => (b.mase < a.mase ? b : a));
  if (naive && best !== naive && !(best.mase < naive.mase)) best = naive;
  if (naive && best === naive && scored.length > 1) notes.push(`no candidate beat ${baseline} in validation: ${baseline} kept`);
  let winner = runs.find((run) => run.name === best.name)!;

  // Refit the winner on everything; if that fails, the baseline takes its place (and the notes say so).
  progress(candidates.length / (candidates.length + 1), `fitting ${winner.name} on all data`);
  let point: FittedModel;
  try {
    point = await fitRun(winner, series, options, progress, candidates.length / (candidates.length + 1));
  } catch (error) {
    const fallback = naive && runs.find((run) => run.name === naive.name);
    if (!fallback || fallback === winner) throw error;
    notes.push(`${winner.name} failed to fit on all data (${errorText(error)}): ${fallback.name} instead`);
    winner = fallback;
    best = naive;
    point = await fitRun(winner, series, options, progress, candidates.length / (candidates.length + 1));
  }
  // Intervals from the chosen model's own validation errors.
  const { table: calibration, holdout } = calibrate(actual, winner.means, levels, series.values.every((v) => v >= 0));
  const model = new ConformalModel(point, calibration, {
    mase: best.mase,
    smape: best.smape,
    ...(naive ? { naiveMase: naive.mase } : {}),
    validationOrigins: calibration.samples,
  });
  progress(1, `champion ${winner.name}`);
  notes.push(
    `champion ${winner.name} (validation MASE ${best.mase.toFixed(3)}${naive ? `, ${baseline} ${naive.mase.toFixed(3)}` : ''}); ` +
      `intervals calibrated on ${calibration.samples} validation origins, ${calibration.scaling} scaling ` +
      `(hold-out coverage absolute ${fmtCoverage(holdout.absolute.coverage)}, level ${fmtCoverage(holdout.level.coverage)})`,
  );

  const scores: Record<string, Record<string, number>> = {};
  for (const row of table) if (Number.isFinite(row.mase)) scores[row.name] = { mase: row.mase, smape: row.smape, fitSeconds: row.fitSeconds };
  return {
    model,
    kind: winner.name,
    scores,
    table,
    backtestMase: best.mase,
    ...(naive ? { naiveMase: naive.mase } : {}),
    notes,
  };
}

async function validateCandidate(
  kind: string,
  series: RegularSeries,
  plan: FoldedValidationPlan,
  options: ChampionOptions,
  onProgress: (fraction: number, message?: string) => void,
  notes: string[],
): Promise<CandidateRun> {
  const forecaster = await forecasterOf(kind, options);
  // Kept to continue from (one training, not two); else thrown away (update() shares its tensors).
  const keep = forecaster.continueFit !== undefined && (options.continueTraining ?? true) && plan.folds.length === 1;
  const means: number[][] = [];
  let fitSeconds = 0;
  let model: FittedModel | undefined;
  for (const [f, fold] of plan.folds.entries()) {
    const t0 = performance.now();
    const fraction = (x: number, message?: string) => onProgress((f + Math.min(1, Math.max(0, x))) / plan.folds.length, message);
    model = await forecaster.fit(sliceSeries(series, 0, fold.fitEnd), { ...fitOptions(options), onProgress: fraction });
    fitSeconds += (performance.now() - t0) / 1000;
    try {
      const forecasts = rollForecasts(model, series, fold.origins, plan.horizon, []);
      for (const { forecast } of forecasts) {
        if (forecast.mean.some((v) => !Number.isFinite(v))) throw new Error(`${kind} forecast a non-finite value`);
        means.push(forecast.mean);
      }
      // A training cut short by the time budget says so where the job's status can show it.
      for (const note of forecasts[0]?.forecast.notes ?? []) if (/stopped/.test(note)) notes.push(`${kind}: ${note}`);
    } catch (error) {
      disposeModel(model);
      throw error;
    }
    if (!keep) disposeModel(model);
  }
  return { name: kind, members: [kind], weights: [1], description: model!.description, means, fitSeconds, ...(keep ? { validated: { [kind]: model! } } : {}) };
}

async function forecasterOf(kind: string, options: ChampionOptions): Promise<Forecaster> {
  return options.forecasters?.[kind] ?? (await getForecaster(kind));
}

async function fitRun(
  run: CandidateRun,
  series: RegularSeries,
  options: ChampionOptions,
  progress: (fraction: number, message?: string) => void,
  from: number,
): Promise<FittedModel> {
  // Members fit one after the other: two LSTM trainings at once would only fight over the same cores.
  const members: FittedModel[] = [];
  for (const [i, kind] of run.members.entries()) {
    const share = (1 - from) / run.members.length;
    const onProgress = (f: number, message?: string) => progress(from + share * (i + Math.min(1, Math.max(0, f))), message ?? `fitting ${kind} on all data`);
    const forecaster = await forecasterOf(kind, options);
    const validated = run.validated?.[kind];
    members.push(
      validated && forecaster.continueFit
        ? await forecaster.continueFit(validated, series, { ...fitOptions(options), onProgress })
        : await forecaster.fit(series, { ...fitOptions(options), onProgress }),
    );
  }
  return members.length === 1 ? members[0]! : new EnsembleModel(members, run.weights);
}

function blend(a: CandidateRun, b: CandidateRun, weightOfA: number): CandidateRun {
  const wb = 1 - weightOfA;
  const name = weightOfA === 0.5 ? `${a.name}+${b.name}` : `${a.name}*${weightOfA}+${b.name}*${wb}`;
  return {
    name,
    members: [...a.members, ...b.members],
    weights: [weightOfA, wb],
    description: `ensemble(${a.description} + ${b.description})`,
    means: a.means.map((row, j) => row.map((v, k) => weightOfA * v + wb * b.means[j]![k]!)),
    fitSeconds: a.fitSeconds + b.fitSeconds,
    // The singles' models: they own them (selectChampion disposes them once, through the singles).
    validated: { ...a.validated, ...b.validated },
  };
}

function scoreRun(run: CandidateRun, actual: number[][], scale: number, foldOf: readonly number[]): CandidateScore {
  let absErr = 0;
  let smape = 0;
  let n = 0;
  const foldErr: number[] = [];
  const foldN: number[] = [];
  run.means.forEach((row, j) =>
    row.forEach((yhat, k) => {
      const y = actual[j]![k]!;
      const e = Math.abs(y - yhat);
      absErr += e;
      const f = foldOf[j] ?? 0;
      foldErr[f] = (foldErr[f] ?? 0) + e;
      foldN[f] = (foldN[f] ?? 0) + 1;
      const den = Math.abs(y) + Math.abs(yhat);
      smape += den === 0 ? 0 : (2 * e) / den;
      n++;
    }),
  );
  // A constant fitting part has scale 0: fall back to MAE so candidates still compare.
  const per = (err: number, count: number) => (scale > 0 ? err / count / scale : err / count);
  const foldMase = foldErr.map((err, f) => per(err, foldN[f]!));
  return { name: run.name, description: run.description, mase: per(absErr, n), smape: (100 * smape) / n, foldMase, fitSeconds: run.fitSeconds };
}

function fitOptions(options: ChampionOptions): FitOptions {
  const { seasonLengths, levels, seed, calendar, deadlineMs, onProgress: _ignored } = options;
  return {
    ...(deadlineMs !== undefined ? { deadlineMs } : {}),
    ...(seasonLengths ? { seasonLengths } : {}),
    ...(levels ? { levels } : {}),
    ...(seed !== undefined ? { seed } : {}),
    ...(calendar ? { calendar } : {}),
  };
}

/** Markdown for the model card: the validation table behind the choice, and the notes. */
export function championCard(result: ChampionResult): string {
  const lines = ['## Champion selection (inner rolling backtest on the training data)', ''];
  if (result.table.length) {
    lines.push('| candidate | fitted | MASE | sMAPE % | fit s |', '|---|---|---:|---:|---:|');
    for (const row of result.table) {
      const mark = row.name === result.kind ? ' (champion)' : '';
      lines.push(
        row.error
          ? `| ${row.name} | failed: ${row.error} | | | |`
          : `| ${row.name}${mark} | ${row.description} | ${row.mase.toFixed(3)} | ${row.smape.toFixed(2)} | ${row.fitSeconds.toFixed(2)} |`,
      );
    }
    lines.push('');
  }
  lines.push(...result.notes.map((note) => `- ${note}`), '');
  return lines.join('\n');
}

function fmtCoverage(coverage: number[]): string {
  return coverage.length ? coverage.map((c) => c.toFixed(2)).join('/') : 'n/a';
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
