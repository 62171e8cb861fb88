/**
 * The loess smoother of STL (Cleveland, Cleveland, McRae & Terpenning 1990), ported from the netlib
 * Fortran `stl.f` (routines stlest and stless) that R's stl() and statsmodels' STL also run, but 0-based.
 * Tricube weights over a window of `len` points, local degree 0 or 1, optional robustness weights, and
 * "jumps": the fit is computed every `jump` points and linearly interpolated in between, which is what keeps
 * a 3,000-point trend window cheap.
 *
 * Left out on purpose: degree 2 (STL never needs it) and irregular abscissae (the points are 0, 1, ..., n-1).
 */

/**
 * The local fit at abscissa `xs` from points [nleft, nright] (inclusive, 0-based) of `y`. Returns NaN when
 * every weight is zero (the caller substitutes the data value). `w` is scratch of length >= y's.
 */
export function loessAt(
  y: Float64Array,
  n: number,
  len: number,
  degree: number,
  xs: number,
  nleft: number,
  nright: number,
  w: Float64Array,
  robustness: Float64Array | undefined,
): number {
  const range = n - 1;
  let h = Math.max(xs - nleft, nright - xs);
  if (len > n) h += Math.floor((len - n) / 2);
  const h9 = 0.999 * h;
  const h1 = 0.001 * h;
  let total = 0;
  for (let j = nleft; j <= nright; j++) {
    let wj = 0;
    const r = Math.abs(j - xs);
    if (r <= h9) {
      if (r <= h1) wj = 1;
      else {
        const q = r / h;
        const c = 1 - q * q * q;
        wj = c * c * c;
      }
      if (robustness) wj *= robustness[j]!;
      total += wj;
    }
    w[j] = wj;
  }
  if (total <= 0) return Number.NaN;
  for (let j = nleft; j <= nright; j++) w[j]! /= total;
  if (h > 0 && degree > 0) {
    // Local linear fit written as re-weighting (the Fortran's trick): weights w_j (1 + b (j - a)).
    let a = 0;
    for (let j = nleft; j <= nright; j++) a += w[j]! * j;
    let b = xs - a;
    let c = 0;
    for (let j = nleft; j <= nright; j++) c += w[j]! * (j - a) * (j - a);
    if (Math.sqrt(c) > 0.001 * range) {
      b /= c;
      for (let j = nleft; j <= nright; j++) w[j]! *= b * (j - a) + 1;
    }
  }
  let ys = 0;
  for (let j = nleft; j <= nright; j++) ys += w[j]! * y[j]!;
  return ys;
}

/**
 * Smooths the first `n` points of `y` into `out` (length >= n) with a loess window of `len` points,
 * evaluated every `jump` points and interpolated linearly between them.
 */
export function loessSmooth(
  y: Float64Array,
  n: number,
  len: number,
  degree: number,
  jump: number,
  robustness: Float64Array | undefined,
  out: Float64Array,
  scratch: Float64Array,
  outOffset = 0,
): void {
  if (n < 2) {
    out[outOffset] = y[0]!;
    return;
  }
  const step = Math.max(1, Math.min(jump, n - 1));
  const at = (i: number, nleft: number, nright: number) => {
    let v = loessAt(y, n, len, degree, i, nleft, nright, scratch, robustness);
    // Every robustness weight in the window is 0 (a short weekly cycle-subseries whose points all sit
    // near a spike): the Fortran keeps the raw value, which puts the spike into the season. Smooth
    // without the robustness weights instead.
    if (Number.isNaN(v) && robustness) v = loessAt(y, n, len, degree, i, nleft, nright, scratch, undefined);
    out[outOffset + i] = Number.isNaN(v) ? y[i]! : v;
  };
  if (len >= n) {
    for (let i = 0; i < n; i += step) at(i, 0, n - 1);
  } else if (step === 1) {
    const half = Math.floor((len + 1) / 2);
    let nleft = 0;
    let nright = len - 1;
    for (let i = 0; i < n; i++) {
      if (i + 1 > half && nright !== n - 1) {
        nleft++;
        nright++;
      }
      at(i, nleft, nright);
    }
  } else {
    const half = Math.floor((len + 1) / 2);
    for (let i = 0; i < n; i += step) {
      // 1-based i+1 as in the Fortran: the window is centred unless it would run off either end.
      const i1 = i + 1;
      let nleft: number;
      let nright: number;
      if (i1 < half) {
        nleft = 0;
        nright = len - 1;
      } else if (i1 >= n - half + 1) {
        nleft = n - len;
        nright = n - 1;
      } else {
        nleft = i1 - half;
        nright = len + i1 - half - 1;
      }
      at(i, nleft, nright);
    }
  }
  if (step !== 1) {
    for (let i = 0; i + step < n; i += step) {
      const a = out[outOffset + i]!;
      const delta = (out[outOffset + i + step]! - a) / step;
      for (let j = i + 1; j < i + step; j++) out[outOffset + j] = a + delta * (j - i);
    }
    const k = Math.floor((n - 1) / step) * step;
    if (k !== n - 1) {
      at(n - 1, Math.max(0, n - len), n - 1);
      if (k !== n - 2) {
        const a = out[outOffset + k]!;
        const delta = (out[outOffset + n - 1]! - a) / (n - 1 - k);
        for (let j = k + 1; j < n - 1; j++) out[outOffset + j] = a + delta * (j - k);
      }
    }
  }
}
