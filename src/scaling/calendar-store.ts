/**
 * The calendar store port: where calendar entries live, so every replica of the API and the planner read the
 * same calendar. Implementations: memory-calendar-store.ts (tests, the demo) and redis-calendar-store.ts.
 * Both pass test/contract/calendar-store.contract.ts.
 *
 * Entries are validated on the way in (`put` throws InputError naming the field) and come back with defaults
 * applied. Left out: history of changes, and expanding recurrences (that is calendar.ts's job).
 */
import type { CalendarEntry } from './calendar.js';

export interface CalendarStore {
  /** All entries sorted by id, or only those that apply to `targetId` ("namespace/name") when given. */
  list(targetId?: string): Promise<CalendarEntry[]>;
  get(id: string): Promise<CalendarEntry | null>;
  /** Validates and inserts or replaces the entry with the same id; returns it as stored. */
  put(entry: unknown): Promise<CalendarEntry>;
  /** Removes an entry; false when there was none. */
  delete(id: string): Promise<boolean>;
}

/** Sorted by id, the one order every implementation returns. */
export function sortEntries(entries: CalendarEntry[]): CalendarEntry[] {
  return entries.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
