import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/core/errors.js';
import { parseQuantity } from '../../src/kube/quantity.js';

describe('parseQuantity (Kubernetes resource quantities)', () => {
  it.each([
    ['250m', 0.25],
    ['123456789n', 0.123456789],
    ['1500u', 0.0015],
    ['2', 2],
    ['1.5', 1.5],
    ['.5', 0.5],
    ['100k', 100_000],
    ['1M', 1_000_000],
    ['1G', 1e9],
    ['512Mi', 512 * 2 ** 20],
    ['15150460Ki', 15150460 * 1024],
    ['1Gi', 2 ** 30],
    ['1e3', 1000],
    ['12E-1', 1.2],
    ['2E', 2e18],
  ])('%s = %d', (text, expected) => {
    expect(parseQuantity(text)).toBeCloseTo(expected, 12);
  });

  it.each(['', 'abc', '1 Gi', '1mi', '1KiB', 'Mi', '--1'])('rejects %j', (text) => {
    expect(() => parseQuantity(text)).toThrow(InputError);
  });
});
