/**
 * Self-healing: service checks that keep failing trigger a redeploy (a rolling restart through the pod
 * template annotation, done by the cluster actuator). The decision is pure; the probes are small I/O
 * functions taking a fetch-like, so tests and the simulator inject their own.
 */
import type { WorkloadState } from '../cluster/cluster.js';

export interface HealingOptions {
  /** Consecutive failed checks that trigger a redeploy. */
  failureThreshold: number;
  /** No two redeploys of a workload closer than this, ms (the new pods need time to prove themselves). */
  minIntervalMs: number;
  /** At most this many redeploys within `windowMs`; beyond it a person must look (recorded as an alert). */
  maxPerWindow: number;
  /** The rate-limit window, ms. */
  windowMs: number;
}

export const DEFAULT_HEALING: HealingOptions = { failureThreshold: 3, minIntervalMs: 600_000, maxPerWindow: 3, windowMs: 3_600_000 };

/** Carried between checks; JSON-serialisable. */
export interface HealingState {
  consecutiveFailures: number;
  /** Epoch ms of recent redeploys, oldest first. */
  redeploys: number[];
}

export interface CheckResult {
  ok: boolean;
  /** "HTTP 503 in 120 ms", "2 of 5 pods ready (40% < 60%)". */
  detail: string;
}

export interface HealingDecision {
  action: 'none' | 'redeploy' | 'hold';
  /** Why, in words; for `hold`: what stopped the redeploy. */
  reason: string;
  /** True when the rate limit stopped a needed redeploy (a person should look). */
  alert: boolean;
  state: HealingState;
}

export function initialHealingState(): HealingState {
  return { consecutiveFailures: 0, redeploys: [] };
}

/**
 * One check's outcome -> what to do. Failures count up; a success resets them. At the threshold, a
 * redeploy, unless a rollout is already in progress (which restarts pods anyway and often is why checks
 * fail), the last redeploy was too recent, or the window's budget is spent.
 */
export function decideHealing(now: number, check: CheckResult, rolloutInProgress: boolean, previous: HealingState | null, options: HealingOptions = DEFAULT_HEALING): HealingDecision {
  const prior = previous ?? initialHealingState();
  const redeploys = prior.redeploys.filter((t) => t > now - Math.max(options.windowMs, options.minIntervalMs));
  if (check.ok) return { action: 'none', reason: `check passed: ${check.detail}`, alert: false, state: { consecutiveFailures: 0, redeploys } };
  const failures = prior.consecutiveFailures + 1;
  const state = { consecutiveFailures: failures, redeploys };
  if (failures < options.failureThreshold) {
    return { action: 'none', reason: `check failed ${failures} of ${options.failureThreshold} times: ${check.detail}`, alert: false, state };
  }
  if (rolloutInProgress) return { action: 'hold', reason: `check failed ${failures} times but a rollout is in progress`, alert: false, state };
  const last = redeploys[redeploys.length - 1];
  if (last !== undefined && now - last < options.minIntervalMs) {
    return { action: 'hold', reason: `check failed ${failures} times; last redeploy ${Math.round((now - last) / 1000)} s ago (< ${options.minIntervalMs / 1000} s)`, alert: false, state };
  }
  const inWindow = redeploys.filter((t) => t > now - options.windowMs).length;
  if (inWindow >= options.maxPerWindow) {
    return { action: 'hold', reason: `check failed ${failures} times; ${inWindow} redeploys within ${options.windowMs / 1000} s already: needs a person`, alert: true, state };
  }
  return {
    action: 'redeploy',
    reason: `redeploy: check failed ${failures} times in a row: ${check.detail}`,
    alert: false,
    state: { consecutiveFailures: 0, redeploys: [...redeploys, now] },
  };
}

/** The part of `fetch` a probe needs. */
export type FetchLike = (url: string, init: { signal: AbortSignal; method: string }) => Promise<{ status: number }>;

/**
 * An HTTP probe: healthy when it answers 200-399 within `timeoutMs`. Never throws; a network error or a
 * timeout is a failed check. `clock` measures the latency (injected so tests are deterministic).
 */
export async function probeHttp(url: string, fetchLike: FetchLike, timeoutMs = 2_000, clock: () => number = () => performance.now()): Promise<CheckResult> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  const t0 = clock();
  try {
    const response = await fetchLike(url, { signal: controller.signal, method: 'GET' });
    const ms = Math.round(clock() - t0);
    const ok = response.status >= 200 && response.status < 400;
    return { ok, detail: `HTTP ${response.status} in ${ms} ms from ${url}` };
  } catch (error) {
    const detail = controller.signal.aborted ? `no answer within ${timeoutMs} ms from ${url}` : `${(error as Error).message} from ${url}`;
    return { ok: false, detail };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The ready-ratio check: healthy when at least `minRatio` of the wanted replicas are Ready. During a
 * rollout or just after a scale-up pods are legitimately not Ready; the decision's threshold absorbs that.
 */
export function readyRatioCheck(workload: WorkloadState, minRatio = 0.6): CheckResult {
  if (workload.desiredReplicas === 0) return { ok: true, detail: 'scaled to zero' };
  const ratio = workload.readyReplicas / workload.desiredReplicas;
  const detail = `${workload.readyReplicas} of ${workload.desiredReplicas} pods ready (${Math.round(ratio * 100)}%${ratio < minRatio ? ` < ${Math.round(minRatio * 100)}%` : ''})`;
  return { ok: ratio >= minRatio, detail };
}
