/**
 * The calendar store port: where calendar entries live, so every replica of the API and the planner read the
 * same calendar. Implementations: memory-calendar-store.ts (tests, the demo) and redis-calendar-store.ts.
 * Both pass test/contract/calendar-store.contract.ts.
 *
 * Every entry carries meta: a revision that each write bumps, and who created and last changed it, when.
 * Writes are compare-and-set, so two people editing the same entry never silently overwrite each other:
 * `create` fails when the id exists, `replace` and `delete` when the revision moved on. Each write is atomic
 * (one Lua script in Redis). Entries are validated on the way in (InputError naming the field) and come back
 * with defaults applied.
 *
 * Left out: the history of earlier revisions (only the latest author and time are kept), expanding
 * recurrences (calendar.ts), and checking targets against the config (the API does that).
 */
import type { CalendarEntry } from './calendar.js';

/** Who changed an entry, and when. Times are ISO 8601 UTC strings. */
export interface CalendarEntryMeta {
  /** 1 for a new entry, +1 per replace. */
  revision: number;
  createdAt: string;
  createdBy: string;
  updatedAt: string;
  updatedBy: string;
}

export interface StoredCalendarEntry {
  entry: CalendarEntry;
  meta: CalendarEntryMeta;
}

/** The author and time of a write. */
export interface CalendarWrite {
  /** Who writes (the API token's name, "anonymous" without auth). */
  author: string;
  /** Epoch ms of the write (the injected clock, so a replay stamps replayed time). */
  at: number;
}

/** The outcome of a compare-and-set write; nothing is stored unless `ok`. */
export type CalendarWriteResult =
  | { ok: true; stored: StoredCalendarEntry }
  /** `exists`: create of an id that is taken; `missing`: no entry with that id. */
  | { ok: false; reason: 'exists' | 'missing' }
  /** The entry's revision is no longer the one expected; `revision` is the current one. */
  | { ok: false; reason: 'stale'; revision: number };

export type CalendarDeleteResult = { ok: true } | { ok: false; reason: 'missing' } | { ok: false; reason: 'stale'; revision: number };

export interface CalendarStore {
  /** All entries sorted by id, or only those that apply to `targetId` ("namespace/name") when given (the planner's read). */
  list(targetId?: string): Promise<CalendarEntry[]>;
  /** The same, with meta. */
  listWithMeta(targetId?: string): Promise<StoredCalendarEntry[]>;
  get(id: string): Promise<StoredCalendarEntry | null>;
  /** Validates and stores a new entry at revision 1; `exists` when the id is taken. */
  create(entry: unknown, write: CalendarWrite): Promise<CalendarWriteResult>;
  /** Validates and replaces entry `id` if its revision is still `expectedRevision`; the revision goes up by one. */
  replace(id: string, entry: unknown, expectedRevision: number, write: CalendarWrite): Promise<CalendarWriteResult>;
  /** Removes entry `id`, only if its revision is `expectedRevision` when given. */
  delete(id: string, expectedRevision?: number): Promise<CalendarDeleteResult>;
}

/** Meta of an entry stored before revisions existed: revision 1, author and time unknown. */
export const LEGACY_META: CalendarEntryMeta = {
  revision: 1,
  createdAt: new Date(0).toISOString(),
  createdBy: 'unknown',
  updatedAt: new Date(0).toISOString(),
  updatedBy: 'unknown',
};

/** Sorted by id, the one order every implementation returns. */
export function sortEntries<T extends CalendarEntry | StoredCalendarEntry>(entries: T[]): T[] {
  const id = (e: T) => ('meta' in e ? e.entry.id : (e as CalendarEntry).id);
  return entries.sort((a, b) => (id(a) < id(b) ? -1 : id(a) > id(b) ? 1 : 0));
}

/** Meta as stored, or the legacy meta when absent or unreadable (so an odd value never hides the entry). */
export function decodeMeta(raw: string | null | undefined): CalendarEntryMeta {
  if (raw === null || raw === undefined) return { ...LEGACY_META };
  try {
    const meta = JSON.parse(raw) as Partial<CalendarEntryMeta>;
    const strings = [meta.createdAt, meta.createdBy, meta.updatedAt, meta.updatedBy].every((v) => typeof v === 'string');
    if (typeof meta.revision === 'number' && Number.isInteger(meta.revision) && meta.revision >= 1 && strings) return meta as CalendarEntryMeta;
  } catch {
    // fall through: unreadable meta counts as legacy
  }
  return { ...LEGACY_META };
}

/** The meta of a new entry. */
export function newMeta(write: CalendarWrite): CalendarEntryMeta {
  const at = new Date(write.at).toISOString();
  return { revision: 1, createdAt: at, createdBy: write.author, updatedAt: at, updatedBy: write.author };
}
