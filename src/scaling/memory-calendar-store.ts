import { appliesTo, parseCalendarEntry, type CalendarEntry } from './calendar.js';
import { sortEntries, type CalendarStore } from './calendar-store.js';

/**
 * Calendar entries in process memory. Entries are kept as JSON text, so what would not survive Redis fails
 * here too, and callers never share mutable objects with the store.
 */
export function createMemoryCalendarStore(initial: unknown[] = []): CalendarStore {
  const entries = new Map<string, string>();
  const parse = (raw: string) => parseCalendarEntry(JSON.parse(raw));
  for (const entry of initial) {
    const parsed = parseCalendarEntry(entry);
    entries.set(parsed.id, JSON.stringify(parsed));
  }
  return {
    async list(targetId) {
      const all = [...entries.values()].map(parse);
      return sortEntries(targetId === undefined ? all : all.filter((e: CalendarEntry) => appliesTo(e, targetId)));
    },
    async get(id) {
      const raw = entries.get(id);
      return raw === undefined ? null : parse(raw);
    },
    async put(entry) {
      const parsed = parseCalendarEntry(entry);
      entries.set(parsed.id, JSON.stringify(parsed));
      return parsed;
    },
    async delete(id) {
      return entries.delete(id);
    },
  };
}
