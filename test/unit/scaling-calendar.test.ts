import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/core/errors.js';
import {
  activeIntervals,
  applyCalendar,
  calendarEffectsAt,
  calendarEffectsForTick,
  calendarFeatures,
  isActiveAt,
  occurrencesBetween,
  parseCalendarEntry,
  type CalendarEntryInput,
} from '../../src/scaling/calendar.js';
import type { CalendarEffect } from '../../src/scaling/calendar-types.js';

const utc = (iso: string) => Date.parse(iso);
const entry = (e: Partial<CalendarEntryInput>) =>
  parseCalendarEntry({ id: 'e', targets: ['default/web'], effect: { kind: 'floor', replicas: 10 }, start: '2026-11-27T09:00', end: '2026-11-27T17:00', ...e });

describe('calendar occurrences', () => {
  it('a one-off entry in a time zone: local start inclusive, end exclusive', () => {
    const e = entry({ timeZone: 'Europe/Paris' });
    expect(isActiveAt(e, utc('2026-11-27T07:59:59Z'))).toBe(false);
    expect(isActiveAt(e, utc('2026-11-27T08:00:00Z'))).toBe(true);
    expect(isActiveAt(e, utc('2026-11-27T15:59:59Z'))).toBe(true);
    expect(isActiveAt(e, utc('2026-11-27T16:00:00Z'))).toBe(false);
    expect(isActiveAt(e, utc('2026-11-28T08:30:00Z'))).toBe(false);
  });

  it('a daily entry keeps its local wall-clock times across a DST change', () => {
    const e = entry({ timeZone: 'Europe/Paris', start: '2026-03-27T09:00', end: '2026-03-27T10:00', recurrence: { frequency: 'daily' } });
    expect(isActiveAt(e, utc('2026-03-27T08:30:00Z'))).toBe(true); // CET, +01:00
    expect(isActiveAt(e, utc('2026-03-30T07:30:00Z'))).toBe(true); // CEST, +02:00
    expect(isActiveAt(e, utc('2026-03-30T08:30:00Z'))).toBe(false);
    const occ = occurrencesBetween(e, utc('2026-03-28T00:00:00Z'), utc('2026-03-30T00:00:00Z'));
    expect(occ.map((o) => new Date(o.start).toISOString())).toEqual(['2026-03-28T08:00:00.000Z', '2026-03-29T07:00:00.000Z']);
    expect(isActiveAt(e, utc('2026-03-26T08:30:00Z'))).toBe(false); // before the first occurrence
  });

  it('weekly on chosen weekdays, every other week', () => {
    // 2026-01-05 is a Monday.
    const e = entry({ start: '2026-01-05T12:00', end: '2026-01-05T13:00', recurrence: { frequency: 'weekly', interval: 2, weekdays: [1, 3, 5] } });
    expect(isActiveAt(e, utc('2026-01-07T12:30:00Z'))).toBe(true);
    expect(isActiveAt(e, utc('2026-01-09T12:30:00Z'))).toBe(true);
    expect(isActiveAt(e, utc('2026-01-14T12:30:00Z'))).toBe(false);
    expect(isActiveAt(e, utc('2026-01-19T12:30:00Z'))).toBe(true);
    expect(isActiveAt(e, utc('2026-01-20T12:30:00Z'))).toBe(false);
  });

  it('monthly on the start day skips months without it; count and until end a series', () => {
    const monthly = entry({ start: '2026-01-31T00:00', end: '2026-01-31T06:00', recurrence: { frequency: 'monthly' } });
    expect(occurrencesBetween(monthly, utc('2026-01-01T00:00:00Z'), utc('2026-04-01T00:00:00Z')).map((o) => new Date(o.start).toISOString().slice(0, 10))).toEqual(['2026-01-31', '2026-03-31']);
    const counted = entry({ start: '2026-01-01T09:00', end: '2026-01-01T10:00', recurrence: { frequency: 'daily', count: 3 } });
    expect(occurrencesBetween(counted, utc('2026-01-01T00:00:00Z'), utc('2026-01-10T00:00:00Z'))).toHaveLength(3);
    const until = entry({ start: '2026-01-01T09:00', end: '2026-01-01T10:00', recurrence: { frequency: 'daily', until: '2026-01-04' } });
    expect(occurrencesBetween(until, utc('2026-01-01T00:00:00Z'), utc('2026-01-10T00:00:00Z'))).toHaveLength(4);
  });

  it('an occurrence running past midnight is found from the next day', () => {
    const e = entry({ timeZone: 'America/New_York', start: '2026-06-01T22:00', end: '2026-06-02T02:00', recurrence: { frequency: 'daily' } });
    // 01:00 New York (EDT, -04:00) on 3 June belongs to the occurrence that began on 2 June.
    expect(isActiveAt(e, utc('2026-06-03T05:00:00Z'))).toBe(true);
    expect(isActiveAt(e, utc('2026-06-03T07:00:00Z'))).toBe(false);
  });

  it('exclusions: dates skip occurrences, periods mask time', () => {
    const e = entry({
      start: '2026-01-01T08:00',
      end: '2026-01-01T18:00',
      recurrence: { frequency: 'daily' },
      exclusions: { dates: ['2026-01-02'], periods: [{ start: '2026-01-03T12:00', end: '2026-01-03T14:00' }] },
    });
    expect(isActiveAt(e, utc('2026-01-02T10:00:00Z'))).toBe(false);
    expect(isActiveAt(e, utc('2026-01-03T10:00:00Z'))).toBe(true);
    expect(isActiveAt(e, utc('2026-01-03T13:00:00Z'))).toBe(false);
    expect(activeIntervals(e, utc('2026-01-03T00:00:00Z'), utc('2026-01-04T00:00:00Z'))).toEqual([
      { start: utc('2026-01-03T08:00:00Z'), end: utc('2026-01-03T12:00:00Z') },
      { start: utc('2026-01-03T14:00:00Z'), end: utc('2026-01-03T18:00:00Z') },
    ]);
  });
});

describe('calendar entry validation', () => {
  it.each([
    [{ timeZone: 'Mars/Olympus' }, 'calendar entry.timeZone: expected an IANA time zone like "Europe/Paris"'],
    [{ end: '2026-11-27T08:00' }, 'calendar entry.end: end (2026-11-27T08:00) must be after start (2026-11-27T09:00)'],
    [{ effect: { kind: 'relative' } }, 'calendar entry.effect: a relative effect needs replicas or percent'],
    [{ start: '2026-11-27 09:00' }, 'calendar entry.start: expected a local date-time without offset, like "2026-11-27T09:00"'],
    [{ effect: { kind: 'floor', replicas: -1 } }, 'calendar entry.effect.replicas: Number must be greater than or equal to 0'],
  ])('rejects %j', (change, message) => {
    expect(() => entry(change as Partial<CalendarEntryInput>)).toThrow(InputError);
    expect(() => entry(change as Partial<CalendarEntryInput>)).toThrow(message);
  });
});

const effect = (entryId: string, kind: CalendarEffect['kind'], replicas?: number, priority = 0, percent?: number): CalendarEffect => ({
  entryId,
  kind,
  priority,
  ...(replicas !== undefined ? { replicas } : {}),
  ...(percent !== undefined ? { percent } : {}),
});

describe('calendar precedence', () => {
  it('a floor raises, a ceiling lowers, and the rule names the entry', () => {
    expect(applyCalendar(5, [effect('sale', 'floor', 20)])).toMatchObject({ replicas: 20, rule: 'calendar floor 20 (sale)', floor: 20 });
    expect(applyCalendar(30, [effect('sale', 'floor', 20)])).toMatchObject({ replicas: 30, rule: null });
    expect(applyCalendar(30, [effect('cap', 'ceiling', 12)])).toMatchObject({ replicas: 12, rule: 'calendar ceiling 12 (cap)', ceiling: 12 });
  });

  it('relative effects: percent then +N, rounded up', () => {
    expect(applyCalendar(10, [effect('launch', 'relative', 2, 0, 50)])).toMatchObject({ replicas: 17, rule: 'calendar relative +50% +2 (launch): 10 -> 17' });
    expect(applyCalendar(10, [effect('quiet', 'relative', undefined, 0, -25)]).replicas).toBe(8);
  });

  it('contradicting bounds: higher priority wins, then the smaller id, and the loser is noted', () => {
    const out = applyCalendar(5, [effect('cap', 'ceiling', 8, 1), effect('sale', 'floor', 20, 5)]);
    expect(out.replicas).toBe(20);
    expect(out.rule).toBe('calendar floor 20 (sale)');
    expect(out.notes).toEqual(['calendar ceiling 8 (cap) overridden by higher-precedence entries']);
    // Same priority: "a-cap" sorts before "b-sale", so the ceiling wins; the order of the input does not matter.
    const tie1 = applyCalendar(30, [effect('b-sale', 'floor', 20), effect('a-cap', 'ceiling', 8)]);
    const tie2 = applyCalendar(30, [effect('a-cap', 'ceiling', 8), effect('b-sale', 'floor', 20)]);
    expect(tie1).toEqual(tie2);
    expect(tie1).toMatchObject({ replicas: 8, rule: 'calendar ceiling 8 (a-cap)' });
  });

  it('absolute sets exactly N, overriding relative effects and lower-precedence bounds', () => {
    const out = applyCalendar(5, [effect('freeze', 'absolute', 12, 10), effect('launch', 'relative', 4), effect('sale', 'floor', 30)]);
    expect(out.replicas).toBe(12);
    expect(out.rule).toBe('calendar absolute 12 (freeze)');
    expect(out.notes).toEqual(['calendar launch: relative effect ignored under an absolute one', 'calendar floor 30 (sale) overridden by higher-precedence entries']);
  });
});

describe('calendar effects over time', () => {
  const entries = [
    entry({ id: 'sale', start: '2026-11-27T09:00', end: '2026-11-27T17:00', effect: { kind: 'floor', replicas: 20 } }),
    entry({ id: 'cap', start: '2026-11-27T09:00', end: '2026-11-27T17:00', effect: { kind: 'ceiling', replicas: 4 }, priority: -1 }),
    entry({ id: 'freeze', start: '2026-11-27T09:00', end: '2026-11-27T10:00', effect: { kind: 'absolute', replicas: 7 }, targets: ['*'] }),
    entry({ id: 'other', targets: ['default/api'] }),
  ];

  it('calendarEffectsAt lists the entries in effect, in precedence order', () => {
    expect(calendarEffectsAt(entries, utc('2026-11-27T09:30:00Z'), 'default/web').map((e) => e.entryId)).toEqual(['freeze', 'sale', 'cap']);
    expect(calendarEffectsAt(entries, utc('2026-11-27T08:30:00Z'), 'default/web')).toEqual([]);
    expect(calendarEffectsAt(entries, utc('2026-11-27T09:30:00Z')).map((e) => e.entryId)).toEqual(['freeze', 'other', 'sale', 'cap']);
  });

  it('for a tick, only effects that raise capacity start early; an absolute acts as a floor until it begins', () => {
    const effects = calendarEffectsForTick(entries, 'default/web', utc('2026-11-27T08:58:00Z'), 150_000);
    expect(effects).toEqual([
      { entryId: 'freeze', kind: 'floor', replicas: 7, priority: 0 },
      { entryId: 'sale', kind: 'floor', replicas: 20, priority: 0 },
    ]);
    expect(calendarEffectsForTick(entries, 'default/web', utc('2026-11-27T08:50:00Z'), 150_000)).toEqual([]);
  });

  it('entries are offered to forecasters as 0/1 features, past and future', () => {
    const features = calendarFeatures(entries, 'default/web');
    expect(features.map((f) => f.name)).toEqual(['calendar:cap', 'calendar:freeze', 'calendar:sale']);
    const sale = features[2]!;
    expect(sale.at(utc('2026-11-27T12:00:00Z'))).toBe(1);
    expect(sale.at(utc('2026-11-26T12:00:00Z'))).toBe(0);
  });
});
