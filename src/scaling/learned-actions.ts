/**
 * Scaling learned from history: reactive interventions (the reactive path had to scale up because the
 * plan was short) that recur at the same time of week become suggested calendar floors, and a forecaster
 * feature. Pure: the decision log is the record; this reads interventions out of it.
 */
import { DateTime } from 'luxon';
import type { CalendarFeature } from '../forecasting/forecaster.js';
import type { ScalingDecision } from '../metrics/metrics-store.js';
import { activeIntervals, localDateTimeToMs, type CalendarEntry } from './calendar.js';

/** One time the reactive path raised replicas above the plan. */
export interface ReactiveIntervention {
  /** Target id "namespace/name". */
  target: string;
  /** Epoch ms. */
  time: number;
  fromReplicas: number;
  toReplicas: number;
  /** The rule that decided, e.g. "reactive: cpu 93% > 90%". */
  rule: string;
}

/** The intervention a decision records, or null when it is not a reactive scale-up. */
export function interventionFromDecision(decision: ScalingDecision): ReactiveIntervention | null {
  // The breach may be the cause behind a policy stage ("step limit +5; wanted 15 by reactive: ...").
  if (!/(^|by )reactive:/.test(decision.rule) || decision.desiredReplicas <= decision.previousReplicas) return null;
  return { target: decision.target, time: decision.time, fromReplicas: decision.previousReplicas, toReplicas: decision.desiredReplicas, rule: decision.rule };
}

export interface LearnOptions {
  /** Time zone in which "the same time of week" is meant (IANA), e.g. where the users live. */
  timeZone: string;
  /** Width of a time-of-week slot, minutes (must divide a day). */
  slotMinutes: number;
  /** A slot is recurring when interventions fell in it in at least this many distinct weeks. */
  minWeeks: number;
  /** Only interventions within this many weeks before `now` count. */
  lookbackWeeks: number;
  /** Priority of suggested entries: low, so entries people wrote win. */
  priority: number;
}

export const DEFAULT_LEARN: LearnOptions = { timeZone: 'UTC', slotMinutes: 60, minWeeks: 3, lookbackWeeks: 8, priority: -10 };

export interface SuggestedFloor {
  target: string;
  /** ISO weekday of the slot's start, 1 = Monday. */
  weekday: number;
  /** Local start, minutes after midnight. */
  startMinute: number;
  durationMinutes: number;
  /** Suggested floor: the median over the weeks of each week's highest replicas in the slot. */
  replicas: number;
  /** Distinct weeks with interventions in the slot. */
  weeks: number;
  interventions: number;
  /** A ready-to-store weekly calendar entry (floor), starting at the next occurrence after `now`. */
  entry: CalendarEntry;
}

const MINUTES_PER_WEEK = 7 * 24 * 60;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : Math.ceil((sorted[mid - 1]! + sorted[mid]!) / 2);
}

/**
 * Groups interventions by target and local time-of-week slot; slots recurring in enough distinct weeks
 * become floors. Adjacent recurring slots of a target merge into one entry (the larger floor).
 */
export function suggestCalendarFloors(interventions: readonly ReactiveIntervention[], now: number, options: Partial<LearnOptions> = {}): SuggestedFloor[] {
  const o = { ...DEFAULT_LEARN, ...options };
  const since = now - o.lookbackWeeks * 7 * 86_400_000;
  // target -> slot index within the week -> week key -> highest replicas that week
  const slots = new Map<string, Map<number, Map<string, { replicas: number; count: number }>>>();
  for (const i of interventions) {
    if (i.time < since || i.time > now) continue;
    const local = DateTime.fromMillis(i.time, { zone: o.timeZone });
    const minuteOfWeek = (local.weekday - 1) * 1440 + local.hour * 60 + local.minute;
    const slot = Math.floor(minuteOfWeek / o.slotMinutes);
    const week = `${local.weekYear}-${local.weekNumber}`;
    const byTarget = slots.get(i.target) ?? slots.set(i.target, new Map()).get(i.target)!;
    const bySlot = byTarget.get(slot) ?? byTarget.set(slot, new Map()).get(slot)!;
    const seen = bySlot.get(week);
    bySlot.set(week, { replicas: Math.max(seen?.replicas ?? 0, i.toReplicas), count: (seen?.count ?? 0) + 1 });
  }
  const suggestions: SuggestedFloor[] = [];
  for (const target of [...slots.keys()].sort()) {
    const recurring = [...slots.get(target)!.entries()]
      .filter(([, weeks]) => weeks.size >= o.minWeeks)
      .sort((a, b) => a[0] - b[0]);
    // Merge runs of adjacent slots.
    const runs: { first: number; last: number; replicas: number; weeks: number; interventions: number }[] = [];
    for (const [slot, weeks] of recurring) {
      const replicas = median([...weeks.values()].map((w) => w.replicas));
      const count = [...weeks.values()].reduce((s, w) => s + w.count, 0);
      const last = runs[runs.length - 1];
      if (last && last.last === slot - 1) {
        last.last = slot;
        last.replicas = Math.max(last.replicas, replicas);
        last.weeks = Math.max(last.weeks, weeks.size);
        last.interventions += count;
      } else runs.push({ first: slot, last: slot, replicas, weeks: weeks.size, interventions: count });
    }
    for (const run of runs) {
      const startMinuteOfWeek = run.first * o.slotMinutes;
      const durationMinutes = (run.last - run.first + 1) * o.slotMinutes;
      const weekday = Math.floor(startMinuteOfWeek / 1440) + 1;
      const startMinute = startMinuteOfWeek % 1440;
      suggestions.push({
        target,
        weekday,
        startMinute,
        durationMinutes,
        replicas: run.replicas,
        weeks: run.weeks,
        interventions: run.interventions,
        entry: weeklyEntry(target, weekday, startMinute, durationMinutes, run.replicas, now, o),
      });
    }
  }
  return suggestions;
}

function weeklyEntry(target: string, weekday: number, startMinute: number, durationMinutes: number, replicas: number, now: number, o: LearnOptions): CalendarEntry {
  const today = DateTime.fromMillis(now, { zone: o.timeZone }).startOf('day');
  let start = today.plus({ days: (weekday - today.weekday + 7) % 7 }).set({ hour: Math.floor(startMinute / 60), minute: startMinute % 60 });
  if (start.toMillis() < now) start = start.plus({ weeks: 1 });
  const end = start.plus({ minutes: Math.min(durationMinutes, MINUTES_PER_WEEK) });
  const hhmm = `${String(Math.floor(startMinute / 60)).padStart(2, '0')}${String(startMinute % 60).padStart(2, '0')}`;
  const fmt = "yyyy-MM-dd'T'HH:mm";
  return {
    id: `learned:${target.replace(/[^A-Za-z0-9_.:-]/g, '.')}:${weekday}-${hhmm}`.slice(0, 128),
    targets: [target],
    title: `learned from recurring reactive scale-ups (weekday ${weekday} ${hhmm.slice(0, 2)}:${hhmm.slice(2)})`,
    effect: { kind: 'floor', replicas },
    priority: o.priority,
    timeZone: o.timeZone,
    start: start.toFormat(fmt),
    end: end.toFormat(fmt),
    recurrence: { frequency: 'weekly', interval: 1, weekdays: [weekday] },
    exclusions: { dates: [], periods: [] },
  };
}

/**
 * The suggestions as one forecaster feature, "learned:reactive", 1 inside any suggested slot of the target.
 * Defined for past and future times (the slots recur weekly without an end).
 */
export function learnedFeature(suggestions: readonly SuggestedFloor[], target: string): CalendarFeature {
  const slots = suggestions.filter((s) => s.target === target);
  const zone = slots[0]?.entry.timeZone ?? 'UTC';
  return {
    name: 'learned:reactive',
    at(t: number): number {
      const local = DateTime.fromMillis(t, { zone });
      const minuteOfWeek = (local.weekday - 1) * 1440 + local.hour * 60 + local.minute;
      for (const s of slots) {
        const start = (s.weekday - 1) * 1440 + s.startMinute;
        const offset = (minuteOfWeek - start + MINUTES_PER_WEEK) % MINUTES_PER_WEEK;
        if (offset < s.durationMinutes) return 1;
      }
      return 0;
    },
  };
}

/** Whether a suggested floor is already covered by an entry people wrote (same target, active over its next slot). */
export function alreadyCovered(suggestion: SuggestedFloor, entries: readonly CalendarEntry[]): boolean {
  const start = localDateTimeToMs(suggestion.entry.start, suggestion.entry.timeZone);
  const end = localDateTimeToMs(suggestion.entry.end, suggestion.entry.timeZone);
  return entries.some(
    (e) =>
      !e.id.startsWith('learned:') &&
      (e.targets.includes('*') || e.targets.includes(suggestion.target)) &&
      (e.effect.kind === 'floor' || e.effect.kind === 'absolute') &&
      (e.effect.replicas ?? 0) >= suggestion.replicas &&
      activeIntervals(e, start, end).reduce((sum, i) => sum + i.end - i.start, 0) >= end - start,
  );
}
