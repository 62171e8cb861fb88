/**
 * Numbers as Kubernetes quantity strings, the form ExternalMetricValue.value takes: whole numbers plain
 * ("12"), anything else in milli units ("1500m", "33m"), which is the precision the HPA reads
 * (`Quantity.MilliValue()`). The inverse is src/kube/quantity.ts. Left out: binary suffixes and exponents.
 */

/** `value` rounded to the nearest thousandth; throws RangeError for NaN and infinities (not a quantity). */
export function formatQuantity(value: number): string {
  if (!Number.isFinite(value)) throw new RangeError(`not a finite number: ${value}`);
  const milli = Math.round(value * 1000);
  if (!Number.isSafeInteger(milli)) {
    // Beyond 2^53 milli-units only whole numbers are exact anyway.
    return BigInt(Math.round(value)).toString();
  }
  if (milli === 0) return '0';
  return milli % 1000 === 0 ? String(milli / 1000) : `${milli}m`;
}
