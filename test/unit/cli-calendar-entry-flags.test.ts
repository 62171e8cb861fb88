/**
 * The CLI's calendar entry from flags and files: what each flag sets, flags over a file, what is refused
 * before anything is sent (naming the flag), and that the result is an entry the calendar schema accepts.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { entryFromFlags, entryInput, readEntryFile } from '../../src/cli/calendar-entry-flags.js';
import { ifMatchHeader } from '../../src/cli/calendar.js';
import type { InputError } from '../../src/core/errors.js';
import { calendarEntrySchema } from '../../src/scaling/calendar.js';

const dir = mkdtempSync(join(tmpdir(), 'prescale-entry-flags-'));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
const thrown = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    return error as InputError;
  }
  throw new Error('expected a throw');
};

describe('calendar entry from flags', () => {
  it('builds a weekly floor the calendar schema accepts', () => {
    const entry = entryFromFlags({
      id: 'sale',
      target: ['shop/web', 'shop/api'],
      title: 'Black Friday',
      start: '2026-11-27 09:00',
      end: '2026-11-27T17:00',
      tz: 'Europe/Paris',
      floor: '20',
      priority: '5',
      weekly: true,
      weekdays: 'mon,Fri,7',
      interval: '2',
      until: '2026-12-31',
      excludeDate: ['2026-12-25'],
    });
    expect(entry).toEqual({
      id: 'sale',
      targets: ['shop/web', 'shop/api'],
      title: 'Black Friday',
      start: '2026-11-27T09:00',
      end: '2026-11-27T17:00',
      timeZone: 'Europe/Paris',
      priority: 5,
      effect: { kind: 'floor', replicas: 20 },
      recurrence: { frequency: 'weekly', weekdays: [1, 5, 7], interval: 2, until: '2026-12-31' },
      exclusions: { dates: ['2026-12-25'] },
    });
    expect(calendarEntrySchema.safeParse(entry).success).toBe(true);
  });

  it('combines --add and --add-percent into one relative effect', () => {
    expect(entryFromFlags({ add: '-2', addPercent: '50%' }).effect).toEqual({ kind: 'relative', replicas: -2, percent: 50 });
    expect(entryFromFlags({ ceiling: '4' }).effect).toEqual({ kind: 'ceiling', replicas: 4 });
    expect(entryFromFlags({ absolute: '0' }).effect).toEqual({ kind: 'absolute', replicas: 0 });
  });

  it('lays flags over a YAML file and drops the meta block of `calendar get --json`', () => {
    const path = file('entry.yaml', 'id: from-file\ntargets: [shop/web]\neffect: {kind: floor, replicas: 3}\nstart: 2026-11-27T09:00\nend: 2026-11-27T10:00\nrecurrence: {frequency: daily, count: 5}\nmeta: {revision: 4}\n');
    const entry = entryInput({ file: path, floor: '8', count: '9' });
    expect(entry).toEqual({ id: 'from-file', targets: ['shop/web'], effect: { kind: 'floor', replicas: 8 }, start: '2026-11-27T09:00', end: '2026-11-27T10:00', recurrence: { frequency: 'daily', count: 9 } });
  });

  it('reads JSON from stdin for --file -', () => {
    expect(readEntryFile('-', () => '{"id": "x", "targets": ["*"]}')).toEqual({ id: 'x', targets: ['*'] });
  });

  it('a new frequency starts a new rule; flags keep the rest of the base', () => {
    const base = { id: 'a', title: 'keep', recurrence: { frequency: 'weekly', weekdays: [1], count: 3 } };
    expect(entryFromFlags({ daily: true }, base)).toEqual({ id: 'a', title: 'keep', recurrence: { frequency: 'daily' } });
    expect(entryFromFlags({ interval: '2' }, base).recurrence).toEqual({ frequency: 'weekly', weekdays: [1], count: 3, interval: 2 });
  });

  it('refuses what cannot be sent, naming the flag', () => {
    expect(thrown(() => entryFromFlags({ floor: 'twenty' })).message).toBe('--floor: expected a number, got "twenty"');
    expect(thrown(() => entryFromFlags({ weekly: true, weekdays: 'mon,funday' })).message).toMatch(/^--weekdays: .*got "funday"/);
    expect(thrown(() => entryFromFlags({ count: '3' })).message).toBe('--count: needs --daily, --weekly or --monthly (the entry does not repeat yet)');
    expect(thrown(() => entryInput({})).where).toBe('--file');
    expect(thrown(() => entryInput({ file: join(dir, 'missing.yaml') })).message).toMatch(/^--file: cannot read .*missing\.yaml: ENOENT/);
    expect(thrown(() => entryInput({ file: file('bad.yaml', 'id: [unclosed\n') })).message).toMatch(/^--file: .*bad\.yaml is not valid YAML or JSON/);
    expect(thrown(() => entryInput({ file: file('list.yaml', '- a\n- b\n') })).message).toMatch(/must hold one entry .*not a list/);
  });

  it('turns a revision into the strong ETag the API compares', () => {
    expect(ifMatchHeader('3')).toBe('"3"');
    expect(ifMatchHeader('"12"')).toBe('"12"');
    expect(thrown(() => ifMatchHeader('latest')).where).toBe('--if-match');
  });
});
