import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/index.js';
import { REPO_ROOT, tracePath } from '../../src/core/paths.js';

/**
 * `npx prescale backtest` from the outside, checked against the independent scorer
 * (scripts/score_forecast.py, a copy of shared/tools/score_forecast.py): the numbers the CLI prints must be
 * the scorer's numbers for the file it wrote.
 */

const dir = mkdtempSync(join(tmpdir(), 'cli-backtest-'));
const SERIES = tracePath('nab_elb_request_count_5min.csv');

function run(command: string, args: string[]) {
  return spawnSync(command, args, { cwd: REPO_ROOT, encoding: 'utf8', timeout: 120_000, env: { ...process.env, NO_COLOR: '1' } });
}

describe('npx prescale backtest (ELB request count, 1h)', () => {
  const out = join(dir, 'elb-1h.csv');
  const cli = run('npx', ['prescale', 'backtest', '--series', SERIES, '--horizon', '1h', '--models', 'snaive,auto', '--out', out]);

  it('exits 0 and prints one row per model, the chosen one marked', () => {
    expect(cli.stderr).not.toMatch(/error/i);
    expect(cli.status).toBe(0);
    expect(cli.stdout).toMatch(/^model\s+fitted\s+MASE\s+sMAPE\s+cov80\s+cov95\s+fit s\s+origins/m);
    expect(cli.stdout).toMatch(/^snaive\s/m);
    expect(cli.stdout).toMatch(/^auto \*\s/m);
    expect(cli.stdout).toContain(`forecasts of auto written to ${out}`);
  });

  it('writes the forecast file in the exact contract format', () => {
    const lines = readFileSync(out, 'utf8').trimEnd().split('\n');
    expect(lines[0]).toBe('origin,timestamp,yhat,lo80,hi80,lo95,hi95');
    expect(lines).toHaveLength(1 + 67 * 12);
    // origin = the last observation the forecast could use; same ISO style as the input (Z, no fraction).
    expect(lines[1]).toMatch(/^2014-04-21T05:19:00Z,2014-04-21T05:24:00Z,[-\d.e+]+(,[-\d.e+]+){4}$/);
    expect(lines[12]!.startsWith('2014-04-21T05:19:00Z,2014-04-21T06:19:00Z,')).toBe(true);
    expect(lines[13]!.startsWith('2014-04-21T06:19:00Z,2014-04-21T06:24:00Z,')).toBe(true);
  });

  it("prints exactly the scorer's MASE, sMAPE and coverage for that file", () => {
    const scorer = run('python3', ['scripts/score_forecast.py', SERIES, out, '--horizon', '1h', '--json']);
    expect(scorer.stderr).toBe('');
    const scored = JSON.parse(scorer.stdout) as { MASE: number; sMAPE: number; coverage80: number; coverage95: number; origins: number };
    const row = cli.stdout.split('\n').find((line) => line.startsWith('auto *'))!;
    const cells = row.trim().split(/\s{2,}/);
    // model, fitted, MASE, sMAPE, cov80, cov95, fit s, origins
    expect(cells.slice(2, 6)).toEqual([scored.MASE, scored.sMAPE, scored.coverage80, scored.coverage95].map((v) => v.toFixed(4)));
    expect(cells[7]).toBe(String(scored.origins));
  });

  it('exits 2 and names the flag for a bad argument', () => {
    const bad = run('node', ['bin/prescale.mjs', 'backtest', '--series', SERIES, '--horizon', '2h', '--out', join(dir, 'x.csv')]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--horizon/);
  });
});

describe('prescale backtest argument and input errors (in process)', () => {
  let stderr = '';
  beforeEach(() => {
    stderr = '';
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      stderr += String(chunk);
      return true;
    });
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  });
  afterEach(() => vi.restoreAllMocks());

  const out = join(dir, 'never.csv');
  const cases: [string, string[], RegExp][] = [
    ['missing --horizon', ['--series', SERIES, '--out', out], /--horizon/],
    ['unknown model', ['--series', SERIES, '--horizon', '1h', '--models', 'prophet', '--out', out], /--models: unknown model "prophet"/],
    ['missing series file', ['--series', join(dir, 'nope.csv'), '--horizon', '1h', '--out', out], /--series: no such file/],
    ['missing --out', ['--series', SERIES, '--horizon', '1h'], /--out/],
    ['unknown flag', ['--series', SERIES, '--horizon', '1h', '--out', out, '--frobnicate'], /--frobnicate/],
  ];
  for (const [name, args, message] of cases) {
    it(`${name}: exit 2`, async () => {
      expect(await main(['backtest', '--no-progress', ...args])).toBe(2);
      expect(stderr).toMatch(message);
    });
  }

  it('a bad row in the CSV: exit 1 with file:line', async () => {
    const csv = join(dir, 'bad.csv');
    writeFileSync(csv, 'timestamp,value\n2020-01-01T00:00:00Z,1\n2020-01-01T00:05:00Z,-\n');
    expect(await main(['backtest', '--no-progress', '--series', csv, '--horizon', '1h', '--out', out])).toBe(1);
    expect(stderr).toContain(`${csv}:3: value "-" is not a finite number`);
  });
});
