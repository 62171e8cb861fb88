/**
 * A small per-process cache whose entries live `ttlMs` of an injected clock's time, so a replay clock drives
 * expiry in tests as wall time does in production. Callers that ask while a load is in flight share it
 * (one API call however many ticks ask at once).
 *
 * Failures: with a `fallback`, a failed load is answered by fallback(error, last good value) and that answer
 * is kept for the TTL too (a failing dependency is asked once per TTL, not once per caller); without one the
 * promise rejects and nothing is kept.
 *
 * Left out: size bounds and eviction (keys are few and known: namespaces, targets), and invalidation.
 */
import type { Clock } from './clock.js';

interface Entry<V> {
  at: number;
  value: Promise<V>;
  /** The last value a load returned (kept across expiry for the fallback). */
  good?: { value: V };
}

export class TtlCache<K, V> {
  private readonly entries = new Map<K, Entry<V>>();

  constructor(
    private readonly clock: Clock,
    readonly ttlMs: number,
  ) {
    if (!(ttlMs > 0)) throw new RangeError(`ttlMs must be > 0, got ${ttlMs}`);
  }

  get(key: K, load: () => Promise<V>, fallback?: (error: unknown, lastGood: V | undefined) => V): Promise<V> {
    const now = this.clock.now();
    const hit = this.entries.get(key);
    if (hit && now - hit.at < this.ttlMs) return hit.value;
    const entry: Entry<V> = { at: now, value: Promise.resolve(undefined as V), ...(hit?.good ? { good: hit.good } : {}) };
    entry.value = load().then(
      (value) => {
        entry.good = { value };
        return value;
      },
      (error: unknown) => {
        if (!fallback) {
          if (this.entries.get(key) === entry) this.entries.delete(key);
          throw error;
        }
        return fallback(error, entry.good?.value);
      },
    );
    this.entries.set(key, entry);
    return entry.value;
  }
}
