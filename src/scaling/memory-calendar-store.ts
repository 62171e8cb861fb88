/**
 * Calendar entries in process memory (tests, the demo). Entries are kept as JSON text, so what would not
 * survive Redis fails here too, and callers never share mutable objects with the store. Each write runs
 * without an await between its check and its change, so compare-and-set is atomic here as in Redis.
 * Left out: persistence and sharing between processes (redis-calendar-store.ts).
 */
import { appliesTo, parseCalendarEntry, type CalendarEntry } from './calendar.js';
import { decodeMeta, newMeta, sortEntries, type CalendarEntryMeta, type CalendarStore, type StoredCalendarEntry } from './calendar-store.js';

/** `initial` entries are stored at revision 1 by "config" at epoch 0 (they come from a file, not a person). */
export function createMemoryCalendarStore(initial: unknown[] = []): CalendarStore {
  const entries = new Map<string, { entry: string; meta: string }>();
  const read = (raw: { entry: string; meta: string }): StoredCalendarEntry => ({ entry: parseCalendarEntry(JSON.parse(raw.entry)), meta: decodeMeta(raw.meta) });
  const keep = (entry: CalendarEntry, meta: CalendarEntryMeta) => {
    const raw = { entry: JSON.stringify(entry), meta: JSON.stringify(meta) };
    entries.set(entry.id, raw);
    return read(raw);
  };
  for (const entry of initial) {
    const parsed = parseCalendarEntry(entry);
    keep(parsed, newMeta({ author: 'config', at: 0 }));
  }
  const all = (targetId?: string) => {
    const stored = [...entries.values()].map(read);
    return sortEntries(targetId === undefined ? stored : stored.filter((s) => appliesTo(s.entry, targetId)));
  };
  return {
    async list(targetId) {
      return all(targetId).map((s) => s.entry);
    },
    async listWithMeta(targetId) {
      return all(targetId);
    },
    async get(id) {
      const raw = entries.get(id);
      return raw === undefined ? null : read(raw);
    },
    async create(entry, write) {
      const parsed = parseCalendarEntry(entry);
      if (entries.has(parsed.id)) return { ok: false, reason: 'exists' };
      return { ok: true, stored: keep(parsed, newMeta(write)) };
    },
    async replace(id, entry, expectedRevision, write) {
      const parsed = parseCalendarEntry(entry);
      if (parsed.id !== id) throw new TypeError(`calendar store: replace of "${id}" with an entry whose id is "${parsed.id}"`);
      const raw = entries.get(id);
      if (raw === undefined) return { ok: false, reason: 'missing' };
      const meta = decodeMeta(raw.meta);
      if (meta.revision !== expectedRevision) return { ok: false, reason: 'stale', revision: meta.revision };
      const at = new Date(write.at).toISOString();
      return { ok: true, stored: keep(parsed, { ...meta, revision: meta.revision + 1, updatedAt: at, updatedBy: write.author }) };
    },
    async delete(id, expectedRevision) {
      const raw = entries.get(id);
      if (raw === undefined) return { ok: false, reason: 'missing' };
      const revision = decodeMeta(raw.meta).revision;
      if (expectedRevision !== undefined && revision !== expectedRevision) return { ok: false, reason: 'stale', revision };
      entries.delete(id);
      return { ok: true };
    },
  };
}
