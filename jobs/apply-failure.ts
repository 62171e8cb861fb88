/**
 * When a plan job's change cannot be applied (the Kubernetes API refused it, or kept failing past the retries),
 * the decision log still gets an entry saying so, with the API server's answer, before the error goes on to
 * the worker (which retries the job when the error is retryable).
 *
 * Left out: the retries themselves (src/kube/kube-request.ts) and scaling state (not saved: nothing changed).
 */
import type { ScalingDecision } from '../src/metrics/metrics-store.js';
import type { JobDeps } from './deps.js';

export async function recordFailedApply(deps: Pick<JobDeps, 'store' | 'logger'>, decision: ScalingDecision, error: unknown): Promise<never> {
  const message = error instanceof Error ? error.message : String(error);
  const notes = [decision.notes, `scale to ${decision.desiredReplicas} failed: ${message}`].filter(Boolean).join('; ');
  try {
    await deps.store.writeDecisions([{ ...decision, applied: false, notes }]);
  } catch (writeError) {
    deps.logger.warn({ target: decision.target, err: (writeError as Error).message }, 'decision of a failed apply not recorded');
  }
  throw error;
}
