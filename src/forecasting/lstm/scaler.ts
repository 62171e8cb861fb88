/** Standardisation with the training part's mean and standard deviation; a constant series keeps scale 1. */
export interface Scaler {
  mean: number;
  scale: number;
}

export function fitScaler(values: readonly number[]): Scaler {
  let sum = 0;
  for (const v of values) sum += v;
  const mean = sum / values.length;
  let squares = 0;
  for (const v of values) squares += (v - mean) ** 2;
  const sd = Math.sqrt(squares / values.length);
  return { mean, scale: sd > 1e-12 * Math.max(1, Math.abs(mean)) ? sd : 1 };
}

export function isConstant(values: readonly number[]): boolean {
  return values.every((v) => v === values[0]);
}

export function scaleValues(values: readonly number[], scaler: Scaler): Float64Array {
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = (values[i]! - scaler.mean) / scaler.scale;
  return out;
}
