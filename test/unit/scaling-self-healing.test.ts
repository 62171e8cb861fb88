import { describe, expect, it } from 'vitest';
import { decideHealing, probeHttp, readyRatioCheck, type HealingState } from '../../src/scaling/self-healing.js';

const fail = { ok: false, detail: 'HTTP 503 in 12 ms' };
const pass = { ok: true, detail: 'HTTP 200 in 8 ms' };

describe('self-healing decisions', () => {
  it('redeploys after N failures in a row; a success resets the count', () => {
    let state: HealingState | null = null;
    const actions: string[] = [];
    for (const [i, check] of [fail, fail, pass, fail, fail, fail].entries()) {
      const d = decideHealing(i * 15_000, check, false, state);
      actions.push(d.action);
      state = d.state;
    }
    expect(actions).toEqual(['none', 'none', 'none', 'none', 'none', 'redeploy']);
    expect(state).toEqual({ consecutiveFailures: 0, redeploys: [75_000] });
    expect(decideHealing(0, fail, false, { consecutiveFailures: 2, redeploys: [] }).reason).toBe('redeploy: check failed 3 times in a row: HTTP 503 in 12 ms');
  });

  it('never during a rollout in progress', () => {
    const d = decideHealing(0, fail, true, { consecutiveFailures: 5, redeploys: [] });
    expect(d).toMatchObject({ action: 'hold', reason: 'check failed 6 times but a rollout is in progress' });
  });

  it('is rate-limited: a minimum interval, then a budget per window with an alert', () => {
    expect(decideHealing(300_000, fail, false, { consecutiveFailures: 2, redeploys: [0] })).toMatchObject({ action: 'hold', alert: false });
    const budget = { consecutiveFailures: 2, redeploys: [0, 700_000, 1_400_000] };
    expect(decideHealing(2_100_000, fail, false, budget)).toMatchObject({ action: 'hold', alert: true });
    expect(decideHealing(3_700_000, fail, false, budget).action).toBe('redeploy');
  });
});

describe('checks', () => {
  it('HTTP probe: 2xx/3xx pass, others, errors and timeouts fail, without throwing', async () => {
    let t = 0;
    const clock = () => (t += 5);
    expect(await probeHttp('http://svc/healthz', async () => ({ status: 204 }), 1000, clock)).toEqual({ ok: true, detail: 'HTTP 204 in 5 ms from http://svc/healthz' });
    expect((await probeHttp('http://svc/healthz', async () => ({ status: 500 }), 1000, clock)).ok).toBe(false);
    expect(await probeHttp('http://svc/healthz', async () => Promise.reject(new Error('ECONNREFUSED')), 1000, clock)).toEqual({ ok: false, detail: 'ECONNREFUSED from http://svc/healthz' });
    const hanging = (_: string, init: { signal: AbortSignal }) => new Promise<{ status: number }>((_, reject) => init.signal.addEventListener('abort', () => reject(new Error('aborted'))));
    expect(await probeHttp('http://svc/healthz', hanging, 20, clock)).toEqual({ ok: false, detail: 'no answer within 20 ms from http://svc/healthz' });
  });

  it('ready ratio of the workload', () => {
    expect(readyRatioCheck({ desiredReplicas: 5, readyReplicas: 2, rolloutInProgress: false })).toEqual({ ok: false, detail: '2 of 5 pods ready (40% < 60%)' });
    expect(readyRatioCheck({ desiredReplicas: 5, readyReplicas: 4, rolloutInProgress: false }).ok).toBe(true);
    expect(readyRatioCheck({ desiredReplicas: 0, readyReplicas: 0, rolloutInProgress: false }).ok).toBe(true);
  });
});
