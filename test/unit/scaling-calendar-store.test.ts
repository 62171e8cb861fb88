import { expect, it } from 'vitest';
import { createMemoryCalendarStore } from '../../src/scaling/memory-calendar-store.js';
import { calendarStoreContract } from '../contract/calendar-store.contract.js';

calendarStoreContract('memory', async () => createMemoryCalendarStore());

it('a memory store can start from entries, validated', async () => {
  const store = createMemoryCalendarStore([{ id: 'a', targets: ['*'], effect: { kind: 'ceiling', replicas: 3 }, start: '2026-01-01T00:00', end: '2026-01-02T00:00' }]);
  expect((await store.list()).map((e) => e.id)).toEqual(['a']);
  expect(() => createMemoryCalendarStore([{ id: 'bad' }])).toThrow('calendar entry.targets:');
});
