/**
 * `prescale calendar add|list|get|rm|preview|edit`: the scheduled-scaling calendar of a running Prescale,
 * through its HTTP API (/api/calendar, contract in the API's OpenAPI document). Every subcommand takes
 * --json (print the API's answer), --server and --token. Edits are safe against concurrent ones: `edit`
 * sends the revision it read as If-Match, `rm --if-match` likewise, and a stale revision exits 2.
 * Left out: the rules of entries (the server validates; calendar-entry-flags.ts only builds the input) and
 * output formatting (calendar-format.ts).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { InputError } from '../core/errors.js';
import { CommandError, EXIT_BAD_INPUT } from './command-error.js';
import { addConnectionOptions, clientFromFlags, printJson, type ConnectionFlags } from './api-client.js';
import { addEntryOptions, entryFromFlags, entryInput, hasEntryFlags, readEntryFile, type EntryFlags } from './calendar-entry-flags.js';
import { effectText, formatEntry, formatEntryList, formatPreview, recurrenceText, whenText, type EntryBody, type PreviewBody } from './calendar-format.js';
import { parseTargetFlag } from './forecast.js';

const entryPath = (id: string) => `/api/calendar/${encodeURIComponent(id)}`;

/** A revision as the user types it ("3" or "\"3\"") as the strong ETag the API compares. */
export function ifMatchHeader(revision: string): string {
  const bare = revision.trim().replace(/^W\//, '').replace(/^"(.*)"$/, '$1');
  if (!/^\d+$/.test(bare)) throw new InputError(`expected the entry's revision number (calendar get shows it), got "${revision}"`, '--if-match');
  return `"${bare}"`;
}

function summary(entry: EntryBody): string {
  return `${entry.id}: ${effectText(entry.effect)} for ${entry.targets.join(', ')}, ${whenText(entry)}, ${recurrenceText(entry)}${entry.meta ? ` (revision ${entry.meta.revision})` : ''}`;
}

function parseDays(value: string): number {
  const days = Number(value);
  if (!Number.isInteger(days) || days < 1 || days > 14) throw new InputError(`expected whole days from 1 to 14, got "${value}"`, '--days');
  return days;
}

/** Opens $VISUAL / $EDITOR on the text and returns what was saved. */
function editInEditor(text: string): string {
  const editor = process.env['VISUAL'] || process.env['EDITOR'];
  if (!editor) throw new CommandError('set EDITOR (or VISUAL), or give the changes as entry flags or --file', EXIT_BAD_INPUT);
  const dir = mkdtempSync(join(tmpdir(), 'prescale-edit-'));
  const file = join(dir, 'entry.yaml');
  try {
    writeFileSync(file, `${text}\n`);
    // Through the shell, so EDITOR may carry arguments ("code --wait").
    const result = spawnSync(`${editor} "${file}"`, { shell: true, stdio: 'inherit' });
    if (result.status !== 0) throw new CommandError(`the editor (${editor}) exited with ${result.status ?? result.signal}; nothing was changed`, EXIT_BAD_INPUT);
    return readFileSync(file, 'utf8');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function registerCalendarCommand(program: Command): void {
  const calendar = program.command('calendar').description('The scheduled-scaling calendar of a running Prescale (add, list, get, rm, preview, edit)');

  addConnectionOptions(addEntryOptions(calendar.command('add').description('Add an entry from flags or --file (YAML or JSON)'))).action(async (flags: EntryFlags & ConnectionFlags) => {
    const entry = entryInput(flags);
    const { body } = await clientFromFlags(flags).request<EntryBody>('POST', '/api/calendar', { body: entry });
    if (flags.json) printJson(body);
    else process.stdout.write(`created ${summary(body)}\n`);
  });

  addConnectionOptions(
    calendar
      .command('list')
      .description('Entries, all or for one target, optionally only those occurring in [--from, --to)')
      .option('--target <ns/name>', 'only entries that apply to this target')
      .option('--from <time>', 'ISO date-time or epoch ms')
      .option('--to <time>', 'ISO date-time or epoch ms'),
  ).action(async (flags: ConnectionFlags & { target?: string; from?: string; to?: string }) => {
    if (flags.target !== undefined) parseTargetFlag(flags.target);
    const { body } = await clientFromFlags(flags).request<{ entries: EntryBody[] }>('GET', '/api/calendar', { query: { target: flags.target, from: flags.from, to: flags.to } });
    if (flags.json) printJson(body);
    else process.stdout.write(`${formatEntryList(body.entries)}\n`);
  });

  addConnectionOptions(calendar.command('get').description('One entry, as YAML (the form add --file takes)').argument('<id>', 'entry id')).action(
    async (id: string, flags: ConnectionFlags) => {
      const { body } = await clientFromFlags(flags).request<EntryBody>('GET', entryPath(id));
      if (flags.json) printJson(body);
      else process.stdout.write(`${formatEntry(body)}\n`);
    },
  );

  addConnectionOptions(
    calendar
      .command('rm')
      .description('Remove an entry')
      .argument('<id>', 'entry id')
      .option('--if-match <revision>', 'remove only if the entry is still at this revision'),
  ).action(async (id: string, flags: ConnectionFlags & { ifMatch?: string }) => {
    const headers = flags.ifMatch === undefined ? undefined : { 'if-match': ifMatchHeader(flags.ifMatch) };
    await clientFromFlags(flags).request('DELETE', entryPath(id), { headers });
    if (flags.json) printJson({ id, removed: true });
    else process.stdout.write(`removed ${id}\n`);
  });

  addConnectionOptions(
    addEntryOptions(
      calendar
        .command('preview')
        .description("An entry's effect before adding it: per target, the hours in which the planned replicas change")
        .option('--days <n>', 'days ahead, 1 to 14', '7'),
    ),
  ).action(async (flags: EntryFlags & ConnectionFlags & { days: string }) => {
    const days = parseDays(flags.days);
    const entry = entryInput(flags);
    const { body } = await clientFromFlags(flags).request<PreviewBody>('POST', '/api/calendar/preview', { body: { entry, days } });
    if (flags.json) printJson(body);
    else process.stdout.write(`${formatPreview(body)}\n`);
  });

  addConnectionOptions(
    addEntryOptions(
      calendar
        .command('edit')
        .description('Change an entry: the entry flags or --file over the stored entry, or $EDITOR on its YAML; saved only if nobody changed it meanwhile')
        .argument('<id>', 'entry id')
        .option('--if-match <revision>', 'change only if the entry is still at this revision (default: the revision just read)'),
    ),
  ).action(async (id: string, flags: EntryFlags & ConnectionFlags & { ifMatch?: string }) => {
    if (flags.id !== undefined && flags.id !== id) throw new InputError(`an entry keeps its id; remove it and add a new one to rename "${id}"`, '--id');
    const client = clientFromFlags(flags);
    const current = await client.request<EntryBody>('GET', entryPath(id));
    const revision = flags.ifMatch === undefined ? (current.headers.get('etag') ?? `"${current.body.meta?.revision ?? ''}"`) : ifMatchHeader(flags.ifMatch);
    const { meta: _meta, ...stored } = current.body;
    let next: Record<string, unknown>;
    if (flags.file !== undefined || hasEntryFlags(flags)) {
      next = entryFromFlags(flags, flags.file === undefined ? stored : readEntryFile(flags.file));
    } else {
      const edited = editInEditor(formatEntry(current.body));
      try {
        next = parseYaml(edited) as Record<string, unknown>;
      } catch (error) {
        throw new CommandError(`the edited entry is not valid YAML: ${(error as Error).message.split('\n')[0]}; nothing was changed`, EXIT_BAD_INPUT, null, [], { cause: error });
      }
      if (typeof next !== 'object' || next === null) throw new CommandError('the edited file holds no entry; nothing was changed', EXIT_BAD_INPUT);
    }
    if (next['id'] !== undefined && next['id'] !== id) throw new CommandError(`an entry keeps its id ("${id}"); remove it and add a new one to rename it; nothing was changed`, EXIT_BAD_INPUT);
    if (JSON.stringify(next) === JSON.stringify(stored)) {
      if (flags.json) printJson(current.body);
      else process.stdout.write(`no change to ${id}\n`);
      return;
    }
    const { body } = await client.request<EntryBody>('PUT', entryPath(id), { body: { ...next, id }, headers: { 'if-match': revision } });
    if (flags.json) printJson(body);
    else process.stdout.write(`updated ${summary(body)}\n`);
  });
}
