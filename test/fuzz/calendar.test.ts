/**
 * Fuzzing the calendar (scaling/calendar.ts):
 *   - recurrence expansion across daylight-saving changes in six zones (Europe/Paris, America/New_York,
 *     Australia/Sydney, America/Santiago, Asia/Kolkata without DST, Pacific/Chatham at +12:45/+13:45):
 *     entries start within three weeks of a 2026 offset change (or anywhere in 2026), at any quarter hour,
 *     any length up to a day, one-off, daily, weekly on chosen weekdays or monthly, with intervals, counts and
 *     excluded dates. The occurrences over a window must be exactly those an independent expansion predicts:
 *     one per matching local date (none vanishes, none doubles), each starting and ending at the entry's
 *     local wall-clock times as resolved through Intl.DateTimeFormat by RFC 5545's rules (test/support/
 *     intl-local-time.ts), and isActiveAt must agree with them at a random instant;
 *   - the entry schema on arbitrary and mutated documents: an InputError naming a field under "calendar
 *     entry", or an entry whose expansion over a year works (sorted, every occurrence of positive length).
 * Left out: exclusion periods in the DST property (the schema property covers them).
 */
import { afterAll, describe, expect } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { InputError } from '../../src/core/errors.js';
import { isActiveAt, occurrencesBetween, parseCalendarEntry, type CalendarEntry, type CalendarEntryInput } from '../../src/scaling/calendar.js';
import { offsetChanges, prefillWalls, referenceResolve } from '../support/intl-local-time.js';
import { fuzzCounter, fuzzParams } from './fuzz-settings.js';

const DAY = 86_400_000;
const ZONES = ['Europe/Paris', 'America/New_York', 'Australia/Sydney', 'America/Santiago', 'Asia/Kolkata', 'Pacific/Chatham'] as const;
/** Local days (days since 1970-01-01) on which each zone's offset changes in 2026 (none for Kolkata). */
const CHANGE_DAYS = new Map(ZONES.map((zone) => [zone, offsetChanges(zone, 2026).map((t) => Math.floor(t / DAY))]));
const FIRST_2026 = Date.UTC(2026, 0, 1) / DAY;
// Every instant the expansions below can need, read through Intl once (entries start in 2026 and run a month).
for (const zone of ZONES) prefillWalls(zone, Date.UTC(2025, 11, 1), Date.UTC(2027, 1, 15));

const dayIso = (d: number) => new Date(d * DAY).toISOString().slice(0, 10);
const hhmm = (minutes: number) => `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
/** ISO weekday of a day number, 1 = Monday. */
const weekday = (d: number) => ((new Date(d * DAY).getUTCDay() + 6) % 7) + 1;

interface Plan {
  zone: (typeof ZONES)[number];
  startDay: number;
  startMinutes: number;
  lengthMinutes: number;
  recurrence: null | { frequency: 'daily' | 'weekly' | 'monthly'; interval: number; weekdays?: number[]; count?: number; untilDays?: number };
  excludedDays: number[];
}

const planArb: fc.Arbitrary<Plan> = fc
  .record({
    zone: fc.constantFrom(...ZONES),
    nearChange: fc.oneof({ weight: 3, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
    changeIndex: fc.nat(),
    daysBefore: fc.integer({ min: -3, max: 20 }),
    anyDay: fc.integer({ min: 0, max: 364 }),
    startQuarter: fc.integer({ min: 0, max: 95 }),
    lengthQuarters: fc.integer({ min: 1, max: 96 }),
    frequency: fc.constantFrom(null, 'daily', 'daily', 'weekly', 'weekly', 'monthly'),
    interval: fc.oneof(fc.constant(1), fc.integer({ min: 1, max: 4 })),
    weekdays: fc.option(fc.uniqueArray(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 7 }), { nil: undefined }),
    count: fc.option(fc.integer({ min: 1, max: 30 }), { nil: undefined }),
    untilDays: fc.option(fc.integer({ min: 0, max: 40 }), { nil: undefined }),
    excluded: fc.uniqueArray(fc.integer({ min: 0, max: 30 }), { maxLength: 3 }),
  })
  .map((r) => {
    const changes = CHANGE_DAYS.get(r.zone)!;
    const startDay = r.nearChange && changes.length > 0 ? changes[r.changeIndex % changes.length]! - r.daysBefore : FIRST_2026 + r.anyDay;
    const frequency = r.frequency;
    // An occurrence no longer than its recurrence period (the schema refuses longer ones).
    const maxQuarters = frequency === 'daily' ? 96 * r.interval : 96 * 28;
    return {
      zone: r.zone,
      startDay,
      startMinutes: r.startQuarter * 15,
      lengthMinutes: Math.min(r.lengthQuarters, maxQuarters) * 15,
      recurrence: frequency
        ? {
            frequency,
            interval: r.interval,
            ...(frequency === 'weekly' && r.weekdays ? { weekdays: r.weekdays } : {}),
            ...(r.count !== undefined ? { count: r.count } : {}),
            ...(r.untilDays !== undefined ? { untilDays: r.untilDays } : {}),
          }
        : null,
      excludedDays: r.excluded.map((x) => startDay + x),
    };
  });

function entryOf(plan: Plan): CalendarEntry {
  const endMinutes = plan.startMinutes + plan.lengthMinutes;
  const endDay = plan.startDay + Math.floor(endMinutes / 1440);
  const rec = plan.recurrence;
  const input: CalendarEntryInput = {
    id: 'fuzz',
    targets: ['*'],
    effect: { kind: 'floor', replicas: 3 },
    timeZone: plan.zone,
    start: `${dayIso(plan.startDay)}T${hhmm(plan.startMinutes)}`,
    end: `${dayIso(endDay)}T${hhmm(endMinutes % 1440)}`,
    ...(rec
      ? {
          recurrence: {
            frequency: rec.frequency,
            interval: rec.interval,
            ...(rec.weekdays ? { weekdays: rec.weekdays } : {}),
            ...(rec.count !== undefined ? { count: rec.count } : {}),
            ...(rec.untilDays !== undefined ? { until: dayIso(plan.startDay + rec.untilDays) } : {}),
          },
        }
      : {}),
    exclusions: { dates: plan.excludedDays.map(dayIso), periods: [] },
  };
  return parseCalendarEntry(input);
}

/** Local dates with an occurrence, written out from the recurrence rules (not calendar.ts's code). */
function occurrenceDays(plan: Plan, lastDay: number): number[] {
  const rec = plan.recurrence;
  if (!rec) return plan.excludedDays.includes(plan.startDay) ? [] : [plan.startDay];
  const s = new Date(plan.startDay * DAY);
  const monday = (d: number) => d - (weekday(d) - 1);
  const days: number[] = [];
  let counted = 0;
  const until = rec.untilDays !== undefined ? plan.startDay + rec.untilDays : Infinity;
  for (let d = plan.startDay; d <= Math.min(lastDay, until); d++) {
    let matches: boolean;
    if (rec.frequency === 'daily') matches = (d - plan.startDay) % rec.interval === 0;
    else if (rec.frequency === 'weekly') matches = (rec.weekdays ?? [weekday(plan.startDay)]).includes(weekday(d)) && ((monday(d) - monday(plan.startDay)) / 7) % rec.interval === 0;
    else {
      const date = new Date(d * DAY);
      const months = (date.getUTCFullYear() - s.getUTCFullYear()) * 12 + date.getUTCMonth() - s.getUTCMonth();
      matches = date.getUTCDate() === s.getUTCDate() && months % rec.interval === 0;
    }
    if (!matches) continue;
    if (rec.count !== undefined && ++counted > rec.count) break; // excluded dates use up the count too
    if (!plan.excludedDays.includes(d)) days.push(d);
  }
  return days;
}

/** The expected occurrence on a local day: both ends resolved by the reference; kept length if the gap empties it. */
function expectedOccurrence(plan: Plan, day: number): { start: number; end: number } {
  const start = referenceResolve(day * DAY + plan.startMinutes * 60_000, plan.zone);
  const end = referenceResolve(day * DAY + (plan.startMinutes + plan.lengthMinutes) * 60_000, plan.zone);
  return { start, end: end > start ? end : start + plan.lengthMinutes * 60_000 };
}

const iso = (t: number) => new Date(t).toISOString();

describe('fuzz: calendar', () => {
  const dst = fuzzCounter('calendarDst');
  const schema = fuzzCounter('calendarSchema');
  const reached = { nearChange: 0, occurrences: 0, activeHits: 0, accepted: 0, refused: 0 };
  afterAll(() => {
    console.log('fuzz calendar cases reached:', reached);
    expect(reached.nearChange).toBeGreaterThan(500);
    expect(reached.activeHits).toBeGreaterThan(500);
    expect(reached.accepted).toBeGreaterThan(30);
    expect(reached.refused).toBeGreaterThan(100);
  });

  test.prop([planArb, fc.double({ min: 0, max: 1, noNaN: true })], fuzzParams('calendarDst'))('occurrences keep their local wall-clock times across DST changes, none vanishes or doubles', (plan, probe) => {
    const entry = entryOf(plan);
    const from = (plan.startDay - 2) * DAY;
    const to = (plan.startDay + 24) * DAY;
    const all = occurrenceDays(plan, plan.startDay + 26).map((d) => expectedOccurrence(plan, d));
    const expected = all.filter((o) => o.end > from && o.start < to);
    const actual = occurrencesBetween(entry, from, to);
    expect(actual.map((o) => [iso(o.start), iso(o.end)]), JSON.stringify(entry)).toEqual(expected.map((o) => [iso(o.start), iso(o.end)]));
    // isActiveAt at a random instant, inside a random occurrence, and at its first and last millisecond and its end.
    const inside = expected[Math.floor(probe * expected.length)];
    const probes = [Math.floor(from + probe * (to - from)), ...(inside ? [Math.floor(inside.start + probe * (inside.end - inside.start)), inside.start, inside.end - 1, inside.end] : [])];
    let active = false;
    for (const t of probes) {
      const expectedActive = all.some((o) => o.start <= t && t < o.end);
      expect(isActiveAt(entry, t), `${iso(t)} in ${JSON.stringify(entry)}`).toBe(expectedActive);
      active ||= expectedActive;
    }
    if ((CHANGE_DAYS.get(plan.zone) ?? []).some((d) => d >= plan.startDay - 1 && d <= plan.startDay + 24)) reached.nearChange++;
    reached.occurrences += actual.length;
    if (active) reached.activeHits++;
    dst.hit();
  });

  const validEntry = {
    id: 'sale',
    targets: ['shop/web'],
    title: 'Sale',
    effect: { kind: 'floor', replicas: 5 },
    priority: 1,
    timeZone: 'Europe/Paris',
    start: '2026-10-24T22:00',
    end: '2026-10-25T03:00',
    recurrence: { frequency: 'weekly', interval: 1, weekdays: [6, 7], count: 10 },
    exclusions: { dates: ['2026-11-01'], periods: [{ start: '2026-10-25T02:00', end: '2026-10-25T02:30' }] },
  };
  const FIELDS = ['id', 'targets', 'title', 'effect', 'priority', 'timeZone', 'start', 'end', 'recurrence', 'exclusions', 'extra'];
  const SUBFIELDS: Record<string, string[]> = { effect: ['kind', 'replicas', 'percent'], recurrence: ['frequency', 'interval', 'weekdays', 'until', 'count', 'byday'], exclusions: ['dates', 'periods'] };
  const valueArb = fc.oneof(
    fc.jsonValue({ maxDepth: 2 }),
    fc.constantFrom('2026-03-29T02:30', '2026-02-30T10:00', '2026-10-25T02:30', '24:00', 'Pacific/Chatham', 'Mars/Olympus', 'daily', 'relative', -1, 0, 1e9, 100_001, [1, 8], [], ['*'], null),
    // Valid values, so that changed entries are often accepted and their expansion is exercised too.
    fc.constantFrom('2026-10-25T01:00', '2026-03-29T03:00', 'America/Santiago', 'Asia/Kolkata', 'weekly', 'monthly', 'floor', 3, 2, 10, [1, 5], ['shop/web', '*'], ['2026-11-08'], 'x'),
    fc.constantFrom({ kind: 'relative', percent: 20 }, { kind: 'ceiling', replicas: 4 }, { frequency: 'daily', interval: 2, count: 5 }, { frequency: 'monthly', until: '2027-06-01' }, { dates: [], periods: [] }),
  );
  const docArb = fc.oneof(
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
    {
      weight: 4,
      arbitrary: fc.array(fc.tuple(fc.constantFrom(...FIELDS), fc.option(fc.nat(), { nil: undefined }), fc.option(valueArb, { nil: undefined })), { minLength: 1, maxLength: 3 }).map((changes) => {
        const doc: Record<string, unknown> = structuredClone(validEntry);
        for (const [field, sub, value] of changes) {
          const subs = SUBFIELDS[field];
          if (subs && sub !== undefined && typeof doc[field] === 'object' && doc[field] !== null) {
            const node = doc[field] as Record<string, unknown>;
            const key = subs[sub % subs.length]!;
            if (value === undefined) delete node[key];
            else node[key] = value;
          } else if (value === undefined) delete doc[field];
          else doc[field] = value;
        }
        return doc;
      }),
    },
  );

  test.prop([docArb], fuzzParams('calendarSchema'))('an entry is refused with an InputError naming its field, or expands cleanly', (doc) => {
    let entry: CalendarEntry | null = null;
    let error: unknown = null;
    try {
      entry = parseCalendarEntry(doc);
    } catch (e) {
      error = e;
    }
    if (entry) {
      reached.accepted++;
      const from = Date.UTC(2026, 0, 1);
      const occurrences = occurrencesBetween(entry, from, from + 400 * DAY);
      occurrences.forEach((o, i) => {
        expect(o.end).toBeGreaterThan(o.start);
        if (i > 0) expect(o.start).toBeGreaterThan(occurrences[i - 1]!.start);
      });
    } else {
      reached.refused++;
      expect(error).toBeInstanceOf(InputError);
      expect((error as InputError).where).toMatch(/^calendar entry(\.[A-Za-z]+|\[\d+\])*$/);
      expect((error as InputError).message.length).toBeLessThan(500);
    }
    schema.hit();
  });
});
