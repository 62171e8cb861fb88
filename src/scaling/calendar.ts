/**
 * The scheduled-scaling calendar: entries people add for known events (a sale, a launch, a migration).
 * Pure functions over entries; storage is calendar-store.ts.
 *
 * An entry is one-off or recurring (daily, weekly on chosen weekdays, monthly on the start's day of month,
 * every `interval` of those), in an IANA time zone: start and end are local wall-clock times, so an
 * occurrence 09:00-17:00 Europe/Paris stays 09:00-17:00 across daylight-saving changes. Exclusions skip
 * occurrences starting on given local dates, or mask periods. A weekly entry occurs only on its weekdays:
 * when they leave out the start's weekday, the start date itself has no occurrence (the start gives the
 * time of day and the first date occurrences may fall on).
 *
 * Local times that a daylight-saving change makes ambiguous or nonexistent resolve by RFC 5545's rules
 * (section 3.3.5), the same whatever day the code runs (`localToMs`; it never asks for the offset "now"):
 *   - a time that occurs twice (the repeated hour in autumn) means its first occurrence: the earlier instant,
 *     at the offset before the change (01:30 America/New_York on 2026-11-01 is 05:30Z, EDT);
 *   - a time that does not occur (the skipped hour in spring) is read at the offset before the gap, i.e.
 *     shifted forward by the gap's length (02:30 Europe/Paris on 2026-03-29 is 03:30 CEST, 01:30Z). This
 *     applies to starts, ends and exclusion periods alike;
 *   - an occurrence whose end, so resolved, is not after its start (02:30-03:00 Europe/Paris on
 *     2026-03-29: the start moves to 03:30, the end 03:00 exists) keeps its length from its resolved start
 *     (03:30-04:00 CEST): it never silently vanishes, so it still counts for `count` and still raises
 *     capacity on that night. Only the spring gap can cause this, and only for occurrences no longer than
 *     the gap.
 *
 * Effects: floor (at least N replicas), ceiling (at most N), absolute (exactly N), relative (+N replicas
 * and/or +N percent, negative allowed). Precedence, deterministic (see `applyCalendar`): relative effects
 * adjust the planned replicas; then floors, ceilings and absolutes are bounds taken in order of priority
 * (higher first, ties by entry id), each narrowing the allowed range unless it contradicts the bounds of a
 * higher-precedence entry, in which case it is overridden (and said so).
 *
 * Absurd values are refused with the field's path (checkCalendarEntry): replicas above MAX_CALENDAR_REPLICAS,
 * an occurrence longer than its recurrence period (overlapping occurrences), `until` before the start.
 */
import { DateTime, IANAZone } from 'luxon';
import { z } from 'zod';
import type { CalendarFeature } from '../forecasting/forecaster.js';
import type { CalendarEffect } from './calendar-types.js';
import { InputError } from '../core/errors.js';

const LOCAL_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/;
const LOCAL_DATE = /^\d{4}-\d{2}-\d{2}$/;

const localDateTime = z
  .string()
  .regex(LOCAL_DATE_TIME, 'expected a local date-time without offset, like "2026-11-27T09:00"')
  .refine((s) => DateTime.fromISO(s, { zone: 'UTC' }).isValid, 'not a valid date-time');
const localDate = z
  .string()
  .regex(LOCAL_DATE, 'expected a local date like "2026-12-24"')
  .refine((s) => DateTime.fromISO(s, { zone: 'UTC' }).isValid, 'not a valid date');
/**
 * Largest replica count an entry may name: far above any real workload (Kubernetes' own scalability limit is
 * 150 000 pods per cluster), so a typo like 10^9 is refused instead of becoming a floor nobody can meet.
 */
export const MAX_CALENDAR_REPLICAS = 100_000;
/** Largest relative change, percent (+1000 = eleven times the plan). */
export const MAX_CALENDAR_PERCENT = 1_000;
const replicas = z.number().int().min(0).max(MAX_CALENDAR_REPLICAS);

export const calendarEffectSpecSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('floor'), replicas }).strict(),
  z.object({ kind: z.literal('ceiling'), replicas }).strict(),
  z.object({ kind: z.literal('absolute'), replicas }).strict(),
  z
    .object({
      kind: z.literal('relative'),
      /** Replicas added (negative removes). */
      replicas: z.number().int().min(-MAX_CALENDAR_REPLICAS).max(MAX_CALENDAR_REPLICAS).optional(),
      /** Percent added (+50 = one and a half times; negative removes). */
      percent: z.number().min(-100).max(MAX_CALENDAR_PERCENT).optional(),
    })
    .strict(),
]);

/** The entry's fields, before the checks across fields (`checkCalendarEntry`); the API derives its input from it. */
export const calendarEntryObjectSchema = z
  .object({
    id: z.string().regex(/^[A-Za-z0-9][-A-Za-z0-9_.:]{0,127}$/, 'expected letters, digits, "-", "_", "." or ":" (at most 128)'),
    /** Targets as "namespace/name"; "*" matches every target. */
    targets: z.array(z.string().min(1)).min(1),
    title: z.string().max(200).default(''),
    effect: calendarEffectSpecSchema,
    /** Higher wins when effects conflict; ties are broken by id. */
    priority: z.number().int().default(0),
    /** IANA time zone the local start and end are in, e.g. "Europe/Paris". */
    timeZone: z.string().refine((zone) => IANAZone.isValidZone(zone), 'expected an IANA time zone like "Europe/Paris"').default('UTC'),
    /**
     * Local wall-clock start, "2026-11-27T09:00": the time of day of every occurrence and the first date one
     * may fall on. It is the first occurrence except for a weekly entry whose weekdays leave out the start's
     * weekday (the first occurrence is then the next listed weekday). A time repeated by a daylight-saving
     * change means its first (earlier) instant; a time skipped by one is shifted forward by the gap (RFC 5545).
     */
    start: localDateTime,
    /**
     * Local wall-clock end of the occurrence beginning at `start`; later occurrences keep the same local
     * times. Resolved like `start`; when the spring gap puts the resolved end at or before the resolved
     * start (02:30-03:00 on a night the clocks skip 02:00-03:00), the occurrence keeps its length from the
     * resolved start (03:30-04:00) instead of vanishing.
     */
    end: localDateTime,
    recurrence: z
      .object({
        frequency: z.enum(['daily', 'weekly', 'monthly']),
        /** Every `interval` days, weeks or months. */
        interval: z.number().int().min(1).max(1_000).default(1),
        /**
         * Weekly only: ISO weekdays 1 = Monday .. 7 = Sunday; default the start's weekday. When the list
         * leaves out the start's weekday, the start date has no occurrence; the series begins on the next
         * listed weekday (in the start's week, or in the next week of the series).
         */
        weekdays: z.array(z.number().int().min(1).max(7)).min(1).optional(),
        /** Last local date an occurrence may start on. */
        until: localDate.optional(),
        /** At most this many occurrences (exclusions count as occurrences). */
        count: z.number().int().min(1).max(10_000).optional(),
      })
      .strict()
      .optional(),
    exclusions: z
      .object({
        /** Local dates on which no occurrence starts. */
        dates: z.array(localDate).default([]),
        /** Local periods during which the entry has no effect. */
        periods: z.array(z.object({ start: localDateTime, end: localDateTime }).strict()).default([]),
      })
      .strict()
      .default({}),
  })
  .strict();

/** Shortest repeat period of each frequency, days (a month is at least 28). */
const PERIOD_DAYS = { daily: 1, weekly: 7, monthly: 28 } as const;
const localMs = (iso: string) => DateTime.fromISO(iso, { zone: 'UTC' }).toMillis();

/**
 * Checks across fields: a relative effect says by how much, end after start, weekdays only for weekly,
 * `until` not before the start, exclusion periods that end after they start, and an occurrence no longer
 * than its recurrence period (overlapping occurrences mean nothing and would make every expansion walk
 * the whole overlap).
 */
export function checkCalendarEntry(entry: Omit<z.output<typeof calendarEntryObjectSchema>, 'id'>, ctx: z.RefinementCtx): void {
  if (entry.effect.kind === 'relative' && entry.effect.replicas === undefined && entry.effect.percent === undefined) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['effect'], message: 'a relative effect needs replicas or percent' });
  }
  if (entry.end <= entry.start) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['end'], message: `end (${entry.end}) must be after start (${entry.start})` });
  const rec = entry.recurrence;
  if (rec?.weekdays && rec.frequency !== 'weekly') {
    ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['recurrence', 'weekdays'], message: 'weekdays apply to weekly recurrence only' });
  }
  if (rec?.until !== undefined && rec.until < entry.start.slice(0, 10)) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['recurrence', 'until'], message: `until (${rec.until}) is before the start (${entry.start.slice(0, 10)})` });
  }
  if (rec && entry.end > entry.start) {
    const periodDays = PERIOD_DAYS[rec.frequency] * rec.interval;
    if (localMs(entry.end) - localMs(entry.start) > periodDays * DAY_MS) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['end'], message: `an occurrence may last at most its recurrence period (${periodDays} day${periodDays === 1 ? '' : 's'})` });
    }
  }
  entry.exclusions.periods.forEach((period, i) => {
    if (period.end <= period.start) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['exclusions', 'periods', i, 'end'], message: `end (${period.end}) must be after start (${period.start})` });
  });
}

export const calendarEntrySchema = calendarEntryObjectSchema.superRefine(checkCalendarEntry);

/** A calendar entry as stored and served (defaults applied). */
export type CalendarEntry = z.output<typeof calendarEntrySchema>;
/** A calendar entry as written by people or the API (defaults optional). */
export type CalendarEntryInput = z.input<typeof calendarEntrySchema>;

/** One time interval, epoch ms, [start, end). */
export interface Interval {
  start: number;
  end: number;
}

const DAY_MS = 86_400_000;

/** Days since 1970-01-01 of a local calendar date. */
function epochDay(year: number, month: number, day: number): number {
  return Date.UTC(year, month - 1, day) / DAY_MS;
}

function dateOfEpochDay(d: number): { year: number; month: number; day: number } {
  const date = new Date(d * DAY_MS);
  return { year: date.getUTCFullYear(), month: date.getUTCMonth() + 1, day: date.getUTCDate() };
}

/** ISO weekday, 1 = Monday .. 7 = Sunday (1970-01-01 was a Thursday). */
function isoWeekday(d: number): number {
  return ((((d + 3) % 7) + 7) % 7) + 1;
}

interface Compiled {
  zone: string;
  startDay: number;
  startTime: { hour: number; minute: number; second: number };
  endDayOffset: number;
  endTime: { hour: number; minute: number; second: number };
  /** Local end minus local start, ms: the length an occurrence keeps when the spring gap swallows it. */
  lengthMs: number;
  lastDay: number;
  excludedDays: Set<number>;
  excludedPeriods: Interval[];
  matchesDay: (d: number) => boolean;
}

const compiledCache = new WeakMap<CalendarEntry, Compiled>();

function localParts(iso: string) {
  const dt = DateTime.fromISO(iso, { zone: 'UTC' });
  return { day: epochDay(dt.year, dt.month, dt.day), time: { hour: dt.hour, minute: dt.minute, second: dt.second } };
}

const zones = new Map<string, IANAZone>();
/** Resolved wall times, "<zone> <wall ms>" -> epoch ms; cleared when full (a zone's rules do not change while running). */
const resolved = new Map<string, number>();
const MAX_RESOLVED = 50_000;
/** The zone's UTC offset at epoch ms `t`, ms. */
function offsetMs(zone: string, t: number): number {
  let z = zones.get(zone);
  if (!z) zones.set(zone, (z = IANAZone.create(zone)));
  return z.offset(t) * 60_000;
}

/**
 * Epoch ms of a local wall-clock time in a zone, by RFC 5545's rules and never by the offset in force today
 * (luxon's `DateTime.fromObject` starts from the current offset, so a repeated hour resolved one way in
 * summer and the other in winter). The instant lies within a day of the same wall time read as UTC, so the
 * offsets a day either side are the candidates (no zone changes its offset twice within two days):
 *   - one or two of them fit: take the earliest instant (a repeated time means its first occurrence);
 *   - none fits, the time falls in a gap: read it at the offset before the gap, i.e. shift it forward by the
 *     gap's length.
 */
function localToMs(day: number, time: { hour: number; minute: number; second: number }, zone: string): number {
  const wall = day * DAY_MS + ((time.hour * 60 + time.minute) * 60 + time.second) * 1000;
  const key = `${zone} ${wall}`;
  const known = resolved.get(key);
  if (known !== undefined) return known;
  const before = offsetMs(zone, wall - DAY_MS);
  const after = offsetMs(zone, wall + DAY_MS);
  const fits = [before, after].filter((o) => offsetMs(zone, wall - o) === o);
  const ms = fits.length > 0 ? wall - Math.max(...fits) : wall - before;
  // Every planning tick asks for the same few wall times again; each resolution costs several Intl calls.
  if (resolved.size >= MAX_RESOLVED) resolved.clear();
  resolved.set(key, ms);
  return ms;
}

/** Epoch ms of a local date-time "2026-03-29T02:30" in a zone, by the same rules as every occurrence (`localToMs`). */
export function localDateTimeToMs(iso: string, zone: string): number {
  const { day, time } = localParts(iso);
  return localToMs(day, time, zone);
}

function compile(entry: CalendarEntry): Compiled {
  const cached = compiledCache.get(entry);
  if (cached) return cached;
  const start = localParts(entry.start);
  const end = localParts(entry.end);
  const zone = entry.timeZone;
  const rec = entry.recurrence;
  const startDate = dateOfEpochDay(start.day);
  let matchesDay: (d: number) => boolean;
  if (!rec) matchesDay = (d) => d === start.day;
  else if (rec.frequency === 'daily') matchesDay = (d) => d >= start.day && (d - start.day) % rec.interval === 0;
  else if (rec.frequency === 'weekly') {
    const weekdays = new Set(rec.weekdays ?? [isoWeekday(start.day)]);
    const mondayOf = (d: number) => d - (isoWeekday(d) - 1);
    matchesDay = (d) => d >= start.day && weekdays.has(isoWeekday(d)) && ((mondayOf(d) - mondayOf(start.day)) / 7) % rec.interval === 0;
  } else {
    matchesDay = (d) => {
      if (d < start.day) return false;
      const date = dateOfEpochDay(d);
      const months = (date.year - startDate.year) * 12 + (date.month - startDate.month);
      return date.day === startDate.day && months % rec.interval === 0;
    };
  }
  let lastDay = rec ? Infinity : start.day;
  if (rec?.until) lastDay = Math.min(lastDay, localParts(`${rec.until}T00:00`).day);
  if (rec?.count !== undefined) {
    // The day of the count-th occurrence, found by walking days (bounded: count <= 10 000).
    let seen = 0;
    for (let d = start.day; d <= lastDay && d < start.day + 400 * 366; d++) {
      if (matchesDay(d) && ++seen === rec.count) {
        lastDay = d;
        break;
      }
    }
  }
  const compiled: Compiled = {
    zone,
    startDay: start.day,
    startTime: start.time,
    endDayOffset: end.day - start.day,
    endTime: end.time,
    lengthMs: localMs(entry.end) - localMs(entry.start),
    lastDay,
    excludedDays: new Set(entry.exclusions.dates.map((d) => localParts(`${d}T00:00`).day)),
    excludedPeriods: entry.exclusions.periods.map((p) => {
      const s = localParts(p.start);
      const e = localParts(p.end);
      return { start: localToMs(s.day, s.time, zone), end: localToMs(e.day, e.time, zone) };
    }),
    matchesDay,
  };
  compiledCache.set(entry, compiled);
  return compiled;
}

/** Local day (days since epoch) of an instant in a zone. */
function localDayOf(t: number, zone: string): number {
  const dt = DateTime.fromMillis(t, { zone });
  return epochDay(dt.year, dt.month, dt.day);
}

/**
 * Occurrences of an entry overlapping [fromMs, toMs), in start order, before masking by exclusion periods
 * (occurrences starting on an excluded date are left out).
 */
export function occurrencesBetween(entry: CalendarEntry, fromMs: number, toMs: number): Interval[] {
  const c = compile(entry);
  if (!(toMs > fromMs)) return [];
  const firstDay = Math.max(c.startDay, localDayOf(fromMs, c.zone) - c.endDayOffset - 1);
  const lastDay = Math.min(c.lastDay, localDayOf(toMs, c.zone) + 1);
  const result: Interval[] = [];
  for (let d = firstDay; d <= lastDay; d++) {
    if (!c.matchesDay(d) || c.excludedDays.has(d)) continue;
    const start = localToMs(d, c.startTime, c.zone);
    // Only the spring gap makes the resolved end not after the start: keep the length (see the header).
    const resolvedEnd = localToMs(d + c.endDayOffset, c.endTime, c.zone);
    const end = resolvedEnd > start ? resolvedEnd : start + c.lengthMs;
    if (end > fromMs && start < toMs) result.push({ start, end });
  }
  return result;
}

function withoutPeriods(intervals: Interval[], periods: readonly Interval[]): Interval[] {
  let result = intervals;
  for (const period of periods) {
    result = result.flatMap((i) => {
      if (period.end <= i.start || period.start >= i.end) return [i];
      const parts: Interval[] = [];
      if (period.start > i.start) parts.push({ start: i.start, end: period.start });
      if (period.end < i.end) parts.push({ start: period.end, end: i.end });
      return parts;
    });
  }
  return result;
}

/** The parts of [fromMs, toMs) during which the entry is in effect (occurrences minus exclusion periods). */
export function activeIntervals(entry: CalendarEntry, fromMs: number, toMs: number): Interval[] {
  const clipped = occurrencesBetween(entry, fromMs, toMs).map((o) => ({ start: Math.max(o.start, fromMs), end: Math.min(o.end, toMs) }));
  return withoutPeriods(clipped, compile(entry).excludedPeriods);
}

/**
 * Occurrences overlapping [fromMs, toMs) minus exclusion periods, NOT clipped to the range (what a person
 * listing the calendar wants to see: the whole occurrence); an occurrence split by a period gives two.
 */
export function occurrencesInEffect(entry: CalendarEntry, fromMs: number, toMs: number): Interval[] {
  return withoutPeriods(occurrencesBetween(entry, fromMs, toMs), compile(entry).excludedPeriods).filter((i) => i.end > fromMs && i.start < toMs);
}

/** Whether the entry is in effect at epoch ms `t`. */
export function isActiveAt(entry: CalendarEntry, t: number): boolean {
  return activeIntervals(entry, t, t + 1).length > 0;
}

/** Whether the entry applies to a target id "namespace/name". */
export function appliesTo(entry: CalendarEntry, targetId: string): boolean {
  return entry.targets.includes('*') || entry.targets.includes(targetId);
}

function toEffect(entry: CalendarEntry): CalendarEffect {
  const e = entry.effect;
  const effect: CalendarEffect = { entryId: entry.id, kind: e.kind, priority: entry.priority };
  if (e.replicas !== undefined) effect.replicas = e.replicas;
  if (e.kind === 'relative' && e.percent !== undefined) effect.percent = e.percent;
  return effect;
}

/** Higher priority first, then entry id ascending: the one deterministic order of effects. */
export function byPrecedence(a: CalendarEffect, b: CalendarEffect): number {
  return b.priority - a.priority || (a.entryId < b.entryId ? -1 : a.entryId > b.entryId ? 1 : 0);
}

/** Effects of the entries in effect at `t` (for `targetId` when given), in precedence order. */
export function calendarEffectsAt(entries: readonly CalendarEntry[], t: number, targetId?: string): CalendarEffect[] {
  return entries
    .filter((e) => (targetId === undefined || appliesTo(e, targetId)) && isActiveAt(e, t))
    .map(toEffect)
    .sort(byPrecedence);
}

function raises(effect: CalendarEffect): boolean {
  if (effect.kind === 'floor' || effect.kind === 'absolute') return true;
  if (effect.kind === 'relative') return (effect.replicas ?? 0) >= 0 && (effect.percent ?? 0) >= 0;
  return false;
}

/**
 * Effects for one planning tick: everything in effect now, plus the effects that raise capacity and start
 * within the lead window (so replicas are Ready when the event begins). An absolute entry that has not
 * begun yet acts as a floor until it does: capacity goes up early, never down early.
 */
export function calendarEffectsForTick(entries: readonly CalendarEntry[], targetId: string, now: number, leadMs: number): CalendarEffect[] {
  const effects: CalendarEffect[] = [];
  for (const entry of entries) {
    if (!appliesTo(entry, targetId)) continue;
    const effect = toEffect(entry);
    if (isActiveAt(entry, now)) effects.push(effect);
    else if (leadMs > 0 && raises(effect) && activeIntervals(entry, now, now + leadMs + 1).length > 0) {
      effects.push(effect.kind === 'absolute' ? { ...effect, kind: 'floor' } : effect);
    }
  }
  return effects.sort(byPrecedence);
}

/** Result of applying calendar effects to planned replicas. */
export interface CalendarOutcome {
  replicas: number;
  /** The rule in words when the calendar changed the replicas ("calendar floor 20 (black-friday)"), else null. */
  rule: string | null;
  /** Effects overridden by higher-precedence ones, in words. */
  notes: string[];
  /** Bounds the calendar set, for the decision's inputs. */
  floor: number | null;
  ceiling: number | null;
}

/**
 * Applies effects (any order; sorted here) to the planned replicas. Relative effects adjust the plan
 * (percent then +N, in precedence order, rounded up); floors, ceilings and absolutes then bound it, taken
 * in precedence order, each ignored when it contradicts a higher-precedence bound.
 */
export function applyCalendar(planned: number, effects: readonly CalendarEffect[]): CalendarOutcome {
  const sorted = [...effects].sort(byPrecedence);
  const notes: string[] = [];
  let value = planned;
  let relativeRule: string | null = null;
  const hasAbsolute = sorted.some((e) => e.kind === 'absolute');
  for (const e of sorted) {
    if (e.kind !== 'relative') continue;
    if (hasAbsolute) {
      notes.push(`calendar ${e.entryId}: relative effect ignored under an absolute one`);
      continue;
    }
    const before = value;
    if (e.percent !== undefined) value = value * (1 + e.percent / 100);
    if (e.replicas !== undefined) value += e.replicas;
    value = Math.max(0, Math.ceil(value - 1e-9));
    const parts = [e.percent !== undefined ? `${sign(e.percent)}%` : null, e.replicas !== undefined ? `${sign(e.replicas)}` : null].filter(Boolean);
    relativeRule = `calendar relative ${parts.join(' ')} (${e.entryId}): ${before} -> ${value}`;
  }
  let lo = 0;
  let hi = Infinity;
  const bounds: { effect: CalendarEffect; lo: number; hi: number }[] = [];
  for (const e of sorted) {
    if (e.kind === 'relative' || e.replicas === undefined) continue;
    const [elo, ehi] = e.kind === 'floor' ? [e.replicas, Infinity] : e.kind === 'ceiling' ? [0, e.replicas] : [e.replicas, e.replicas];
    const nlo = Math.max(lo, elo);
    const nhi = Math.min(hi, ehi);
    if (nlo > nhi) {
      notes.push(`calendar ${e.kind} ${e.replicas} (${e.entryId}) overridden by higher-precedence entries`);
      continue;
    }
    lo = nlo;
    hi = nhi;
    bounds.push({ effect: e, lo: elo, hi: ehi });
  }
  const bounded = Math.min(hi, Math.max(lo, value));
  let rule = value !== planned ? relativeRule : null;
  if (bounded !== value) {
    // The bound that decided: the highest-precedence effect whose own bound equals the result.
    const decider = bounds.find((b) => (bounded > value ? b.lo === bounded : b.hi === bounded))!;
    rule = `calendar ${decider.effect.kind} ${decider.effect.replicas} (${decider.effect.entryId})`;
  }
  return { replicas: bounded, rule, notes, floor: lo > 0 ? lo : null, ceiling: Number.isFinite(hi) ? hi : null };
}

function sign(x: number): string {
  return x >= 0 ? `+${x}` : `${x}`;
}

/**
 * Calendar entries as forecaster input features: one flag per entry, "calendar:<id>", 1 while in effect.
 * Defined for past and future times, as the forecaster port requires.
 */
export function calendarFeatures(entries: readonly CalendarEntry[], targetId?: string): CalendarFeature[] {
  return entries
    .filter((e) => targetId === undefined || appliesTo(e, targetId))
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .map((entry) => ({ name: `calendar:${entry.id}`, at: (t: number) => (isActiveAt(entry, t) ? 1 : 0) }));
}

/** Validates an entry as written by people or the API; throws an InputError naming the field path. */
export function parseCalendarEntry(input: unknown): CalendarEntry {
  const result = calendarEntrySchema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const path = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`)).join('');
  throw new InputError(issue.message, `calendar entry${path}`, { cause: result.error });
}
