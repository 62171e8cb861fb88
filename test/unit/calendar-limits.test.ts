/**
 * The calendar entry's limits on absurd values (caps, occurrence length against the recurrence period, until
 * and exclusion periods in order) with the field each names, and whole occurrences for listings
 * (occurrencesInEffect) against the clipped intervals the planner uses (activeIntervals).
 */
import { describe, expect, it } from 'vitest';
import { activeIntervals, calendarEntrySchema, occurrencesInEffect, parseCalendarEntry } from '../../src/scaling/calendar.js';

const base = { id: 'e', targets: ['*'], effect: { kind: 'floor', replicas: 2 }, start: '2026-01-05T09:00', end: '2026-01-05T17:00' };
const fieldsOf = (input: object) => {
  const result = calendarEntrySchema.safeParse({ ...base, ...input });
  return result.success ? [] : result.error.issues.map((i) => i.path.join('.'));
};

describe('calendar entry limits', () => {
  it.each([
    [{ effect: { kind: 'floor', replicas: 100_000 } }, []],
    [{ effect: { kind: 'floor', replicas: 100_001 } }, ['effect.replicas']],
    [{ effect: { kind: 'relative', replicas: -100_001 } }, ['effect.replicas']],
    [{ effect: { kind: 'relative', percent: 1_001 } }, ['effect.percent']],
    [{ recurrence: { frequency: 'daily', interval: 1_001 } }, ['recurrence.interval']],
    [{ end: '2026-01-06T09:00', recurrence: { frequency: 'daily' } }, []],
    [{ end: '2026-01-06T09:01', recurrence: { frequency: 'daily' } }, ['end']],
    [{ end: '2026-01-07T09:01', recurrence: { frequency: 'daily', interval: 2 } }, ['end']],
    [{ end: '2026-01-07T17:00', recurrence: { frequency: 'weekly', weekdays: [1, 3, 5] } }, []],
    [{ end: '2026-01-12T09:01', recurrence: { frequency: 'weekly' } }, ['end']],
    [{ end: '2026-02-02T09:00', recurrence: { frequency: 'monthly' } }, []],
    [{ end: '2026-02-02T09:01', recurrence: { frequency: 'monthly' } }, ['end']],
    [{ end: '2027-01-05T09:00' }, []],
    [{ recurrence: { frequency: 'daily', until: '2026-01-04' } }, ['recurrence.until']],
    [{ recurrence: { frequency: 'daily', until: '2026-01-05' } }, []],
    [{ exclusions: { periods: [{ start: '2026-01-06T10:00', end: '2026-01-06T10:00' }] } }, ['exclusions.periods.0.end']],
  ])('%j -> %j', (input, fields) => {
    expect(fieldsOf(input)).toEqual(fields);
  });

  it('lists whole occurrences with exclusion periods cut out, where the planner sees them clipped to the range', () => {
    const entry = parseCalendarEntry({ ...base, recurrence: { frequency: 'daily' }, exclusions: { periods: [{ start: '2026-01-06T12:00', end: '2026-01-06T13:00' }] } });
    const from = Date.UTC(2026, 0, 6, 10);
    const to = Date.UTC(2026, 0, 6, 14);
    const h = (day: number, hour: number) => Date.UTC(2026, 0, day, hour);
    expect(occurrencesInEffect(entry, from, to)).toEqual([
      { start: h(6, 9), end: h(6, 12) },
      { start: h(6, 13), end: h(6, 17) },
    ]);
    expect(activeIntervals(entry, from, to)).toEqual([
      { start: h(6, 10), end: h(6, 12) },
      { start: h(6, 13), end: h(6, 14) },
    ]);
    // A part that lies outside the range is left out.
    expect(occurrencesInEffect(entry, h(6, 14), h(6, 15))).toEqual([{ start: h(6, 13), end: h(6, 17) }]);
    expect(occurrencesInEffect(entry, h(6, 9), h(6, 10))).toEqual([{ start: h(6, 9), end: h(6, 12) }]);
  });
});
