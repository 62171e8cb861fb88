/**
 * The CalendarStore contract: every implementation (memory, Redis) runs this same suite. `makeStore` must
 * return an empty store on every call; `corrupt`, when given, writes a raw invalid value under an id (what a
 * store holding data from an older, incompatible version would return).
 */
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/core/errors.js';
import { isActiveAt } from '../../src/scaling/calendar.js';
import type { CalendarStore } from '../../src/scaling/calendar-store.js';

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

export function calendarStoreContract(name: string, makeStore: () => Promise<CalendarStore>, corrupt?: (store: CalendarStore, id: string) => Promise<void>): void {
  describe(`CalendarStore contract: ${name}`, () => {
    it('stores entries with defaults applied and reads them back', async () => {
      const store = await makeStore();
      const stored = await store.put(standup);
      expect(stored.title).toBe('');
      expect(stored.exclusions).toEqual({ dates: ['2026-12-25'], periods: [] });
      expect(await store.get('weekday-mornings')).toEqual(stored);
      expect(await store.get('missing')).toBeNull();
      const back = (await store.get('weekday-mornings'))!;
      expect(isActiveAt(back, Date.UTC(2026, 0, 6, 7, 30))).toBe(true);
    });

    it('lists by id, all or those applying to a target', async () => {
      const store = await makeStore();
      await store.put(standup);
      await store.put(sale);
      expect((await store.list()).map((e) => e.id)).toEqual(['black-friday', 'weekday-mornings']);
      expect((await store.list('shop/web')).map((e) => e.id)).toEqual(['black-friday', 'weekday-mornings']);
      expect((await store.list('default/other')).map((e) => e.id)).toEqual(['weekday-mornings']);
    });

    it('replaces an entry with the same id and deletes', async () => {
      const store = await makeStore();
      await store.put(sale);
      await store.put({ ...sale, effect: { kind: 'floor', replicas: 30 } });
      expect((await store.list()).length).toBe(1);
      expect((await store.get('black-friday'))!.effect).toEqual({ kind: 'floor', replicas: 30 });
      expect(await store.delete('black-friday')).toBe(true);
      expect(await store.delete('black-friday')).toBe(false);
      expect(await store.list()).toEqual([]);
    });

    it('rejects an invalid entry with the field path and stores nothing', async () => {
      const store = await makeStore();
      await expect(store.put({ ...sale, timeZone: 'Nowhere/Special' })).rejects.toThrow(InputError);
      await expect(store.put({ ...sale, end: '2026-11-26T00:00' })).rejects.toThrow('calendar entry.end:');
      await expect(store.put({ ...sale, effect: { kind: 'floor', replicas: 2.5 } })).rejects.toThrow('calendar entry.effect.replicas:');
      expect(await store.list()).toEqual([]);
    });

    it('returns copies: changing what it returned changes nothing stored', async () => {
      const store = await makeStore();
      const stored = await store.put(sale);
      stored.targets.push('x/y');
      (await store.get('black-friday'))!.targets.push('x/z');
      expect((await store.get('black-friday'))!.targets).toEqual(['shop/web', 'shop/api']);
    });

    if (corrupt) {
      it('skips a stored value that no longer parses, so one bad entry never stops scaling', async () => {
        const store = await makeStore();
        await store.put(sale);
        await corrupt(store, 'broken');
        expect((await store.list()).map((e) => e.id)).toEqual(['black-friday']);
        expect(await store.get('broken')).toBeNull();
      });
    }
  });
}
