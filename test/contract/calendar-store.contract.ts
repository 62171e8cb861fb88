/**
 * The CalendarStore contract: every implementation (memory, Redis) runs this same suite. `makeStore` must
 * return an empty store on every call; `corrupt`, when given, writes a raw invalid value under an id (what a
 * store holding data from an older, incompatible version would return); `writeLegacy`, when given, writes an
 * entry the way stores did before revisions existed (no meta).
 */
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/core/errors.js';
import { isActiveAt } from '../../src/scaling/calendar.js';
import type { CalendarStore, CalendarWriteResult } from '../../src/scaling/calendar-store.js';

const sale = {
  id: 'black-friday',
  targets: ['shop/web', 'shop/api'],
  title: 'Black Friday sale',
  effect: { kind: 'floor', replicas: 20 },
  timeZone: 'America/New_York',
  start: '2026-11-27T00:00',
  end: '2026-11-28T00:00',
};
const standup = {
  id: 'weekday-mornings',
  targets: ['*'],
  effect: { kind: 'relative', percent: 50 },
  priority: 5,
  timeZone: 'Europe/Paris',
  start: '2026-01-05T08:00',
  end: '2026-01-05T10:00',
  recurrence: { frequency: 'weekly', weekdays: [1, 2, 3, 4, 5] },
  exclusions: { dates: ['2026-12-25'] },
};
const T1 = Date.UTC(2026, 10, 1, 12);
const T2 = T1 + 60_000;
const alice = { author: 'alice', at: T1 };
const bob = { author: 'bob', at: T2 };

function stored(result: CalendarWriteResult) {
  if (!result.ok) throw new Error(`expected the write to succeed, got ${result.reason}`);
  return result.stored;
}

export function calendarStoreContract(
  name: string,
  makeStore: () => Promise<CalendarStore>,
  corrupt?: (store: CalendarStore, id: string) => Promise<void>,
  writeLegacy?: (store: CalendarStore, entry: object & { id: string }) => Promise<void>,
): void {
  describe(`CalendarStore contract: ${name}`, () => {
    it('creates entries at revision 1 with defaults applied and who and when, and reads them back', async () => {
      const store = await makeStore();
      const created = stored(await store.create(standup, alice));
      expect(created.entry.title).toBe('');
      expect(created.entry.exclusions).toEqual({ dates: ['2026-12-25'], periods: [] });
      expect(created.meta).toEqual({ revision: 1, createdAt: '2026-11-01T12:00:00.000Z', createdBy: 'alice', updatedAt: '2026-11-01T12:00:00.000Z', updatedBy: 'alice' });
      expect(await store.get('weekday-mornings')).toEqual(created);
      expect(await store.get('missing')).toBeNull();
      const back = (await store.get('weekday-mornings'))!.entry;
      expect(isActiveAt(back, Date.UTC(2026, 0, 6, 7, 30))).toBe(true);
    });

    it('lists by id, all or those applying to a target, with or without meta', async () => {
      const store = await makeStore();
      await store.create(standup, alice);
      await store.create(sale, bob);
      expect((await store.list()).map((e) => e.id)).toEqual(['black-friday', 'weekday-mornings']);
      expect((await store.list('shop/web')).map((e) => e.id)).toEqual(['black-friday', 'weekday-mornings']);
      expect((await store.list('default/other')).map((e) => e.id)).toEqual(['weekday-mornings']);
      expect((await store.listWithMeta()).map((s) => [s.entry.id, s.meta.createdBy])).toEqual([['black-friday', 'bob'], ['weekday-mornings', 'alice']]);
      expect((await store.listWithMeta('default/other')).map((s) => s.entry.id)).toEqual(['weekday-mornings']);
    });

    it('refuses to create an id that exists and keeps the stored entry', async () => {
      const store = await makeStore();
      const first = stored(await store.create(sale, alice));
      expect(await store.create({ ...sale, effect: { kind: 'floor', replicas: 99 } }, bob)).toEqual({ ok: false, reason: 'exists' });
      expect(await store.get('black-friday')).toEqual(first);
    });

    it('replaces at the expected revision: revision +1, creator kept, updater and time recorded', async () => {
      const store = await makeStore();
      await store.create(sale, alice);
      const replaced = stored(await store.replace('black-friday', { ...sale, effect: { kind: 'floor', replicas: 30 } }, 1, bob));
      expect(replaced.entry.effect).toEqual({ kind: 'floor', replicas: 30 });
      expect(replaced.meta).toEqual({ revision: 2, createdAt: '2026-11-01T12:00:00.000Z', createdBy: 'alice', updatedAt: '2026-11-01T12:01:00.000Z', updatedBy: 'bob' });
      expect(await store.get('black-friday')).toEqual(replaced);
      expect((await store.list()).length).toBe(1);
    });

    it('refuses a replace at a stale revision or of a missing entry, changing nothing', async () => {
      const store = await makeStore();
      await store.create(sale, alice);
      const current = stored(await store.replace('black-friday', { ...sale, title: 'v2' }, 1, bob));
      expect(await store.replace('black-friday', { ...sale, title: 'v3' }, 1, alice)).toEqual({ ok: false, reason: 'stale', revision: 2 });
      expect(await store.get('black-friday')).toEqual(current);
      expect(await store.replace('nope', { ...sale, id: 'nope' }, 1, alice)).toEqual({ ok: false, reason: 'missing' });
      expect(await store.get('nope')).toBeNull();
    });

    it('of two concurrent replaces expecting the same revision, exactly one wins', async () => {
      const store = await makeStore();
      await store.create(sale, alice);
      const results = await Promise.all([
        store.replace('black-friday', { ...sale, title: 'by alice' }, 1, alice),
        store.replace('black-friday', { ...sale, title: 'by bob' }, 1, bob),
      ]);
      const winners = results.filter((r) => r.ok);
      expect(winners).toHaveLength(1);
      expect(results.filter((r) => !r.ok)).toEqual([{ ok: false, reason: 'stale', revision: 2 }]);
      const after = (await store.get('black-friday'))!;
      expect(after.meta.revision).toBe(2);
      expect(after).toEqual(stored(winners[0]!));
    });

    it('deletes, at the expected revision when given', async () => {
      const store = await makeStore();
      await store.create(sale, alice);
      await store.create(standup, alice);
      expect(await store.delete('black-friday', 2)).toEqual({ ok: false, reason: 'stale', revision: 1 });
      expect(await store.get('black-friday')).not.toBeNull();
      expect(await store.delete('black-friday', 1)).toEqual({ ok: true });
      expect(await store.delete('black-friday')).toEqual({ ok: false, reason: 'missing' });
      expect(await store.delete('weekday-mornings')).toEqual({ ok: true });
      expect(await store.list()).toEqual([]);
      // A new entry under a deleted id starts again at revision 1.
      expect(stored(await store.create(sale, bob)).meta.revision).toBe(1);
    });

    it('rejects an invalid entry with the field path and stores or changes nothing', async () => {
      const store = await makeStore();
      await expect(store.create({ ...sale, timeZone: 'Nowhere/Special' }, alice)).rejects.toThrow(InputError);
      await expect(store.create({ ...sale, end: '2026-11-26T00:00' }, alice)).rejects.toThrow('calendar entry.end:');
      await expect(store.create({ ...sale, effect: { kind: 'floor', replicas: 2.5 } }, alice)).rejects.toThrow('calendar entry.effect.replicas:');
      await expect(store.create({ ...sale, effect: { kind: 'floor', replicas: 1e9 } }, alice)).rejects.toThrow('calendar entry.effect.replicas:');
      expect(await store.list()).toEqual([]);
      const first = stored(await store.create(sale, alice));
      await expect(store.replace('black-friday', { ...sale, targets: [] }, 1, bob)).rejects.toThrow('calendar entry.targets:');
      expect(await store.get('black-friday')).toEqual(first);
    });

    it('returns copies: changing what it returned changes nothing stored', async () => {
      const store = await makeStore();
      const created = stored(await store.create(sale, alice));
      created.entry.targets.push('x/y');
      created.meta.revision = 7;
      (await store.get('black-friday'))!.entry.targets.push('x/z');
      const back = (await store.get('black-friday'))!;
      expect(back.entry.targets).toEqual(['shop/web', 'shop/api']);
      expect(back.meta.revision).toBe(1);
    });

    if (corrupt) {
      it('skips a stored value that no longer parses, so one bad entry never stops scaling', async () => {
        const store = await makeStore();
        await store.create(sale, alice);
        await corrupt(store, 'broken');
        expect((await store.list()).map((e) => e.id)).toEqual(['black-friday']);
        expect(await store.get('broken')).toBeNull();
      });
    }

    if (writeLegacy) {
      it('reads an entry stored before revisions as revision 1 by "unknown", and replaces it at revision 1', async () => {
        const store = await makeStore();
        await writeLegacy(store, sale);
        const legacy = (await store.get('black-friday'))!;
        expect(legacy.meta).toEqual({ revision: 1, createdAt: '1970-01-01T00:00:00.000Z', createdBy: 'unknown', updatedAt: '1970-01-01T00:00:00.000Z', updatedBy: 'unknown' });
        expect((await store.list('shop/web')).map((e) => e.id)).toEqual(['black-friday']);
        expect(await store.replace('black-friday', { ...sale, title: 'x' }, 2, bob)).toEqual({ ok: false, reason: 'stale', revision: 1 });
        const replaced = stored(await store.replace('black-friday', { ...sale, title: 'edited' }, 1, bob));
        expect(replaced.meta).toMatchObject({ revision: 2, createdBy: 'unknown', updatedBy: 'bob', updatedAt: '2026-11-01T12:01:00.000Z' });
      });
    }
  });
}
