/**
 * `prescale models list|show|promote|rollback`: the model store on disk (src/forecasting/model-store.ts), read
 * and repointed directly, without a running Prescale. The forecast job reads current.json on every run, so a
 * promotion or a rollback takes effect from its next run without a restart.
 *
 * Exit codes (as the rest of the CLI): 0 done, 1 the store refused or failed (a version that does not load,
 * nothing older to roll back to, a write that failed), 2 bad input, naming the flag (an unknown target or
 * version, a models folder that does not exist).
 *
 * Left out: the train job's ModelInfo in Redis (what was last trained, shown by `prescale status`); which
 * model forecasts is recorded by the forecast job itself (ModelInUse). Deleting versions (ModelStore.prune).
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { InputError } from '../core/errors.js';
import { REPO_ROOT } from '../core/paths.js';
import { createModelStore, type ModelStore, type PointerChange, type VersionSummary } from '../forecasting/model-store.js';
import { printJson } from './api-client.js';
import { textTable } from './text-table.js';
import { utcTime } from './time-text.js';

interface StoreFlags {
  modelsDir: string;
  json?: boolean;
}

interface TargetFlags extends StoreFlags {
  target: string;
}

/** Where the service keeps its models unless told otherwise (as src/main.ts). */
export function defaultModelsDir(env: NodeJS.ProcessEnv = process.env): string {
  return env['PRESCALE_MODELS_DIR'] ?? join(REPO_ROOT, 'models', 'local');
}

/** "3", "v3" or "v0003" (as the folder is named). */
function parseVersion(value: string): number {
  const match = /^v?(\d+)$/.exec(value.trim());
  const version = match ? Number(match[1]) : NaN;
  if (!Number.isSafeInteger(version) || version < 1) throw new InputError(`expected a version number such as 3 or v0003, got "${value}"`, '--version');
  return version;
}

function openStore(flags: StoreFlags): ModelStore {
  const root = resolve(flags.modelsDir);
  if (!existsSync(root)) throw new InputError(`${root} does not exist (the service writes models there after its first training)`, '--models-dir');
  return createModelStore({ root });
}

/** The store, after checking that the target has stored versions (else exit 2 naming --target). */
function openTarget(flags: TargetFlags): ModelStore {
  const store = openStore(flags);
  if (flags.target.trim() === '' || flags.target === '.' || flags.target === '..') throw new InputError(`"${flags.target}" is not a target name (namespace/name)`, '--target');
  if (store.versions(flags.target).length === 0) {
    const known = store.targets();
    throw new InputError(`no stored versions of "${flags.target}" in ${store.root}; stored targets: ${known.join(', ') || 'none'}`, '--target');
  }
  return store;
}

function checkVersion(store: ModelStore, target: string, version: number): void {
  const stored = store.versions(target);
  if (!stored.includes(version)) throw new InputError(`"${target}" has no version ${version}; stored: ${stored.map((v) => `v${v}`).join(', ')}`, '--version');
}

const mase = (v: VersionSummary) => v.metrics?.['mase'];

function window(v: VersionSummary): string {
  const t = v.trainedOn;
  if (!t) return '';
  return `${utcTime(t.startMs)} .. ${utcTime(t.endMs)} (${t.points} x ${t.stepMs / 1000}s)`;
}

export function formatVersions(target: string, root: string, versions: readonly VersionSummary[]): string {
  const table = textTable(versions, [
    { header: 'version', value: (v) => `v${v.version}` },
    { header: 'current', value: (v) => (v.current ? '*' : '') },
    { header: 'kind', value: (v) => v.kind ?? 'unreadable' },
    { header: 'saved at', value: (v) => (v.savedAt === undefined ? '' : utcTime(v.savedAt)) },
    { header: 'trained on', value: window },
    { header: 'validation MASE', value: (v) => mase(v), align: 'right' },
  ]);
  const problems = versions.filter((v) => v.problem).map((v) => `v${v.version} is skipped when loading: ${v.problem}`);
  const pointer = versions.some((v) => v.current) ? '' : '\nno version is promoted (current.json missing or unreadable): loading starts at the newest';
  return `${target} in ${root}\n\n${table}${problems.length ? `\n\n${problems.join('\n')}` : ''}${pointer}`;
}

function changeText(target: string, verb: string, change: PointerChange): string {
  const skipped = change.skipped.map((s) => `\nskipped v${s.version}: it does not load (${s.reason})`).join('');
  const was = change.previous === undefined ? 'none promoted before' : `was v${change.previous}`;
  return `${verb} ${target} to v${change.version} (${was}); the forecast job uses it from its next run${skipped}`;
}

function addStoreOptions(command: Command, withTarget: 'required' | 'optional'): Command {
  const target = new Option('--target <ns/name>', 'the target (namespace/name) whose models to use');
  if (withTarget === 'required') target.makeOptionMandatory();
  return command
    .addOption(target)
    .addOption(new Option('--models-dir <dir>', 'the model store (env PRESCALE_MODELS_DIR)').default(defaultModelsDir(), 'PRESCALE_MODELS_DIR or models/local'))
    .option('--json', 'print JSON instead of text');
}

export function registerModelsCommand(program: Command): void {
  const models = program.command('models').description('Stored forecasters per target: list versions, show a model card, promote a version or roll back');

  addStoreOptions(models.command('list').description('Every stored version of a target (kind, saved at, trained-on window, validation MASE, which is current); without --target, every target'), 'optional').action(
    (flags: StoreFlags & { target?: string }) => {
      if (flags.target === undefined) {
        const store = openStore(flags);
        const targets = store.targets().map((target) => {
          const versions = store.describe(target);
          const current = versions.find((v) => v.current);
          return { target, versions: versions.length, current: current?.version ?? null, kind: current?.kind ?? null, mase: current ? (mase(current) ?? null) : null };
        });
        if (flags.json) return printJson({ modelsDir: store.root, targets });
        const table = textTable(targets, [
          { header: 'target', value: (t) => t.target },
          { header: 'versions', value: (t) => t.versions },
          { header: 'current', value: (t) => (t.current === null ? 'none' : `v${t.current}`) },
          { header: 'kind', value: (t) => t.kind ?? '' },
          { header: 'validation MASE', value: (t) => t.mase, align: 'right' },
        ]);
        process.stdout.write(`${store.root}\n\n${targets.length ? table : 'no stored models'}\n`);
        return;
      }
      const target = flags.target;
      const store = openTarget({ ...flags, target });
      const versions = store.describe(target);
      if (flags.json) printJson({ target, modelsDir: store.root, current: store.currentVersion(target) ?? null, versions });
      else process.stdout.write(`${formatVersions(target, store.root, versions)}\n`);
    },
  );

  addStoreOptions(models.command('show').description('The model card of the promoted version (or of --version)'), 'required')
    .option('--version <n>', 'a stored version (3 or v0003) instead of the promoted one', parseVersion)
    .action((flags: TargetFlags & { version?: number }) => {
      const store = openTarget(flags);
      const version = flags.version ?? store.currentVersion(flags.target) ?? Math.max(...store.versions(flags.target));
      checkVersion(store, flags.target, version);
      const card = store.modelCardOf(flags.target, version);
      const summary = store.describe(flags.target).find((v) => v.version === version);
      if (flags.json) printJson({ target: flags.target, ...summary, card });
      else process.stdout.write(card.endsWith('\n') ? card : `${card}\n`);
    });

  addStoreOptions(models.command('promote').description('Make a stored version the one the forecast job uses (refused when it does not load)'), 'required')
    .addOption(new Option('--version <n>', 'the version to promote (3 or v0003)').argParser(parseVersion).makeOptionMandatory())
    .action(async (flags: TargetFlags & { version: number }) => {
      const store = openTarget(flags);
      checkVersion(store, flags.target, flags.version);
      const change = await store.promote(flags.target, flags.version);
      if (flags.json) printJson({ target: flags.target, ...change });
      else process.stdout.write(`${changeText(flags.target, 'promoted', change)}\n`);
    });

  addStoreOptions(models.command('rollback').description('Move the promoted version back to the newest older version that loads'), 'required').action(async (flags: TargetFlags) => {
    const store = openTarget(flags);
    const change = await store.rollback(flags.target);
    if (flags.json) printJson({ target: flags.target, ...change });
    else process.stdout.write(`${changeText(flags.target, 'rolled back', change)}\n`);
  });
}
