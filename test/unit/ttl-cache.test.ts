/** The injected-clock TTL cache (src/core/ttl-cache.ts): expiry on clock time, shared in-flight loads, fallbacks. */
import { describe, expect, it } from 'vitest';
import { ReplayClock } from '../../src/core/clock.js';
import { TtlCache } from '../../src/core/ttl-cache.js';

const T0 = Date.UTC(2026, 0, 5);

describe('TtlCache', () => {
  it('loads once per key per TTL of clock time, then again', async () => {
    const clock = new ReplayClock(T0);
    const cache = new TtlCache<string, number>(clock, 60_000);
    let loads = 0;
    const load = async () => ++loads;
    expect(await cache.get('a', load)).toBe(1);
    clock.advanceBy(59_999);
    expect(await cache.get('a', load)).toBe(1);
    expect(await cache.get('b', load)).toBe(2);
    clock.advanceBy(1);
    expect(await cache.get('a', load)).toBe(3);
    expect(loads).toBe(3);
  });

  it('callers asking while a load is in flight share it', async () => {
    const cache = new TtlCache<string, string>(new ReplayClock(T0), 1_000);
    let loads = 0;
    let release!: (v: string) => void;
    const load = () => {
      loads += 1;
      return new Promise<string>((resolve) => (release = resolve));
    };
    const both = Promise.all([cache.get('k', load), cache.get('k', load)]);
    release('v');
    expect(await both).toEqual(['v', 'v']);
    expect(loads).toBe(1);
  });

  it('without a fallback a failure rejects and is not kept', async () => {
    const cache = new TtlCache<string, number>(new ReplayClock(T0), 60_000);
    await expect(cache.get('k', async () => Promise.reject(new Error('down')))).rejects.toThrow('down');
    expect(await cache.get('k', async () => 7)).toBe(7);
  });

  it('with a fallback a failure answers from the last good value, and that answer is kept for the TTL', async () => {
    const clock = new ReplayClock(T0);
    const cache = new TtlCache<string, string>(clock, 60_000);
    const seen: (string | undefined)[] = [];
    const fallback = (error: unknown, lastGood: string | undefined) => {
      seen.push(lastGood);
      return `stale ${lastGood ?? 'none'} (${(error as Error).message})`;
    };
    let fails = 0;
    const failing = async () => {
      fails += 1;
      throw new Error('503');
    };
    expect(await cache.get('k', failing, fallback)).toBe('stale none (503)');
    clock.advanceBy(60_000);
    expect(await cache.get('k', async () => 'fresh', fallback)).toBe('fresh');
    clock.advanceBy(60_000);
    expect(await cache.get('k', failing, fallback)).toBe('stale fresh (503)');
    // Kept: the failing dependency is not asked again within the TTL.
    expect(await cache.get('k', failing, fallback)).toBe('stale fresh (503)');
    expect(fails).toBe(2);
    clock.advanceBy(60_000);
    // The last good value survives a failed period.
    expect(await cache.get('k', failing, fallback)).toBe('stale fresh (503)');
    expect(seen).toEqual([undefined, 'fresh', 'fresh']);
  });

  it('refuses a TTL that is not > 0', () => {
    expect(() => new TtlCache(new ReplayClock(T0), 0)).toThrow('ttlMs');
  });
});
