/**
 * A calendar entry as people type it on the command line: entry flags (--target, --start, --floor,
 * --weekly --weekdays mon,fri ...) and/or a YAML or JSON file (`--file entry.yaml`, `-` for stdin), flags
 * overriding the file's fields. The result is the API's entry input (src/scaling/calendar.ts); the server
 * validates it and names the field that is wrong, this file only rejects what cannot be sent at all (a
 * word where a number goes, two effects, a recurrence flag without a frequency) and names the flag.
 * Left out: defaults (the server applies them) and time-zone or date validation (the server's).
 */
import { readFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { InputError } from '../core/errors.js';

/** The flags, as commander hands them over (strings; repeatable ones as arrays). */
export interface EntryFlags {
  file?: string;
  id?: string;
  target?: string[];
  title?: string;
  start?: string;
  end?: string;
  tz?: string;
  floor?: string;
  ceiling?: string;
  absolute?: string;
  add?: string;
  addPercent?: string;
  priority?: string;
  daily?: boolean;
  weekly?: boolean;
  monthly?: boolean;
  weekdays?: string;
  interval?: string;
  until?: string;
  count?: string;
  excludeDate?: string[];
}

const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), value];

/** Adds the entry flags to a command (calendar add, preview, edit). */
export function addEntryOptions(command: Command): Command {
  return command
    .option('--file <file>', 'entry as YAML or JSON ("-" reads stdin); flags override its fields')
    .option('--id <id>', 'entry id (letters, digits, - _ . :); generated when absent')
    .option('--target <ns/name>', 'target the entry applies to, "*" for all (repeatable)', collect)
    .option('--title <text>', 'what the event is')
    .option('--start <local>', 'local start, "2026-11-27T09:00" (in --tz)')
    .option('--end <local>', 'local end, "2026-11-27T17:00"')
    .option('--tz <zone>', 'IANA time zone of start and end, e.g. Europe/Paris (default UTC)')
    .addOption(new Option('--floor <replicas>', 'effect: at least this many replicas').conflicts(['ceiling', 'absolute', 'add', 'addPercent']))
    .addOption(new Option('--ceiling <replicas>', 'effect: at most this many replicas').conflicts(['absolute', 'add', 'addPercent']))
    .addOption(new Option('--absolute <replicas>', 'effect: exactly this many replicas').conflicts(['add', 'addPercent']))
    .option('--add <replicas>', 'effect: add replicas to the plan (negative removes)')
    .option('--add-percent <percent>', 'effect: add percent to the plan (with or without --add)')
    .option('--priority <n>', 'higher wins when entries conflict (default 0)')
    .addOption(new Option('--daily', 'repeat every day').conflicts(['weekly', 'monthly']))
    .addOption(new Option('--weekly', 'repeat every week (on --weekdays, default the start weekday)').conflicts('monthly'))
    .option('--monthly', "repeat every month on the start's day of month")
    .option('--weekdays <list>', 'weekly: ISO weekdays 1-7 or names, "1,5" or "mon,fri"')
    .option('--interval <n>', 'every n days, weeks or months (default 1)')
    .option('--until <date>', 'last local date an occurrence may start on, "2026-12-31"')
    .option('--count <n>', 'at most this many occurrences')
    .option('--exclude-date <date>', 'no occurrence starts on this local date (repeatable)', collect);
}

const WEEKDAY_NAMES = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'];

function number(value: string, flag: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new InputError(`expected a number, got "${value}"`, flag);
  return n;
}

/** "1,5", "mon,fri" or "Monday,Friday" as ISO weekdays (1 = Monday). */
function weekdays(value: string): number[] {
  return value.split(',').map((part) => {
    const p = part.trim().toLowerCase();
    if (/^[1-7]$/.test(p)) return Number(p);
    const index = p.length >= 2 ? WEEKDAY_NAMES.findIndex((name) => name.startsWith(p)) : -1;
    if (index < 0) throw new InputError(`expected weekdays 1 (Monday) to 7 (Sunday) or names like mon,fri, got "${part}"`, '--weekdays');
    return index + 1;
  });
}

/** "2026-11-27 09:00" is accepted for "2026-11-27T09:00" (a space is easier to type than a T). */
const localDateTime = (value: string) => value.trim().replace(/^(\d{4}-\d{2}-\d{2})[ ]+(\d)/, '$1T$2');

/** Reads and parses --file (YAML is a superset of JSON); a `meta` block from `calendar get --json` is dropped. */
export function readEntryFile(file: string, readStdin: () => string = () => readFileSync(0, 'utf8')): Record<string, unknown> {
  let text: string;
  try {
    text = file === '-' ? readStdin() : readFileSync(file, 'utf8');
  } catch (error) {
    throw new InputError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, '--file', { cause: error });
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(text);
  } catch (error) {
    throw new InputError(`${file === '-' ? 'stdin' : file} is not valid YAML or JSON: ${(error as Error).message.split('\n')[0]}`, '--file', { cause: error });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new InputError(`${file === '-' ? 'stdin' : file} must hold one entry (a mapping of fields), not ${Array.isArray(parsed) ? 'a list' : String(parsed)}`, '--file');
  const { meta: _meta, ...entry } = parsed as Record<string, unknown>;
  return entry;
}

/** True when any entry flag (not --file) was given. */
export function hasEntryFlags(flags: EntryFlags): boolean {
  const { file: _file, ...rest } = flags;
  return Object.entries(rest).some(([key, value]) => ENTRY_KEYS.has(key) && value !== undefined);
}

const ENTRY_KEYS = new Set(['id', 'target', 'title', 'start', 'end', 'tz', 'floor', 'ceiling', 'absolute', 'add', 'addPercent', 'priority', 'daily', 'weekly', 'monthly', 'weekdays', 'interval', 'until', 'count', 'excludeDate']);

/**
 * The entry input from the flags laid over `base` (the file's entry, or the stored entry for `edit`).
 * Only the fields the flags name change; the rest of `base` stays as it is.
 */
export function entryFromFlags(flags: EntryFlags, base: Record<string, unknown> = {}): Record<string, unknown> {
  const entry: Record<string, unknown> = { ...base };
  if (flags.id !== undefined) entry['id'] = flags.id;
  if (flags.target !== undefined) entry['targets'] = flags.target;
  if (flags.title !== undefined) entry['title'] = flags.title;
  if (flags.start !== undefined) entry['start'] = localDateTime(flags.start);
  if (flags.end !== undefined) entry['end'] = localDateTime(flags.end);
  if (flags.tz !== undefined) entry['timeZone'] = flags.tz;
  if (flags.priority !== undefined) entry['priority'] = number(flags.priority, '--priority');

  if (flags.floor !== undefined) entry['effect'] = { kind: 'floor', replicas: number(flags.floor, '--floor') };
  else if (flags.ceiling !== undefined) entry['effect'] = { kind: 'ceiling', replicas: number(flags.ceiling, '--ceiling') };
  else if (flags.absolute !== undefined) entry['effect'] = { kind: 'absolute', replicas: number(flags.absolute, '--absolute') };
  else if (flags.add !== undefined || flags.addPercent !== undefined) {
    const effect: Record<string, unknown> = { kind: 'relative' };
    if (flags.add !== undefined) effect['replicas'] = number(flags.add, '--add');
    if (flags.addPercent !== undefined) effect['percent'] = number(flags.addPercent.replace(/%$/, ''), '--add-percent');
    entry['effect'] = effect;
  }

  const frequency = flags.daily ? 'daily' : flags.weekly ? 'weekly' : flags.monthly ? 'monthly' : undefined;
  const recurrenceFlags = { '--weekdays': flags.weekdays, '--interval': flags.interval, '--until': flags.until, '--count': flags.count };
  if (frequency !== undefined || Object.values(recurrenceFlags).some((v) => v !== undefined)) {
    const previous = typeof base['recurrence'] === 'object' && base['recurrence'] !== null ? (base['recurrence'] as Record<string, unknown>) : {};
    // A new frequency starts a new rule (weekdays of a weekly rule make no sense for a daily one).
    const recurrence: Record<string, unknown> = frequency !== undefined && frequency !== previous['frequency'] ? { frequency } : { ...previous };
    if (recurrence['frequency'] === undefined) {
      const flag = Object.entries(recurrenceFlags).find(([, v]) => v !== undefined)![0];
      throw new InputError('needs --daily, --weekly or --monthly (the entry does not repeat yet)', flag);
    }
    if (flags.weekdays !== undefined) recurrence['weekdays'] = weekdays(flags.weekdays);
    if (flags.interval !== undefined) recurrence['interval'] = number(flags.interval, '--interval');
    if (flags.until !== undefined) recurrence['until'] = flags.until.trim();
    if (flags.count !== undefined) recurrence['count'] = number(flags.count, '--count');
    entry['recurrence'] = recurrence;
  }
  if (flags.excludeDate !== undefined) {
    const previous = typeof base['exclusions'] === 'object' && base['exclusions'] !== null ? (base['exclusions'] as Record<string, unknown>) : {};
    entry['exclusions'] = { ...previous, dates: flags.excludeDate.map((d) => d.trim()) };
  }
  return entry;
}

/** The entry a command sends: --file (if any) with the flags over it; with neither, says what to pass. */
export function entryInput(flags: EntryFlags, readStdin?: () => string): Record<string, unknown> {
  if (flags.file === undefined && !hasEntryFlags(flags)) {
    throw new InputError('give the entry as flags (--target, --start, --end and one of --floor, --ceiling, --absolute, --add, --add-percent) or as --file entry.yaml', '--file');
  }
  const base = flags.file === undefined ? {} : readEntryFile(flags.file, readStdin);
  return entryFromFlags(flags, base);
}
