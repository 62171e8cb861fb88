/**
 * planTick driven by real traces (data/traces, see README.md there): one tick a minute over a slice of the
 * trace, with a seasonal-naive forecast made at each step from the history before it, live load as the
 * metrics pipeline shows it (30 s late), and pods that become Ready 90 s after they are asked for.
 */
import { describe, expect, it } from 'vitest';
import type { RegularSeries } from '../../src/forecasting/forecaster.js';
import type { TargetScalingState, TickResult } from '../../src/scaling/engine.js';
import { planTick } from '../../src/scaling/planner.js';
import { baseInput, loadTrace, makeTarget, seasonalNaiveFrom } from '../support/scaling-fixtures.js';

const MIN = 60_000;
const POD_LEAD = 90_000;
const MODES = new Set(['predictive', 'reactive', 'forecast-only', 'learning']);

interface Replay {
  results: TickResult[];
  /** Minutes when the demand exceeded what Ready replicas serve. */
  underMinutes: number;
  minutes: number;
  /** Mean replicas asked for, and what a reactive autoscaler at 80% would ask for with perfect timing. */
  meanReplicas: number;
  meanAt80: number;
}

function replay(series: RegularSeries, fromStep: number, steps: number, capacity: number, season: number): Replay {
  const target = makeTarget({ capacityPerReplica: capacity, maxReplicas: 500, minReplicas: 1 });
  const valueAt = (t: number) => series.values[Math.floor((t - series.startMs) / series.stepMs)]!;
  const t0 = series.startMs + fromStep * series.stepMs;
  const asked: { time: number; replicas: number }[] = [];
  let desired = Math.ceil(valueAt(t0) / (capacity * 0.8));
  let state: TargetScalingState | null = null;
  const results: TickResult[] = [];
  let under = 0;
  let sumReplicas = 0;
  let sumAt80 = 0;
  const minutes = (steps * series.stepMs) / MIN;
  const forecasts = new Map<number, ReturnType<typeof seasonalNaiveFrom>>();
  const forecastAt = (step: number) => forecasts.get(step) ?? forecasts.set(step, seasonalNaiveFrom(series, step, 12, season)).get(step)!;
  for (let m = 0; m < minutes; m++) {
    const now = t0 + m * MIN;
    // Pods asked for more than the lead time ago are Ready; removals take effect at once.
    const old = [...asked].reverse().find((a) => a.time <= now - POD_LEAD)?.replicas ?? desired;
    const ready = Math.min(desired, old);
    const demand = valueAt(now);
    if (demand > ready * capacity) under++;
    sumReplicas += desired;
    sumAt80 += Math.ceil(demand / (capacity * 0.8));
    const step = Math.floor((now - series.startMs) / series.stepMs);
    const result = planTick(
      baseInput({
        now,
        target,
        workload: { desiredReplicas: desired, readyReplicas: ready, rolloutInProgress: false },
        forecast: forecastAt(step),
        live: { load: valueAt(now - 30_000), at: now - 30_000 },
        model: { model: `snaive[${season}]`, trainedAt: now - 3_600_000, historyDays: step / season, requiredHistoryDays: 2 },
        podLeadMs: POD_LEAD,
        state: state ? JSON.parse(JSON.stringify(state)) : null,
      }),
    );
    state = result.state;
    if (result.desiredReplicas !== desired) asked.push({ time: now, replicas: result.desiredReplicas });
    desired = result.desiredReplicas;
    results.push(result);
  }
  return { results, underMinutes: under, minutes, meanReplicas: sumReplicas / minutes, meanAt80: sumAt80 / minutes };
}

describe('planTick on real traces', () => {
  it('NASA-HTTP, one day: explains every decision, respects bounds and live load, beats late reactive sizing', () => {
    const nasa = loadTrace('nasa_http_jul1995_5min.csv');
    // 1995-07-10T04:05Z onwards: day 9, a weekday (8 days of history before it).
    const r = replay(nasa, 8 * 288, 288, 20, 288);
    // Below what live load needs only when the step limit held it (listed, so a violation names itself).
    const belowLiveNeed = r.results
      .filter(({ decision, desiredReplicas }) => desiredReplicas < (decision.inputs.liveNeed ?? 0))
      .map(({ decision }) => decision.rule)
      .filter((rule) => !/^step limit/.test(rule));
    expect(belowLiveNeed).toEqual([]);
    for (const { decision, desiredReplicas } of r.results) {
      expect(MODES.has(decision.mode)).toBe(true);
      expect(decision.rule.length).toBeGreaterThan(0);
      expect(Object.values(decision.inputs).every(Number.isFinite)).toBe(true);
      expect(desiredReplicas).toBeGreaterThanOrEqual(1);
      expect(desiredReplicas).toBeLessThanOrEqual(500);
    }
    const predictive = r.results.filter((x) => x.decision.mode === 'predictive').length;
    expect(predictive / r.results.length).toBeGreaterThan(0.5);
    // Measured (seasonal-naive forecast with normal-approximation intervals, P90, default options): 6 of 1440
    // minutes under-provisioned, 11.1 replicas on average against 8.16 for a reactive autoscaler at 80% with
    // perfect timing (which would be under-provisioned whenever load rose within a step).
    expect(r.underMinutes / r.minutes).toBeLessThan(0.01);
    expect(r.meanReplicas).toBeLessThan(1.4 * r.meanAt80);
  });

  it('NAB Twitter AMZN: a spike far above the forecast bound is a reactive breach at once', () => {
    const twitter = loadTrace('nab_twitter_amzn_5min.csv');
    const spike = twitter.values.indexOf(Math.max(...twitter.values));
    const now = twitter.startMs + spike * twitter.stepMs + 2 * MIN;
    const result = planTick(
      baseInput({
        now,
        target: makeTarget({ capacityPerReplica: 20, maxReplicas: 200 }),
        workload: { desiredReplicas: 5, readyReplicas: 5, rolloutInProgress: false },
        forecast: seasonalNaiveFrom(twitter, spike, 12, 288),
        live: { load: twitter.values[spike]!, at: now - 30_000 },
        model: { model: 'snaive[288]', trainedAt: now - 3_600_000, historyDays: spike / 288, requiredHistoryDays: 2 },
      }),
    );
    // The step policy (4 pods or 100% per 15 s) would allow 5 -> 10; live load (1673 / 20 + 5%) needs 88 and
    // wins: the step limit paces only what the HPA formula wants beyond it.
    expect(result.decision.rule).toMatch(/^live load 1673 needs 88 \(\+5%\), above step limit \+5; wanted \d+ by reactive: load/);
    expect(result.decision.mode).toBe('reactive');
    expect(result.decision.notes).toContain('breaches: load, forecast-bound');
    expect(result.decision.inputs.heldBackTo).toBe(10);
    expect(result.desiredReplicas).toBe(88);
    expect(result.state.reactiveUntil).toBe(now + 300_000);
  });
});
