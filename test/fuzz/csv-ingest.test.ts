/**
 * Fuzzing CSV trace input: core/csv-trace.ts (parseCsvTrace) on generated files, and metrics/ingest-trace.ts
 * writing them into the REAL InfluxDB (v1 store, one database for the file, one measurement per input).
 *
 * Files are built row by row from a known plan: valid rows in every accepted spelling (Z, offsets, naive UTC,
 * a space for the T, fractions, CRLF, a BOM, blank lines, duplicates on one grid point, gaps) and, in some
 * files, one corrupted row (bad timestamp, impossible date, bad value, wrong column count, time going back,
 * a far-off year). Because the generator knows what it made, the test knows the answer:
 *   - a corrupted row: an InputError located at exactly that `file:line`;
 *   - otherwise the file-level verdict (fewer than two rows, no step, a gap over MAX_GAP_STEPS) as an
 *     InputError naming the file, or a grid of the expected length whose points lie within the data;
 *   - ingest: a refused file writes nothing, an accepted one writes exactly the grid (read back from influxd
 *     with its own HTTP query API, not through the store under test).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { MAX_GAP_STEPS, parseCsvTrace } from '../../src/core/csv-trace.js';
import { InputError } from '../../src/core/errors.js';
import { ingestTrace } from '../../src/metrics/ingest-trace.js';
import { createInfluxV1Store } from '../../src/metrics/influx-v1.js';
import type { MetricsStore } from '../../src/metrics/metrics-store.js';
import { fuzzCounter, fuzzParams } from './fuzz-settings.js';

type Corruption = 'badTime' | 'impossibleDate' | 'badValue' | 'columns' | 'backwards' | 'farYear';

interface RowPlan {
  /** Steps after the previous row: 0 = the same grid point, 1 = the next, more = a gap. */
  advance: number;
  /** Jitter within the step, fraction of it (stays on the same grid point). */
  jitter: number;
  value: number;
  spelling: number;
}

interface FilePlan {
  stepMs: number;
  t0: number;
  rows: RowPlan[];
  corruption: { at: number; kind: Corruption; junk: string } | null;
  crlf: boolean;
  bom: boolean;
  blankLines: boolean;
  header: 'plain' | 'reordered' | 'extra' | 'missing';
}

const rowArb: fc.Arbitrary<RowPlan> = fc.record({
  advance: fc.oneof({ weight: 12, arbitrary: fc.constant(1) }, { weight: 2, arbitrary: fc.constant(0) }, { weight: 2, arbitrary: fc.integer({ min: 2, max: MAX_GAP_STEPS + 1 }) }, { weight: 1, arbitrary: fc.integer({ min: MAX_GAP_STEPS + 2, max: 40 }) }),
  jitter: fc.constantFrom(0, 0, 0, 0.2, -0.2),
  value: fc.oneof(fc.double({ min: -1e6, max: 1e6, noNaN: true, noDefaultInfinity: true }), fc.integer({ min: 0, max: 5000 })),
  spelling: fc.nat(5),
});

const planArb: fc.Arbitrary<FilePlan> = fc
  .record({
    stepMs: fc.constantFrom(1_000, 10_000, 60_000, 300_000, 3_600_000),
    startSeconds: fc.integer({ min: 946_684_800, max: 1_893_456_000 }), // 2000 .. 2030
    rows: fc.array(rowArb, { minLength: 0, maxLength: 30 }),
    corrupt: fc.option(fc.record({ at: fc.nat(), kind: fc.constantFrom<Corruption>('badTime', 'impossibleDate', 'badValue', 'columns', 'backwards', 'farYear'), junk: fc.string({ maxLength: 8 }) }), { freq: 2 }),
    crlf: fc.boolean(),
    bom: fc.boolean(),
    blankLines: fc.boolean(),
    header: fc.constantFrom('plain', 'plain', 'plain', 'reordered', 'extra', 'missing'),
  })
  .map(({ stepMs, startSeconds, rows, corrupt, ...rest }) => ({
    ...rest,
    stepMs,
    // Whole seconds on the step's grid, so that the ingest read-back can ask for exact times.
    t0: Math.floor((startSeconds * 1000) / stepMs) * stepMs,
    rows: rows.length > 0 ? [{ ...rows[0]!, advance: 0, jitter: 0 }, ...rows.slice(1)] : rows,
    // A far-off year goes on the last row (a gap error for the file); elsewhere it would make later rows go back.
    corruption: !corrupt || rows.length === 0 || (corrupt.kind === 'farYear' && rows.length < 2) ? null : { ...corrupt, at: corrupt.kind === 'farYear' ? rows.length - 1 : corrupt.at % rows.length },
  }));

function spell(time: number, spelling: number): string {
  const iso = new Date(time).toISOString(); // 2026-01-05T12:00:00.000Z
  const local = (offsetMin: number) => {
    const shifted = new Date(time + offsetMin * 60_000).toISOString().slice(0, 19);
    const sign = offsetMin < 0 ? '-' : '+';
    const abs = Math.abs(offsetMin);
    return `${shifted}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
  };
  switch (spelling) {
    case 0: return `${iso.slice(0, 19)}Z`;
    case 1: return iso;
    case 2: return iso.slice(0, 19); // naive: UTC
    case 3: return `${iso.slice(0, 10)} ${iso.slice(11, 19)}`;
    case 4: return local(120);
    default: return local(-330);
  }
}

function spellValue(value: number, spelling: number): string {
  if (spelling === 1) return value.toExponential();
  if (spelling === 2) return ` ${value} `;
  return String(value);
}

/** The CSV text, the line of each data row, and the observations the valid rows carry. */
function render(plan: FilePlan): { text: string; times: number[]; values: number[]; corruptLine: number | null } {
  const header = { plain: ['timestamp', 'value'], reordered: ['value', 'Timestamp'], extra: ['timestamp', 'value', 'note'], missing: ['time', 'value'] }[plan.header];
  const lines = [header.join(',')];
  const times: number[] = [];
  const values: number[] = [];
  let corruptLine: number | null = null;
  let point = 0;
  plan.rows.forEach((row, i) => {
    point += row.advance;
    let time = plan.t0 + point * plan.stepMs + Math.round(row.jitter * plan.stepMs / 1000) * 1000;
    if (times.length > 0) time = Math.max(time, times.at(-1)!); // jitter never reorders rows
    let tText = spell(time, row.spelling);
    let vText = spellValue(row.value, row.spelling);
    let extraCells = 0;
    if (plan.corruption?.at === i) {
      const junk = plan.corruption.junk.replace(/[,\r\n]/g, '');
      switch (plan.corruption.kind) {
        case 'badTime': tText = `x${junk}`; break;
        case 'impossibleDate': tText = `${new Date(time).toISOString().slice(0, 4)}-02-30T00:00:00Z`; break;
        case 'badValue': vText = ['NaN', 'Infinity', '', `v${junk}`, '1,5'][junk.length % 5]!; break;
        case 'columns': extraCells = 1; break;
        case 'backwards': tText = spell((times.at(-1) ?? time) - 1000, 0); break;
        case 'farYear': tText = '2999-01-01T00:00:00Z'; break;
      }
      // A far-off year and going back are only errors with a row before them; a lone first row is fine.
      const rowError = !((plan.corruption.kind === 'backwards') && times.length === 0);
      if (rowError && plan.corruption.kind !== 'farYear') corruptLine = lines.length + 1;
      if (plan.corruption.kind === 'farYear') {
        time = Date.parse('2999-01-01T00:00:00Z');
        times.push(time);
        values.push(row.value);
      } else if (!rowError) {
        times.push(Date.parse(tText));
        values.push(row.value);
      }
    } else {
      times.push(time);
      values.push(row.value);
    }
    const cells: Record<string, string> = { timestamp: tText, value: vText, note: 'n', time: tText };
    const rendered = header.map((h) => cells[h.toLowerCase()] ?? '');
    for (let k = 0; k < extraCells; k++) rendered.push('extra');
    lines.push(rendered.join(','));
    if (plan.blankLines && i % 4 === 3) lines.push('');
  });
  const text = (plan.bom ? '\uFEFF' : '') + lines.join(plan.crlf ? '\r\n' : '\n') + '\n';
  return { text, times, values, corruptLine };
}

type Verdict = { ok: true; length: number; stepMs: number } | { ok: false; where: string };

/** What the reader must answer, from the plan alone (the rules in csv-trace.ts's header, written out again). */
function expectedVerdict(plan: FilePlan, file: string): Verdict {
  if (plan.header === 'missing') return { ok: false, where: `${file}:1` };
  const { times, corruptLine } = render(plan);
  if (corruptLine !== null) return { ok: false, where: `${file}:${corruptLine}` };
  if (times.length < 2) return { ok: false, where: file };
  const gaps = times.slice(1).map((t, i) => t - times[i]!).filter((g) => g > 0).sort((a, b) => a - b);
  if (gaps.length === 0) return { ok: false, where: file };
  const mid = gaps.length >> 1;
  const stepMs = gaps.length % 2 ? gaps[mid]! : (gaps[mid - 1]! + gaps[mid]!) / 2;
  const k = times.map((t) => Math.round((t - times[0]!) / stepMs));
  for (let i = 1; i < k.length; i++) if (k[i]! - k[i - 1]! - 1 > MAX_GAP_STEPS) return { ok: false, where: file };
  return { ok: true, length: k.at(-1)! + 1, stepMs };
}

function read(text: string, file: string): { trace: ReturnType<typeof parseCsvTrace> } | { error: unknown } {
  try {
    return { trace: parseCsvTrace(text, file) };
  } catch (error) {
    return { error };
  }
}

describe('fuzz: CSV traces', () => {
  const parsed = fuzzCounter('csvParse');
  const ingested = fuzzCounter('csvIngest');
  const reached = { accepted: 0, rowErrors: 0, fileErrors: 0 };
  afterAll(() => {
    console.log('fuzz csvParse outcomes:', reached);
    expect(reached.accepted).toBeGreaterThan(200);
    expect(reached.rowErrors).toBeGreaterThan(200);
    expect(reached.fileErrors).toBeGreaterThan(100);
  });

  test.prop([planArb], fuzzParams('csvParse'))('refuses bad rows at their line, accepts the rest onto the expected grid', (plan) => {
    const { text, values } = render(plan);
    const expected = expectedVerdict(plan, 'trace.csv');
    const result = read(text, 'trace.csv');
    if (expected.ok) {
      reached.accepted++;
      expect(result, JSON.stringify(result)).toHaveProperty('trace');
      const { trace } = result as { trace: ReturnType<typeof parseCsvTrace> };
      expect(trace.stepMs).toBe(expected.stepMs);
      expect(trace.series.values).toHaveLength(expected.length);
      const [lo, hi] = [Math.min(...values), Math.max(...values)];
      for (const v of trace.series.values) expect(v >= lo - 1e-6 * Math.abs(lo) && v <= hi + 1e-6 * Math.abs(hi)).toBe(true);
    } else {
      if (expected.where.includes(':')) reached.rowErrors++;
      else reached.fileErrors++;
      expect(result).toHaveProperty('error');
      const error = (result as { error: unknown }).error;
      expect(error).toBeInstanceOf(InputError);
      expect((error as InputError).where).toBe(expected.where);
      expect((error as InputError).message.length).toBeLessThan(400);
    }
    parsed.hit();
  });

  let dir: string;
  let store: MetricsStore;
  const database = `fuzz_csv_${process.pid}_${Date.now()}`;
  const influxUrl = inject('influxUrl');
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'prescale-fuzz-csv-'));
    store = createInfluxV1Store({ url: influxUrl, database });
    await store.ensureReady();
  });
  afterAll(async () => {
    await store.close();
    await fetch(`${influxUrl}/query?q=${encodeURIComponent(`DROP DATABASE "${database}"`)}`, { method: 'POST' });
    rmSync(dir, { recursive: true, force: true });
  });

  /** Every point of a measurement, straight from influxd's query API. */
  async function stored(measurement: string): Promise<[number, number][]> {
    const q = encodeURIComponent(`SELECT "value" FROM "${measurement}"`);
    const body = (await (await fetch(`${influxUrl}/query?db=${database}&epoch=ms&q=${q}`)).json()) as { results: { series?: { values: [number, number][] }[] }[] };
    return body.results[0]?.series?.[0]?.values ?? [];
  }

  let run = 0;
  test.prop([planArb], fuzzParams('csvIngest'))('ingest writes the whole grid or nothing', async (plan) => {
    const measurement = `m${run++}`;
    const file = join(dir, `${measurement}.csv`);
    writeFileSync(file, render(plan).text);
    const expected = expectedVerdict(plan, file);
    const outcome = await ingestTrace(store, { file, measurement, field: 'value', tags: {} }).then(
      (result) => ({ result }),
      (error: unknown) => ({ error }),
    );
    const points = await stored(measurement);
    if (expected.ok) {
      expect(outcome).toHaveProperty('result');
      const parsedTrace = parseCsvTrace(render(plan).text, file);
      expect(points.map(([t]) => t)).toEqual(parsedTrace.series.values.map((_, i) => parsedTrace.series.startMs + i * parsedTrace.series.stepMs));
      points.forEach(([, v], i) => expect(v).toBeCloseTo(parsedTrace.series.values[i]!, 6));
    } else {
      expect(outcome).toHaveProperty('error');
      expect((outcome as { error: unknown }).error).toBeInstanceOf(InputError);
      expect(points).toEqual([]);
    }
    ingested.hit();
  });
});
