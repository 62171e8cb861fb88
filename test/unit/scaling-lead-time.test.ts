import { describe, expect, it } from 'vitest';
import { chooseLeadTime } from '../../src/scaling/lead-time.js';

describe('lead times', () => {
  it('uses the configured value until enough samples exist', () => {
    const lt = chooseLeadTime(90_000, [40_000, 50_000, 60_000]);
    expect(lt).toMatchObject({ ms: 90_000, source: 'configured', samples: 3 });
    expect(lt.description).toBe('configured 90s (3 of 5 samples)');
  });

  it('then a percentile of the newest valid samples', () => {
    const samples = [1e9, NaN, -5, 10_000, 20_000, 30_000, 40_000, 50_000, 60_000, 70_000, 80_000, 90_000, 100_000];
    const lt = chooseLeadTime(90_000, samples, { percentile: 90 });
    expect(lt.source).toBe('measured');
    expect(lt.samples).toBe(10);
    expect(lt.ms).toBe(91_000);
    expect(chooseLeadTime(90_000, samples, { percentile: 50 }).ms).toBe(55_000);
    // Only the newest maxSamples count: a drift towards slower start-ups shows.
    expect(chooseLeadTime(90_000, samples, { maxSamples: 5, percentile: 50 }).ms).toBe(80_000);
  });
});
