import { z } from 'zod';
import { InputError } from '../core/errors.js';
import { DEFAULT_LEVELS, type FittedModel, type Forecast, type ModelArtefact, type PredictionInterval } from './forecaster.js';

/**
 * Split-conformal prediction intervals, per lead step. Whatever a model believes about its own errors,
 * the intervals it ships are mean +/- the empirical quantile of its absolute errors at that lead, measured
 * by an inner rolling backtest on the training data only (see champion.ts). With n residuals the half
 * width for level L is the ceil((n+1) L)-th smallest: the finite-sample conformal rule.
 *
 * Left out: adaptive (online) conformal and level-dependent scaling; beyond the calibrated horizon the
 * last lead's width grows with sqrt(lead / horizon) and a note says so.
 */

export const CONFORMAL_KIND = 'conformal';
export const CONFORMAL_FORMAT_VERSION = 1;

export interface ConformalTable {
  /** Levels in percent. */
  levels: number[];
  /** halfWidths[i][k]: half width for levels[i] at lead k+1. */
  halfWidths: number[][];
  /** Residuals per lead step behind each quantile. */
  samples: number;
  /** Bounds are clamped at 0 (the training data had no negative value). */
  clampAtZero: boolean;
}

const tableSchema = z.object({
  levels: z.array(z.number().positive().lt(100)),
  halfWidths: z.array(z.array(z.number().nonnegative()).min(1)),
  samples: z.number().int().nonnegative(),
  clampAtZero: z.boolean(),
});

/**
 * Builds the table from absolute residuals: `absResiduals[j][k]` is |y - yhat| of validation origin j at
 * lead k+1 (every origin has the same number of leads).
 */
export function conformalTable(absResiduals: readonly (readonly number[])[], levels: readonly number[], clampAtZero: boolean): ConformalTable {
  if (absResiduals.length === 0) throw new Error('conformal calibration needs at least one validation origin');
  const leads = absResiduals[0]!.length;
  const n = absResiduals.length;
  const halfWidths = levels.map(() => new Array<number>(leads).fill(0));
  const column = new Float64Array(n);
  for (let k = 0; k < leads; k++) {
    for (let j = 0; j < n; j++) column[j] = Math.abs(absResiduals[j]![k]!);
    column.sort();
    levels.forEach((level, i) => {
      const rank = Math.min(n, Math.ceil(((n + 1) * level) / 100));
      halfWidths[i]![k] = column[Math.max(0, rank - 1)]!;
    });
  }
  return { levels: [...levels], halfWidths, samples: n, clampAtZero };
}

/** Half width for `level` at lead k (1-based), or undefined when the table has no such level. */
export function halfWidthAt(table: ConformalTable, level: number, lead: number): number | undefined {
  const i = table.levels.indexOf(level);
  if (i < 0) return undefined;
  const widths = table.halfWidths[i]!;
  if (lead <= widths.length) return widths[lead - 1]!;
  return widths[widths.length - 1]! * Math.sqrt(lead / widths.length);
}

/** A fitted model whose intervals come from a conformal table; the mean is the inner model's. */
export class ConformalModel implements FittedModel {
  readonly kind = CONFORMAL_KIND;
  readonly description: string;

  constructor(
    readonly inner: FittedModel,
    readonly table: ConformalTable,
  ) {
    this.description = `conformal(${inner.description})`;
  }

  get lastObservedMs(): number {
    return this.inner.lastObservedMs;
  }

  get stepMs(): number {
    return this.inner.stepMs;
  }

  predict(h: number, levels: number[] = [...DEFAULT_LEVELS]): Forecast {
    const missing = levels.filter((l) => !this.table.levels.includes(l));
    const base = this.inner.predict(h, missing);
    const notes = [...base.notes];
    const clamp = (v: number) => (this.table.clampAtZero ? Math.max(0, v) : v);
    const mean = base.mean.map(clamp);
    if (h > this.table.halfWidths[0]!.length) {
      notes.push(`intervals calibrated up to ${this.table.halfWidths[0]!.length} steps; later leads widened by sqrt(lead)`);
    }
    const intervals: PredictionInterval[] = levels.map((level) => {
      if (!this.table.levels.includes(level)) {
        notes.push(`level ${level} is not calibrated: the model's own interval`);
        return base.intervals.find((i) => i.level === level)!;
      }
      const lower: number[] = [];
      const upper: number[] = [];
      for (let k = 1; k <= h; k++) {
        const w = halfWidthAt(this.table, level, k)!;
        lower.push(clamp(mean[k - 1]! - w));
        upper.push(clamp(mean[k - 1]! + w));
      }
      return { level, lower, upper };
    });
    return { ...base, mean, intervals, model: this.description, notes };
  }

  update(values: number[]): FittedModel {
    return new ConformalModel(this.inner.update(values), this.table);
  }

  toArtefact(): ModelArtefact {
    const inner = this.inner.toArtefact();
    const { blobs, ...innerWithoutBlobs } = inner;
    return {
      kind: CONFORMAL_KIND,
      formatVersion: CONFORMAL_FORMAT_VERSION,
      params: { table: this.table, inner: innerWithoutBlobs },
      trainedOn: inner.trainedOn,
      metrics: inner.metrics,
      // The inner model's blobs are lifted so a store writes every blob as a file of its own.
      ...(blobs ? { blobs } : {}),
    };
  }
}

/** Rebuilds a ConformalModel; `loadInner` loads the wrapped model's artefact (any kind). */
export async function loadConformal(
  artefact: ModelArtefact,
  loadInner: (a: ModelArtefact) => Promise<FittedModel>,
): Promise<FittedModel> {
  if (artefact.formatVersion !== CONFORMAL_FORMAT_VERSION) {
    throw new InputError(`${CONFORMAL_KIND} artefact formatVersion ${artefact.formatVersion} is not supported (known: 1)`);
  }
  const params = z.object({ table: tableSchema, inner: z.object({ kind: z.string() }).passthrough() }).safeParse(artefact.params);
  if (!params.success) throw new InputError(`${CONFORMAL_KIND} artefact params are invalid: ${params.error.message}`);
  const inner = { ...(params.data.inner as unknown as ModelArtefact), ...(artefact.blobs ? { blobs: artefact.blobs } : {}) };
  return new ConformalModel(await loadInner(inner), params.data.table);
}
