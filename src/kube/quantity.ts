/**
 * Kubernetes resource quantities ("250m", "123456789n", "512Mi", "1.5G", "1e3") to plain numbers in base
 * units (cores, bytes). client-node 1.4 has a `quantityToScalar`, but its package index does not export it,
 * and it answers bigints for large values; the planner wants floats.
 */
import { InputError } from '../core/errors.js';

const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DECIMAL: Record<string, number> = { n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };

const QUANTITY = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E))?$/;

/** A quantity in base units; throws InputError naming the bad value. */
export function parseQuantity(quantity: string): number {
  const match = QUANTITY.exec(quantity.trim());
  if (!match) throw new InputError(`not a Kubernetes quantity: ${JSON.stringify(quantity)}`);
  const [, number, exponent, suffix = ''] = match;
  const value = Number(number);
  if (exponent) return value * 10 ** Number(exponent.slice(1));
  return value * (BINARY[suffix] ?? DECIMAL[suffix]!);
}

export const BYTES_PER_MIB = 2 ** 20;
