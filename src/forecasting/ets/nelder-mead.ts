/**
 * Nelder-Mead simplex minimiser with the dimension-adaptive coefficients of Gao & Han (2012). Bounds are
 * handled by the caller through a smooth transform (see parameter-space.ts), so the search itself is
 * unconstrained. Derivative-free on purpose: the ETS likelihood is cheap to evaluate but its gradient
 * through 2016 seasonal states is not.
 */

export interface NelderMeadOptions {
  /** Initial step along each axis. Default 0.5 (in the transformed space). */
  step?: number;
  maxEvaluations?: number;
  /** Converged when the simplex's function values span less than fTolerance * (1 + |best|)... */
  fTolerance?: number;
  /** ...and the simplex is smaller than xTolerance along every axis (or a thousandth of it alone). */
  xTolerance?: number;
}

export interface NelderMeadResult {
  x: number[];
  f: number;
  evaluations: number;
  converged: boolean;
}

export function nelderMead(f: (x: number[]) => number, x0: number[], options: NelderMeadOptions = {}): NelderMeadResult {
  const d = x0.length;
  const step = options.step ?? 0.5;
  const maxEvaluations = options.maxEvaluations ?? 200 * d;
  const fTol = options.fTolerance ?? 1e-8;
  const xTol = options.xTolerance ?? 1e-4;
  const alpha = 1;
  const beta = 1 + 2 / d;
  const gamma = 0.75 - 1 / (2 * d);
  const delta = 1 - 1 / d;
  let evaluations = 0;
  const evaluate = (x: number[]): number => {
    evaluations++;
    const v = f(x);
    return Number.isFinite(v) ? v : Number.MAX_VALUE;
  };

  const simplex: number[][] = [x0.slice()];
  for (let i = 0; i < d; i++) {
    const x = x0.slice();
    x[i]! += step;
    simplex.push(x);
  }
  const values = simplex.map(evaluate);
  const order = (): void => {
    const idx = values.map((_, i) => i).sort((a, b) => values[a]! - values[b]!);
    const s = idx.map((i) => simplex[i]!);
    const v = idx.map((i) => values[i]!);
    for (let i = 0; i <= d; i++) {
      simplex[i] = s[i]!;
      values[i] = v[i]!;
    }
  };
  let converged = false;
  while (evaluations < maxEvaluations) {
    order();
    const spread = values[d]! - values[0]!;
    let size = 0;
    for (let i = 1; i <= d; i++) for (let j = 0; j < d; j++) size = Math.max(size, Math.abs(simplex[i]![j]! - simplex[0]![j]!));
    if ((spread <= fTol * (1 + Math.abs(values[0]!)) && size <= xTol) || size <= xTol * 1e-3) {
      converged = true;
      break;
    }
    const centroid = new Array<number>(d).fill(0);
    for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) centroid[j]! += simplex[i]![j]! / d;
    const worst = simplex[d]!;
    const along = (t: number): number[] => centroid.map((c, j) => c + t * (c - worst[j]!));
    const xr = along(alpha);
    const fr = evaluate(xr);
    if (fr < values[0]!) {
      const xe = along(alpha * beta);
      const fe = evaluate(xe);
      if (fe < fr) {
        simplex[d] = xe;
        values[d] = fe;
      } else {
        simplex[d] = xr;
        values[d] = fr;
      }
    } else if (fr < values[d - 1]!) {
      simplex[d] = xr;
      values[d] = fr;
    } else {
      const outside = fr < values[d]!;
      const xc = along(outside ? alpha * gamma : -gamma);
      const fc = evaluate(xc);
      if (fc < (outside ? fr : values[d]!)) {
        simplex[d] = xc;
        values[d] = fc;
      } else {
        for (let i = 1; i <= d; i++) {
          simplex[i] = simplex[i]!.map((v, j) => simplex[0]![j]! + delta * (v - simplex[0]![j]!));
          values[i] = evaluate(simplex[i]!);
        }
      }
    }
  }
  order();
  return { x: simplex[0]!, f: values[0]!, evaluations, converged };
}
