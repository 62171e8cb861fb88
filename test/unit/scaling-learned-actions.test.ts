import { describe, expect, it } from 'vitest';
import { isActiveAt, parseCalendarEntry } from '../../src/scaling/calendar.js';
import { alreadyCovered, interventionFromDecision, learnedFeature, suggestCalendarFloors, type ReactiveIntervention } from '../../src/scaling/learned-actions.js';

const WEEK = 7 * 86_400_000;
// Monday 2026-01-05 09:10 UTC, and the same time in the three following weeks.
const monday0910 = Date.UTC(2026, 0, 5, 9, 10);
const now = monday0910 + 3 * WEEK + 86_400_000;
const at = (t: number, to: number): ReactiveIntervention => ({ target: 'default/web', time: t, fromReplicas: 5, toReplicas: to, rule: 'reactive: cpu 93% > 90%' });

describe('learned actions', () => {
  it('reads reactive scale-ups out of the decision log', () => {
    const decision = { target: 'default/web', time: 1, mode: 'reactive' as const, rule: 'reactive: cpu 93% > 90%', previousReplicas: 5, desiredReplicas: 8, applied: true, inputs: {} };
    expect(interventionFromDecision(decision)).toEqual({ target: 'default/web', time: 1, fromReplicas: 5, toReplicas: 8, rule: 'reactive: cpu 93% > 90%' });
    expect(interventionFromDecision({ ...decision, rule: 'forecast P90 ...' })).toBeNull();
    // A breach held back by a policy stage still counts.
    expect(interventionFromDecision({ ...decision, rule: 'step limit +3; wanted 12 by reactive: cpu 93% > 90%' })?.toReplicas).toBe(8);
    expect(interventionFromDecision({ ...decision, desiredReplicas: 5 })).toBeNull();
  });

  it('interventions recurring at the same time of week become a weekly calendar floor', () => {
    const interventions = [at(monday0910, 12), at(monday0910 + WEEK + 20 * 60_000, 14), at(monday0910 + 2 * WEEK, 13), at(monday0910 + 3 * WEEK + 600_000, 15), at(monday0910 + 3 * 86_400_000, 30)];
    const [s, ...rest] = suggestCalendarFloors(interventions, now);
    expect(rest).toEqual([]);
    expect(s).toMatchObject({ target: 'default/web', weekday: 1, startMinute: 540, durationMinutes: 60, weeks: 4, interventions: 4, replicas: 14 });
    // The suggestion is a valid entry that starts next Monday 09:00 and recurs weekly.
    const entry = parseCalendarEntry(s!.entry);
    expect(entry).toMatchObject({ id: 'learned:default.web:1-0900', effect: { kind: 'floor', replicas: 14 }, priority: -10, start: '2026-02-02T09:00', end: '2026-02-02T10:00' });
    expect(isActiveAt(entry, Date.UTC(2026, 1, 9, 9, 30))).toBe(true);
    expect(isActiveAt(entry, Date.UTC(2026, 1, 10, 9, 30))).toBe(false);
  });

  it('needs enough distinct weeks, within the lookback', () => {
    expect(suggestCalendarFloors([at(monday0910, 12), at(monday0910 + WEEK, 12)], now)).toEqual([]);
    expect(suggestCalendarFloors([at(monday0910, 12), at(monday0910 + 60_000, 12), at(monday0910 + 120_000, 12)], now)).toEqual([]);
    const old = [at(monday0910, 12), at(monday0910 + WEEK, 12), at(monday0910 + 2 * WEEK, 12)];
    expect(suggestCalendarFloors(old, now + 10 * WEEK)).toEqual([]);
  });

  it('merges adjacent slots and uses the time zone given', () => {
    const times = [0, 1, 2].flatMap((w) => [at(monday0910 + w * WEEK, 10), at(monday0910 + w * WEEK + 3_600_000, 16)]);
    const [s] = suggestCalendarFloors(times, now, { timeZone: 'Europe/Paris' });
    // 09:10 UTC is 10:10 in Paris in January.
    expect(s).toMatchObject({ weekday: 1, startMinute: 600, durationMinutes: 120, replicas: 16 });
    expect(s!.entry.timeZone).toBe('Europe/Paris');
  });

  it('offers the learned slots as a forecaster feature and knows when people already cover them', () => {
    const interventions = [0, 1, 2].map((w) => at(monday0910 + w * WEEK, 12));
    const suggestions = suggestCalendarFloors(interventions, now);
    const feature = learnedFeature(suggestions, 'default/web');
    expect(feature.name).toBe('learned:reactive');
    expect(feature.at(Date.UTC(2025, 5, 2, 9, 30))).toBe(1); // a Monday long before: defined for the past too
    expect(feature.at(Date.UTC(2026, 5, 2, 9, 30))).toBe(0); // a Tuesday
    expect(learnedFeature(suggestions, 'default/api').at(monday0910)).toBe(0);
    const human = parseCalendarEntry({ id: 'monday-rush', targets: ['*'], effect: { kind: 'floor', replicas: 20 }, start: '2026-01-05T08:00', end: '2026-01-05T11:00', recurrence: { frequency: 'weekly' } });
    expect(alreadyCovered(suggestions[0]!, [human])).toBe(true);
    expect(alreadyCovered(suggestions[0]!, [{ ...human, effect: { kind: 'floor', replicas: 5 } }])).toBe(false);
  });
});
