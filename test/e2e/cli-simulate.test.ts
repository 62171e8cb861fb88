/**
 * `npx prescale simulate` from outside, as the tools that score it run it: on a slice of a real trace
 * (NASA-HTTP July 1995, requests per 5 minutes), every policy, one CSV row per minute and policy, and
 * printed scores that match the CSV.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, tracePath } from '../../src/core/paths.js';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'prescale-simulate-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const source = tracePath('nasa_http_jul1995_5min.csv');
const ROWS = 288; // one day
const series = join(dir, 'nasa-day1.csv');
writeFileSync(series, readFileSync(source, 'utf8').trim().split('\n').slice(0, ROWS + 1).join('\n') + '\n');

function cli(args: string[]) {
  return run(process.execPath, [join(REPO_ROOT, 'bin', 'prescale.mjs'), ...args], { cwd: REPO_ROOT, timeout: 120_000 });
}

describe('prescale simulate (CLI)', () => {
  it('writes one row per minute and policy and prints scores that match the CSV', async () => {
    const out = join(dir, 'out.csv');
    const { stdout } = await cli(['simulate', '--series', series, '--capacity-per-replica', '40', '--pod-startup', '90s', '--node-startup', '210s', '--policy', 'all', '--out', out, '--no-progress']);
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('timestamp,policy,demand,desired_replicas,ready_replicas,capacity,nodes,mode');
    const rows = lines.slice(1).map((l) => l.split(','));
    const minutes = ROWS * 5;
    for (const policy of ['prescale', 'hpa', 'oracle']) {
      const mine = rows.filter((r) => r[1] === policy);
      expect(mine).toHaveLength(minutes);
      expect(mine.every((r) => r.length === 8 && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:00\.000Z$/.test(r[0]!))).toBe(true);
      // capacity = 40 x Ready replicas.
      expect(mine.every((r) => Number(r[5]) === 40 * Number(r[4]))).toBe(true);

      const under = mine.filter((r) => Number(r[2]) > Number(r[5])).length;
      const replicaHours = mine.reduce((s, r) => s + Number(r[3]), 0) / 60;
      const capacity = mine.reduce((s, r) => s + Number(r[5]), 0);
      const served = mine.reduce((s, r) => s + Math.min(Number(r[2]), Number(r[5])), 0);
      const slack = (1 - served / capacity) * 100;
      const printed = stdout.split('\n').find((l) => l.startsWith(`${policy} `))!.trim().split(/\s+/);
      expect(Number(printed[1])).toBe(under);
      expect(Number(printed[2])).toBeCloseTo(replicaHours, 1);
      expect(Number(printed[3]!.replace('%', ''))).toBeCloseTo(slack, 1);
    }
    expect(stdout).toMatch(/under-provisioned min\s+replica-hours\s+slack/);
    // The oracle sees the future: never short.
    expect(stdout.split('\n').find((l) => l.startsWith('oracle '))!.trim().split(/\s+/)[1]).toBe('0');
  });

  it('fails with exit code 2 and names the flag on a bad argument, writing nothing', async () => {
    const out = join(dir, 'never.csv');
    const error = await cli(['simulate', '--series', series, '--capacity-per-replica', '-3', '--out', out]).catch((e: { code: number; stderr: string }) => e);
    expect(error).toMatchObject({ code: 2 });
    expect((error as { stderr: string }).stderr).toMatch(/--capacity-per-replica/);
    expect(existsSync(out)).toBe(false);
    const badQuantile = await cli(['simulate', '--series', series, '--capacity-per-replica', '20', '--quantile', '99.9', '--out', out]).catch((e: { code: number; stderr: string }) => e);
    expect(badQuantile).toMatchObject({ code: 2 });
    expect((badQuantile as { stderr: string }).stderr).toMatch(/--quantile: expected a percentile from 50 to 99/);
    expect(existsSync(out)).toBe(false);
    for (const bad of ['0', 'abc']) {
      const badBudget = await cli(['simulate', '--series', series, '--capacity-per-replica', '20', '--budget', bad, '--out', out]).catch((e: { code: number; stderr: string }) => e);
      expect(badBudget).toMatchObject({ code: 2 });
      expect((badBudget as { stderr: string }).stderr).toMatch(/--budget: expected a share of minutes above 0 and up to 0\.2/);
    }
    const both = await cli(['simulate', '--series', series, '--capacity-per-replica', '20', '--budget', '0.001', '--quantile', '90', '--out', out]).catch((e: { code: number; stderr: string }) => e);
    expect(both).toMatchObject({ code: 2 });
    expect((both as { stderr: string }).stderr).toMatch(/--budget: give --budget or --quantile, not both/);
    expect(existsSync(out)).toBe(false);
  });

  it('--budget sets the error budget the prescale policy spends (and reports it); --quantile turns it off', async () => {
    const out = join(dir, 'budget.csv');
    const args = ['simulate', '--series', series, '--capacity-per-replica', '40', '--policy', 'prescale', '--out', out, '--no-progress'];
    const tight = (await cli([...args, '--budget', '0.0005'])).stdout;
    expect(tight).toContain('sizing: the prescale policy spends an error budget of 0.05% of minutes short of capacity\n');
    expect(tight).toMatch(/prescale: error budget 0\.05% of minutes: .* spent [\d.]+%/);
    const byDefault = (await cli(args)).stdout;
    expect(byDefault).toContain('an error budget of 1% of minutes short of capacity (the default; --budget sets it)');
    const quantile = (await cli([...args, '--quantile', '90'])).stdout;
    expect(quantile).toContain('sizing: the prescale policy sizes at the forecast P90 (--quantile: the error budget is off)');
    expect(quantile).not.toMatch(/prescale: error budget/);
  });
});
