import { describe, expect, it } from 'vitest';
import { ReplayClock } from '../../src/core/clock.js';

describe('ReplayClock', () => {
  it('wakes sleepers in wake-up order only when time reaches them', async () => {
    const clock = new ReplayClock(1_000);
    const woke: string[] = [];
    const a = clock.sleep(500).then(() => woke.push('a'));
    const b = clock.sleep(100).then(() => woke.push('b'));
    clock.advanceBy(99);
    await Promise.resolve();
    expect(woke).toEqual([]);
    clock.advanceTo(1_600);
    await Promise.all([a, b]);
    expect(woke).toEqual(['b', 'a']);
    expect(clock.now()).toBe(1_600);
  });

  it('refuses to go back in time', () => {
    const clock = new ReplayClock(10);
    expect(() => clock.advanceTo(5)).toThrow(/cannot go back/);
  });
});
