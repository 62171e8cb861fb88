/**
 * `prescale models list|show|promote|rollback` as a real process (bin/prescale.mjs) against a temporary model
 * store written by the real ModelStore: v1 seasonal naive, v2 and v4 Holt-Winters on NASA-HTTP, v3 corrupted
 * after it was saved. Promote refuses v3 (exit 1, the reason, current.json untouched), rollback skips it,
 * bad flags exit 2 naming the flag, and --models-dir defaults to PRESCALE_MODELS_DIR.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { readCsvTrace } from '../../src/core/csv-trace.js';
import { REPO_ROOT, tracePath } from '../../src/core/paths.js';
import { sliceSeries } from '../../src/forecasting/backtest.js';
import { holtWintersForecaster } from '../../src/forecasting/holt-winters.js';
import { createModelStore } from '../../src/forecasting/model-store.js';
import { seasonalNaiveForecaster } from '../../src/forecasting/seasonal-naive.js';

const run = promisify(execFile);
const TARGET = 'shop/web';
const SAVED_AT = Date.parse('2026-11-29T12:00:00Z');

async function prescale(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [join(REPO_ROOT, 'bin', 'prescale.mjs'), ...args], { cwd: REPO_ROOT, env: { ...process.env, ...env } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** A fresh store with v1 snaive, v2 hw, v3 corrupt, v4 hw (promoted). */
async function seededStore(): Promise<{ dir: string; pointer: () => unknown }> {
  const dir = mkdtempSync(join(tmpdir(), 'cli-models-'));
  const store = createModelStore({ root: dir, now: () => SAVED_AT });
  const training = sliceSeries(readCsvTrace(tracePath('nasa_http_jul1995_5min.csv')).series, 0, 3 * 288);
  const hw = { ...(await holtWintersForecaster.fit(training, { seasonLengths: [288] })).toArtefact(), metrics: { mase: 0.61 } };
  await store.saveVersion(TARGET, { ...(await seasonalNaiveForecaster.fit(training)).toArtefact(), metrics: { mase: 0.95 } });
  await store.saveVersion(TARGET, hw);
  await store.saveVersion(TARGET, hw);
  await store.saveVersion(TARGET, hw);
  writeFileSync(join(dir, 'shop%2Fweb', 'v0003', 'artefact.json'), '{"storeFormat": 1, "savedAt": "not a number"}\n');
  return { dir, pointer: () => JSON.parse(readFileSync(join(dir, 'shop%2Fweb', 'current.json'), 'utf8')) };
}

describe('prescale models', () => {
  let seeded: Awaited<ReturnType<typeof seededStore>>;
  beforeAll(async () => {
    seeded = await seededStore();
  });

  it('lists every version with kind, saved at, trained-on window, validation MASE and which is current', async () => {
    const result = await prescale(['models', 'list', '--target', TARGET, '--models-dir', seeded.dir]);
    expect(result.code).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toBe(`${TARGET} in ${seeded.dir}`);
    expect(lines[2]).toMatch(/^version\s+current\s+kind\s+saved at\s+trained on\s+validation MASE$/);
    expect(lines[4]).toMatch(/^v1\s+snaive\s+2026-11-29 12:00Z\s+1995-07-01 04:05Z \.\. 1995-07-04 04:00Z \(864 x 300s\)\s+0\.950$/);
    expect(lines[5]).toMatch(/^v2\s+hw\s+2026-11-29 12:00Z\s+1995-07-01 04:05Z .* 0\.610$/);
    expect(lines[6]).toMatch(/^v3\s+unreadable\s*$/);
    expect(lines[7]).toMatch(/^v4\s+\*\s+hw\s+2026-11-29 12:00Z/);
    expect(result.stdout).toMatch(/v3 is skipped when loading: .*v0003: artefact\.json does not match store format 1/);

    const json = await prescale(['models', 'list', '--target', TARGET, '--models-dir', seeded.dir, '--json']);
    const body = JSON.parse(json.stdout) as { current: number; versions: { version: number; current: boolean; kind?: string; savedAt?: number; metrics?: { mase?: number }; problem?: string }[] };
    expect(body.current).toBe(4);
    expect(body.versions.map((v) => [v.version, v.current, v.kind ?? null, v.metrics?.mase ?? null])).toEqual([
      [1, false, 'snaive', 0.95],
      [2, false, 'hw', 0.61],
      [3, false, null, null],
      [4, true, 'hw', 0.61],
    ]);
    expect(body.versions[0]!.savedAt).toBe(SAVED_AT);

    const targets = await prescale(['models', 'list'], { PRESCALE_MODELS_DIR: seeded.dir });
    expect(targets.code).toBe(0);
    expect(targets.stdout).toMatch(/shop\/web\s+4\s+v4\s+hw\s+0\.610/);
  });

  it('shows the model card of the promoted version, or of --version', async () => {
    const current = await prescale(['models', 'show', '--target', TARGET, '--models-dir', seeded.dir]);
    expect(current.code).toBe(0);
    expect(current.stdout).toMatch(/^# Model card: shop\/web v4\n/);
    expect(current.stdout).toContain('- trained on: 864 points, 1995-07-01T04:05:00.000Z .. 1995-07-04T04:00:00.000Z, step 300s');
    expect(current.stdout).toContain('- mase: 0.61');
    const first = await prescale(['models', 'show', '--target', TARGET, '--version', 'v0001', '--models-dir', seeded.dir]);
    expect(first.stdout).toMatch(/^# Model card: shop\/web v1\n\n- kind: snaive/);
  });

  it('refuses to promote the corrupt version with the reason (exit 1) and leaves current.json alone', async () => {
    const result = await prescale(['models', 'promote', '--target', TARGET, '--version', '3', '--models-dir', seeded.dir]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: version 3 of "shop\/web" does not load, so it is not promoted: .*v0003: artefact\.json does not match store format 1/);
    expect(result.stdout).toBe('');
    expect(seeded.pointer()).toEqual({ version: 4 });
  });

  it('exits 2 naming the flag for bad input, and changes nothing', async () => {
    const cases: [string[], RegExp][] = [
      [['models', 'promote', '--target', TARGET, '--version', 'latest', '--models-dir', seeded.dir], /--version: expected a version number such as 3 or v0003, got "latest"/],
      [['models', 'promote', '--target', TARGET, '--version', '9', '--models-dir', seeded.dir], /--version: "shop\/web" has no version 9; stored: v1, v2, v3, v4/],
      [['models', 'rollback', '--target', 'shop/nope', '--models-dir', seeded.dir], /--target: no stored versions of "shop\/nope" in .*; stored targets: shop\/web/],
      [['models', 'rollback', '--models-dir', seeded.dir], /required option '--target <ns\/name>' not specified/],
      [['models', 'list', '--target', TARGET, '--models-dir', join(seeded.dir, 'missing')], /--models-dir: .*missing does not exist/],
    ];
    for (const [args, message] of cases) {
      const result = await prescale(args);
      expect({ args, code: result.code }).toEqual({ args, code: 2 });
      expect(result.stderr).toMatch(message);
    }
    expect(seeded.pointer()).toEqual({ version: 4 });
  });

  it('rolls back past the corrupt version, promotes forward again, and refuses to roll back past the oldest', async () => {
    const { dir, pointer } = await seededStore();
    const back = await prescale(['models', 'rollback', '--target', TARGET, '--models-dir', dir]);
    expect(back.code).toBe(0);
    expect(back.stdout).toMatch(/^rolled back shop\/web to v2 \(was v4\); the forecast job uses it from its next run\nskipped v3: it does not load \(.*artefact\.json does not match store format 1/);
    expect(pointer()).toEqual({ version: 2 });

    const json = await prescale(['models', 'rollback', '--target', TARGET, '--models-dir', dir, '--json']);
    expect(JSON.parse(json.stdout)).toEqual({ target: TARGET, previous: 2, version: 1, skipped: [] });
    expect(pointer()).toEqual({ version: 1 });

    const none = await prescale(['models', 'rollback', '--target', TARGET, '--models-dir', dir]);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/"shop\/web" has no loadable version older than v1 to roll back to/);
    expect(pointer()).toEqual({ version: 1 });

    const forward = await prescale(['models', 'promote', '--target', TARGET, '--version', '4', '--models-dir', dir]);
    expect(forward.code).toBe(0);
    expect(forward.stdout).toBe('promoted shop/web to v4 (was v1); the forecast job uses it from its next run\n');
    expect(pointer()).toEqual({ version: 4 });
    // What the forecast job would load now.
    expect((await createModelStore({ root: dir }).load(TARGET))!.version).toBe(4);
  });
});
