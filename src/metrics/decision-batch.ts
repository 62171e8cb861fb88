/**
 * Scaling decisions written in batches: the plan ticks in flight (jobs/plan-serial.ts) each write one decision;
 * the ones that arrive within a few milliseconds go to the store as one write (bench:fleet: one InfluxDB write
 * per tick, 2,000 per 15 s at 1,000 targets). Each caller's promise still settles only once its decision is
 * written (or buffered by the write-behind store), so "decision written" keeps meaning what it did.
 *
 * Bad input fails only the call that brought it (validated before batching); a store error fails the batch.
 */
import type { MetricsStore, ScalingDecision } from './metrics-store.js';
import { validateDecisions } from './validate.js';

/** How long the first decision of a batch waits for others. */
export const DECISION_BATCH_WINDOW_MS = 5;
/** A batch this large is written at once. */
export const DECISION_BATCH_MAX = 500;

export function batchDecisionWrites<S extends MetricsStore>(store: S, windowMs = DECISION_BATCH_WINDOW_MS): S {
  let pending: { decisions: ScalingDecision[]; resolve: () => void; reject: (error: unknown) => void }[] = [];
  let count = 0;
  let timer: NodeJS.Timeout | null = null;
  let inFlight: Promise<void> = Promise.resolve();

  const flush = () => {
    if (timer) clearTimeout(timer);
    timer = null;
    const batch = pending;
    pending = [];
    count = 0;
    if (batch.length === 0) return;
    inFlight = store.writeDecisions(batch.flatMap((b) => b.decisions)).then(
      () => batch.forEach((b) => b.resolve()),
      (error: unknown) => batch.forEach((b) => b.reject(error)),
    );
  };

  return {
    ...store,
    writeDecisions(decisions: ScalingDecision[]) {
      validateDecisions(decisions);
      if (decisions.length === 0) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        pending.push({ decisions, resolve, reject });
        count += decisions.length;
        if (count >= DECISION_BATCH_MAX) flush();
        else timer ??= setTimeout(flush, windowMs);
      });
    },
    async close() {
      flush();
      await inFlight;
      await store.close();
    },
  };
}
