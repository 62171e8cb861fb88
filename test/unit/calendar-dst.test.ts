/**
 * Calendar time at daylight-saving changes (scaling/calendar.ts, RFC 5545 section 3.3.5 rules):
 *   - a repeated local time means its first instant, whatever day the code runs: expansions are compared
 *     with the clock (Date and luxon's Settings.now) pinned in January and in July;
 *   - a skipped local time is shifted forward by the gap, for starts and ends alike;
 *   - an occurrence the spring gap would empty keeps its length and still counts for `count`;
 *   - every local time around every 2026 transition of six zones, and every occurrence of daily series over
 *     the year, agree with an independent brute-force resolution through Intl.DateTimeFormat (no luxon):
 *     test/support/intl-local-time.ts scans every quarter-hour instant within 15 h of the wall time (rrule is
 *     not installed).
 * Left out: random entries (test/fuzz/calendar-dst.fuzz.test.ts).
 */
import { Settings } from 'luxon';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { isActiveAt, localDateTimeToMs, occurrencesBetween, parseCalendarEntry, type CalendarEntryInput } from '../../src/scaling/calendar.js';
import { offsetChanges, referenceResolve, wallOf } from '../support/intl-local-time.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const ZONES = ['Europe/Paris', 'America/New_York', 'Australia/Sydney', 'America/Santiago', 'Asia/Kolkata', 'Pacific/Chatham'];

const isoLocal = (wall: number) => new Date(wall).toISOString().slice(0, 16);
const entry = (e: Partial<CalendarEntryInput>) =>
  parseCalendarEntry({ id: 'e', targets: ['*'], effect: { kind: 'floor', replicas: 10 }, start: '2026-01-01T09:00', end: '2026-01-01T10:00', ...e });
const iso = (t: number) => new Date(t).toISOString();

afterEach(() => {
  vi.useRealTimers();
  Settings.now = () => Date.now();
});

describe('ambiguous local times (the repeated hour in autumn)', () => {
  it('resolve to the first instant, at the offset before the change', () => {
    expect(iso(localDateTimeToMs('2026-10-25T02:30', 'Europe/Paris'))).toBe('2026-10-25T00:30:00.000Z'); // CEST
    expect(iso(localDateTimeToMs('2026-11-01T01:30', 'America/New_York'))).toBe('2026-11-01T05:30:00.000Z'); // EDT
    expect(iso(localDateTimeToMs('2026-04-05T02:30', 'Australia/Sydney'))).toBe('2026-04-04T15:30:00.000Z'); // AEDT
    expect(iso(localDateTimeToMs('2026-04-04T23:30', 'America/Santiago'))).toBe('2026-04-05T02:30:00.000Z'); // -03
    expect(iso(localDateTimeToMs('2026-04-05T03:00', 'Pacific/Chatham'))).toBe('2026-04-04T13:15:00.000Z'); // +13:45
  });

  const pinned = (when: string) => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date(when));
    Settings.now = () => Date.parse(when);
    // New entry objects: nothing compiled under the other clock is reused.
    const entries = [
      entry({ timeZone: 'Europe/Paris', start: '2026-10-20T02:30', end: '2026-10-20T02:45', recurrence: { frequency: 'daily' } }),
      entry({ timeZone: 'Europe/Paris', start: '2026-10-24T22:00', end: '2026-10-25T02:30', recurrence: { frequency: 'weekly' } }),
      entry({ timeZone: 'America/New_York', start: '2026-10-30T01:15', end: '2026-10-30T01:45', recurrence: { frequency: 'daily', count: 5 } }),
      entry({ timeZone: 'Australia/Sydney', start: '2026-04-05T02:00', end: '2026-04-05T02:59' }),
      entry({ timeZone: 'Europe/Paris', start: '2026-03-27T02:30', end: '2026-03-27T03:00', recurrence: { frequency: 'daily', count: 5 } }),
    ];
    return entries.map((e) => occurrencesBetween(e, Date.parse('2026-01-01T00:00:00Z'), Date.parse('2027-01-01T00:00:00Z')).map((o) => [iso(o.start), iso(o.end)]));
  };

  it('expand identically with the clock pinned in winter and in summer', () => {
    const winter = pinned('2026-01-15T12:00:00Z');
    const summer = pinned('2026-07-15T12:00:00Z');
    expect(winter).toEqual(summer);
    // The repeated hour's first pass: 02:30-02:45 CEST on 25 October.
    expect(winter[0]).toContainEqual(['2026-10-25T00:30:00.000Z', '2026-10-25T00:45:00.000Z']);
    // A Saturday-evening occurrence ending in the repeated hour ends at its first pass: 4 h 30 min long.
    expect(winter[1]).toContainEqual(['2026-10-24T20:00:00.000Z', '2026-10-25T00:30:00.000Z']);
    expect(winter[2]).toEqual([
      ['2026-10-30T05:15:00.000Z', '2026-10-30T05:45:00.000Z'],
      ['2026-10-31T05:15:00.000Z', '2026-10-31T05:45:00.000Z'],
      ['2026-11-01T05:15:00.000Z', '2026-11-01T05:45:00.000Z'], // EDT, the first 01:15
      ['2026-11-02T06:15:00.000Z', '2026-11-02T06:45:00.000Z'],
      ['2026-11-03T06:15:00.000Z', '2026-11-03T06:45:00.000Z'],
    ]);
    expect(winter[3]).toEqual([['2026-04-04T15:00:00.000Z', '2026-04-04T15:59:00.000Z']]);
  });

  it('an occurrence spanning the repeated hour stays active throughout, with either clock', () => {
    for (const when of ['2026-01-15T12:00:00Z', '2026-07-15T12:00:00Z']) {
      vi.useFakeTimers({ toFake: ['Date'] });
      vi.setSystemTime(new Date(when));
      Settings.now = () => Date.parse(when);
      // 01:45 CEST .. 02:45 first pass (CEST): 23:45Z .. 00:45Z, one hour.
      const e = entry({ timeZone: 'Europe/Paris', start: '2026-10-25T01:45', end: '2026-10-25T02:45' });
      for (let t = Date.parse('2026-10-24T23:45:00Z'); t < Date.parse('2026-10-25T00:45:00Z'); t += 5 * MIN) expect(isActiveAt(e, t), `${when}: ${iso(t)}`).toBe(true);
      expect(isActiveAt(e, Date.parse('2026-10-25T00:45:00Z'))).toBe(false);
      expect(isActiveAt(e, Date.parse('2026-10-25T01:30:00Z'))).toBe(false); // 02:30 CET, the second pass
    }
  });
});

describe('nonexistent local times (the skipped hour in spring)', () => {
  it('shift forward by the gap, for starts and ends', () => {
    expect(iso(localDateTimeToMs('2026-03-29T02:30', 'Europe/Paris'))).toBe('2026-03-29T01:30:00.000Z'); // 03:30 CEST
    expect(iso(localDateTimeToMs('2026-03-08T02:30', 'America/New_York'))).toBe('2026-03-08T07:30:00.000Z'); // 03:30 EDT
    expect(iso(localDateTimeToMs('2026-09-27T02:50', 'Pacific/Chatham'))).toBe('2026-09-26T14:05:00.000Z'); // 03:50 +13:45
    // An end in the gap: 01:30 CET .. 03:30 CEST, the one hour the local times span.
    const e = entry({ timeZone: 'Europe/Paris', start: '2026-03-29T01:30', end: '2026-03-29T02:30' });
    expect(occurrencesBetween(e, Date.parse('2026-03-28T00:00:00Z'), Date.parse('2026-03-30T00:00:00Z'))).toEqual([
      { start: Date.parse('2026-03-29T00:30:00Z'), end: Date.parse('2026-03-29T01:30:00Z') },
    ]);
  });

  it('an occurrence the gap would empty (02:30-03:00 Paris on 2026-03-29) keeps its length and still counts', () => {
    const e = entry({ timeZone: 'Europe/Paris', start: '2026-03-28T02:30', end: '2026-03-28T03:00', recurrence: { frequency: 'daily', count: 3 } });
    const occ = occurrencesBetween(e, Date.parse('2026-03-27T00:00:00Z'), Date.parse('2026-04-05T00:00:00Z'));
    expect(occ.map((o) => [iso(o.start), iso(o.end)])).toEqual([
      ['2026-03-28T01:30:00.000Z', '2026-03-28T02:00:00.000Z'], // 02:30-03:00 CET
      ['2026-03-29T01:30:00.000Z', '2026-03-29T02:00:00.000Z'], // 03:30-04:00 CEST: shifted by the gap, 30 min kept
      ['2026-03-30T00:30:00.000Z', '2026-03-30T01:00:00.000Z'], // 02:30-03:00 CEST
    ]);
    expect(isActiveAt(e, Date.parse('2026-03-29T01:45:00Z'))).toBe(true);
    // 02:15-03:15: the start moves to 03:15 CEST, as does the end; one hour kept.
    const exact = entry({ timeZone: 'Europe/Paris', start: '2026-03-29T02:15', end: '2026-03-29T03:15' });
    expect(occurrencesBetween(exact, Date.parse('2026-03-28T00:00:00Z'), Date.parse('2026-03-30T00:00:00Z'))).toEqual([
      { start: Date.parse('2026-03-29T01:15:00Z'), end: Date.parse('2026-03-29T02:15:00Z') },
    ]);
  });
});

describe('weekly weekdays that leave out the start weekday', () => {
  it('the start date has no occurrence; the series begins on the next listed weekday', () => {
    // 2026-01-05 is a Monday; weekdays Wednesday and Friday.
    const e = entry({ start: '2026-01-05T12:00', end: '2026-01-05T13:00', recurrence: { frequency: 'weekly', weekdays: [3, 5], count: 2 } });
    const occ = occurrencesBetween(e, Date.parse('2026-01-01T00:00:00Z'), Date.parse('2026-02-01T00:00:00Z'));
    expect(occ.map((o) => iso(o.start))).toEqual(['2026-01-07T12:00:00.000Z', '2026-01-09T12:00:00.000Z']);
  });
});

describe('cross-check with an independent brute-force resolution (Intl.DateTimeFormat)', () => {
  it.each(ZONES)('%s: every quarter hour of the days around each 2026 transition', (zone) => {
    const days = new Set<number>();
    for (const t of offsetChanges(zone, 2026)) {
      const day = Math.floor(wallOf(t, zone) / DAY);
      for (const d of [day - 1, day, day + 1]) days.add(d);
    }
    if (zone !== 'Asia/Kolkata') expect(days.size).toBeGreaterThanOrEqual(6); // two transitions a year
    days.add(Math.floor(Date.UTC(2026, 5, 1) / DAY)); // and an ordinary day, so Kolkata is checked too
    let checked = 0;
    for (const d of days) {
      for (let wall = d * DAY; wall < (d + 1) * DAY; wall += 15 * MIN) {
        expect(iso(localDateTimeToMs(isoLocal(wall), zone)), `${zone} ${isoLocal(wall)}`).toBe(iso(referenceResolve(wall, zone)));
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(96);
  });

  it.each(ZONES)('%s: daily series over 2026 at times in and around the changed hours', (zone) => {
    for (const [start, end] of [
      ['00:30', '01:30'],
      ['01:30', '02:30'],
      ['02:00', '03:00'],
      ['02:30', '02:45'],
      ['02:45', '04:00'],
      ['23:30', '00:30'],
    ] as const) {
      const endsNextDay = end < start;
      const e = entry({ timeZone: zone, start: `2026-01-01T${start}`, end: `${endsNextDay ? '2026-01-02' : '2026-01-01'}T${end}`, recurrence: { frequency: 'daily', until: '2026-12-31' } });
      const occ = occurrencesBetween(e, Date.parse('2025-12-30T00:00:00Z'), Date.parse('2027-01-03T00:00:00Z'));
      const first = Math.floor(Date.UTC(2026, 0, 1) / DAY);
      const lengthMs = (endsNextDay ? DAY : 0) + Date.parse(`1970-01-01T${end}Z`) - Date.parse(`1970-01-01T${start}Z`);
      expect(occ, `${zone} ${start}-${end}`).toHaveLength(365); // none vanishes, none doubles
      occ.forEach((o, i) => {
        const day = first + i;
        const refStart = referenceResolve(day * DAY + Date.parse(`1970-01-01T${start}Z`), zone);
        const refEndRaw = referenceResolve((day + (endsNextDay ? 1 : 0)) * DAY + Date.parse(`1970-01-01T${end}Z`), zone);
        const refEnd = refEndRaw > refStart ? refEndRaw : refStart + lengthMs;
        expect([iso(o.start), iso(o.end)], `${zone} ${start}-${end} day ${i}`).toEqual([iso(refStart), iso(refEnd)]);
      });
    }
  });
});
