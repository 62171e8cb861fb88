import { loessAt, loessSmooth } from './loess.js';

/**
 * STL: seasonal-trend decomposition by loess (Cleveland et al. 1990), y = trend + season + remainder, as the
 * netlib Fortran (stlstp, stlss, stlfts, stlrwt) that R's stl() runs, with R's defaults: seasonal degree 0,
 * trend and low-pass degree 1, windows from the seasonal window, jumps of a tenth of each window. Robust
 * mode (outer loops with bisquare weights on the remainder) keeps a spike or an outage out of the seasonal
 * profile and the trend.
 *
 * Left out on purpose: missing values (the series is on a regular grid and already filled).
 */

export interface StlOptions {
  period: number;
  /** Seasonal loess window in cycles (odd, >= 3); R's mstl uses 7 + 4 i for the i-th period. */
  seasonalWindow: number;
  /** Trend window in points; default the smallest odd >= 1.5 period / (1 - 1.5 / seasonalWindow). */
  trendWindow?: number;
  /** Inner iterations; default 2 without robustness, 1 with. */
  inner?: number;
  /** Robustness (outer) iterations; 0 = not robust. */
  outer?: number;
}

export interface StlResult {
  seasonal: Float64Array;
  trend: Float64Array;
  /** Robustness weights of the last pass (all 1 when not robust). */
  weights: Float64Array;
}

const nextOdd = (x: number) => {
  const r = Math.ceil(x);
  return r % 2 === 0 ? r + 1 : r;
};

export function stl(y: Float64Array, options: StlOptions): StlResult {
  const n = y.length;
  const np = options.period;
  if (!(np >= 2) || n < 2 * np) throw new RangeError(`STL needs at least two periods of ${np} points, got ${n}`);
  const ns = Math.max(3, nextOdd(options.seasonalWindow));
  const nt = Math.max(3, nextOdd(options.trendWindow ?? (1.5 * np) / (1 - 1.5 / ns)));
  const nl = Math.max(3, nextOdd(np));
  const outer = options.outer ?? 0;
  const inner = options.inner ?? (outer > 0 ? 1 : 2);
  const jumps = { s: Math.ceil(ns / 10), t: Math.ceil(nt / 10), l: Math.ceil(nl / 10) };

  const trend = new Float64Array(n);
  const seasonal = new Float64Array(n);
  const weights = new Float64Array(n).fill(1);
  const work = new Workspace(n, np, ns);
  let robust = false;
  for (let k = 0; ; k++) {
    for (let pass = 0; pass < inner; pass++) innerPass(y, np, ns, nt, nl, jumps, robust ? weights : undefined, trend, seasonal, work);
    if (k >= outer) break;
    robustnessWeights(y, trend, seasonal, weights);
    robust = true;
  }
  if (outer <= 0) weights.fill(1);
  return { seasonal, trend, weights };
}

class Workspace {
  readonly detrended: Float64Array;
  readonly cycle: Float64Array;
  readonly lowPass: Float64Array;
  readonly ma1: Float64Array;
  readonly smoothLow: Float64Array;
  readonly deseason: Float64Array;
  readonly scratch: Float64Array;
  readonly sub: Float64Array;
  readonly subSmooth: Float64Array;
  readonly subWeights: Float64Array;
  readonly subScratch: Float64Array;

  constructor(n: number, np: number, ns: number) {
    this.detrended = new Float64Array(n);
    this.cycle = new Float64Array(n + 2 * np);
    this.lowPass = new Float64Array(n + 2 * np);
    this.ma1 = new Float64Array(n + 2 * np);
    this.smoothLow = new Float64Array(n);
    this.deseason = new Float64Array(n);
    this.scratch = new Float64Array(n);
    const k = Math.ceil(n / np) + 2;
    this.sub = new Float64Array(k);
    this.subSmooth = new Float64Array(k + 2);
    this.subWeights = new Float64Array(k);
    this.subScratch = new Float64Array(Math.max(k, ns) + 2);
  }
}

function innerPass(
  y: Float64Array,
  np: number,
  ns: number,
  nt: number,
  nl: number,
  jumps: { s: number; t: number; l: number },
  robustness: Float64Array | undefined,
  trend: Float64Array,
  seasonal: Float64Array,
  w: Workspace,
): void {
  const n = y.length;
  for (let i = 0; i < n; i++) w.detrended[i] = y[i]! - trend[i]!;
  cycleSubseries(w.detrended, n, np, ns, jumps.s, robustness, w);
  // Low-pass filter of the cycle-subseries smooth: moving averages of np, np and 3, then a loess.
  movingAverage(w.cycle, n + 2 * np, np, w.ma1);
  movingAverage(w.ma1, n + np + 1, np, w.lowPass);
  movingAverage(w.lowPass, n + 2, 3, w.ma1);
  loessSmooth(w.ma1, n, nl, 1, jumps.l, undefined, w.smoothLow, w.scratch);
  for (let i = 0; i < n; i++) {
    seasonal[i] = w.cycle[np + i]! - w.smoothLow[i]!;
    w.deseason[i] = y[i]! - seasonal[i]!;
  }
  loessSmooth(w.deseason, n, nt, 1, jumps.t, robustness, trend, w.scratch);
}

/** Smooths each cycle-subseries (degree 0) and extends it one cycle both ways: w.cycle has n + 2 np points. */
function cycleSubseries(x: Float64Array, n: number, np: number, ns: number, jump: number, robustness: Float64Array | undefined, w: Workspace): void {
  for (let j = 0; j < np; j++) {
    const k = Math.floor((n - j - 1) / np) + 1;
    for (let i = 0; i < k; i++) {
      w.sub[i] = x[i * np + j]!;
      if (robustness) w.subWeights[i] = robustness[i * np + j]!;
    }
    const rw = robustness ? w.subWeights : undefined;
    loessSmooth(w.sub, k, ns, 0, jump, rw, w.subSmooth, w.subScratch, 1);
    const before = extendAt(w.sub, k, ns, -1, 0, Math.min(ns, k) - 1, w.subScratch, rw);
    w.subSmooth[0] = Number.isNaN(before) ? w.subSmooth[1]! : before;
    const after = extendAt(w.sub, k, ns, k, Math.max(0, k - ns), k - 1, w.subScratch, rw);
    w.subSmooth[k + 1] = Number.isNaN(after) ? w.subSmooth[k]! : after;
    for (let m = 0; m < k + 2; m++) w.cycle[m * np + j] = w.subSmooth[m]!;
  }
}

/** The degree-0 fit one cycle before or after a subseries; without robustness weights when they are all 0. */
function extendAt(sub: Float64Array, k: number, ns: number, xs: number, nleft: number, nright: number, scratch: Float64Array, rw: Float64Array | undefined): number {
  const v = loessAt(sub, k, ns, 0, xs, nleft, nright, scratch, rw);
  return Number.isNaN(v) && rw ? loessAt(sub, k, ns, 0, xs, nleft, nright, scratch, undefined) : v;
}

/** Running mean of `len` points over x[0 .. n-1] into out[0 .. n-len]. */
function movingAverage(x: Float64Array, n: number, len: number, out: Float64Array): void {
  let v = 0;
  for (let i = 0; i < len; i++) v += x[i]!;
  out[0] = v / len;
  for (let j = 1; j <= n - len; j++) {
    v += x[j + len - 1]! - x[j - 1]!;
    out[j] = v / len;
  }
}

/** Bisquare weights on |remainder| / (6 * median |remainder|). */
function robustnessWeights(y: Float64Array, trend: Float64Array, seasonal: Float64Array, weights: Float64Array): void {
  const n = y.length;
  const r = new Float64Array(n);
  for (let i = 0; i < n; i++) r[i] = Math.abs(y[i]! - trend[i]! - seasonal[i]!);
  const sorted = Float64Array.from(r).sort();
  const mid = n % 2 === 1 ? sorted[(n - 1) / 2]! : (sorted[n / 2 - 1]! + sorted[n / 2]!) / 2;
  const cmad = 6 * mid;
  const c9 = 0.999 * cmad;
  const c1 = 0.001 * cmad;
  for (let i = 0; i < n; i++) {
    const v = r[i]!;
    if (v <= c1) weights[i] = 1;
    else if (v <= c9) {
      const q = v / cmad;
      const c = 1 - q * q;
      weights[i] = c * c;
    } else weights[i] = 0;
  }
}
