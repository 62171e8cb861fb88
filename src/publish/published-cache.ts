/**
 * The in-memory copy of every target's published plan that an API replica serves from. The HPA controller
 * calls the external metrics API serially for every HPA in the cluster, so answers must come from memory:
 * a refresh loop reloads the whole hash every `refreshMs` (default 2 s, well under the HPA's 15 s sync).
 * A failed refresh keeps the last good copy and is reported by `age()`.
 */
import type { Logger } from '../core/logger.js';
import type { PublishedPlan } from './published-plan.js';
import type { PublishedPlanStore } from './published-plan-store.js';

export interface PublishedCache {
  get(target: string): PublishedPlan | undefined;
  all(): PublishedPlan[];
  /** Epoch ms of the last successful refresh (0 before the first). */
  refreshedAt(): number;
  /** Reloads now (also called by the loop). */
  refresh(): Promise<void>;
  stop(): void;
}

export function startPublishedCache(store: PublishedPlanStore, options: { refreshMs?: number; logger?: Logger; now?: () => number } = {}): PublishedCache {
  let plans = new Map<string, PublishedPlan>();
  let refreshedAt = 0;
  let inFlight: Promise<void> | null = null;
  const now = options.now ?? Date.now;
  const refresh = (): Promise<void> => {
    inFlight ??= store
      .all()
      .then((next) => {
        plans = next;
        refreshedAt = now();
      })
      .catch((error: unknown) => {
        options.logger?.warn({ err: (error as Error).message }, 'published plans refresh failed; serving the last good copy');
      })
      .finally(() => {
        inFlight = null;
      });
    return inFlight;
  };
  const timer = setInterval(() => void refresh(), options.refreshMs ?? 2_000);
  timer.unref();
  void refresh();
  return {
    get: (target) => plans.get(target),
    all: () => [...plans.values()],
    refreshedAt: () => refreshedAt,
    refresh,
    stop: () => clearInterval(timer),
  };
}
