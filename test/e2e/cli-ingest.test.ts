/**
 * `npx prescale ingest` against the real InfluxDB: a real trace lands on its grid; a CSV with a bad row fails
 * with file:line and writes nothing; a bad flag exits 2 naming it.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, inject, it } from 'vitest';
import { REPO_ROOT, tracePath } from '../../src/core/paths.js';
import { createInfluxV1Store } from '../../src/metrics/influx-v1.js';

const run = promisify(execFile);
const database = `cli_ingest_${process.pid}`;

async function prescale(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { ...process.env, PRESCALE_INFLUX_URL: inject('influxUrl'), PRESCALE_INFLUX_DATABASE: database };
  try {
    const { stdout, stderr } = await run(process.execPath, [join(REPO_ROOT, 'bin', 'prescale.mjs'), ...args], { cwd: REPO_ROOT, env });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('prescale ingest', () => {
  const store = () => createInfluxV1Store({ url: inject('influxUrl'), database });

  it('loads a real trace, validated, onto its grid', async () => {
    const result = await prescale(['ingest', '--series', tracePath('nab_elb_request_count_5min.csv'), '--measurement', 'elb', '--field', 'requests', '--tag', 'lb=8c0756']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^wrote 4040 points to http:\/\/127\.0\.0\.1:\d+ \(elb\.requests\) from 2014-04-10T00:04:00\.000Z to 2014-04-24T00:39:00\.000Z/);
    const first = Date.parse('2014-04-10T00:04:00Z');
    const grid = await store().readSeries({ measurement: 'elb', field: 'requests', tags: { lb: '8c0756' }, from: first, to: first + 3 * 300_000, stepMs: 300_000, gap: 'null' });
    const csv = readFileSync(tracePath('nab_elb_request_count_5min.csv'), 'utf8').split('\n').slice(1, 4).map((l) => Number(l.split(',')[1]));
    // The grid is epoch-aligned (as InfluxQL GROUP BY time()): the 00:04 sample lands in the 00:00 cell.
    expect(grid.startMs).toBe(Date.parse('2014-04-10T00:00:00Z'));
    expect(grid.values.slice(0, 3)).toEqual(csv);
  });

  it('rejects a CSV with a bad row, naming file and line, and writes nothing', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'prescale-ingest-')), 'bad.csv');
    writeFileSync(file, 'timestamp,value\n2026-01-01T00:00:00Z,1\n2026-01-01T00:05:00Z,2\n2026-01-01T00:10:00Z,lots\n');
    const result = await prescale(['ingest', '--series', file, '--measurement', 'bad', '--field', 'v']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${file}:4`);
    const grid = await store().readSeries({ measurement: 'bad', field: 'v', from: Date.parse('2026-01-01T00:00:00Z'), to: Date.parse('2026-01-01T00:15:00Z'), stepMs: 300_000, gap: 'null' });
    expect(grid.values).toEqual([null, null, null]);
  });

  it('exits 2 and names the flag for a malformed tag', async () => {
    const result = await prescale(['ingest', '--series', tracePath('nab_elb_request_count_5min.csv'), '--measurement', 'elb', '--field', 'requests', '--tag', 'oops']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--tag: expected key=value, got "oops"/);
  });
});
