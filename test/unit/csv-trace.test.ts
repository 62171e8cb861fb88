import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatIsoTimestamp, parseCsvTrace, parseIsoTimestamp, readCsvTrace } from '../../src/core/csv-trace.js';
import { InputError } from '../../src/core/errors.js';
import { tracePath } from '../../src/core/paths.js';

const dir = mkdtempSync(join(tmpdir(), 'csv-trace-'));
function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('readCsvTrace on a real trace', () => {
  it('reads the NYC taxi trace on its 30-minute grid without gaps', () => {
    const trace = readCsvTrace(tracePath('nab_nyc_taxi_30min.csv'));
    expect(trace.stepMs).toBe(1_800_000);
    expect(trace.series.values).toHaveLength(10320);
    expect(trace.rows).toBe(10320);
    expect(trace.gaps).toEqual([]);
    expect(formatIsoTimestamp(trace.series.startMs)).toBe('2014-07-01T00:00:00Z');
    expect(trace.series.values[0]).toBe(10844);
    expect(trace.fractionalSeconds).toBe(false);
  });

  it('keeps odd seconds of the twitter trace (timestamps at :53)', () => {
    const trace = readCsvTrace(tracePath('nab_twitter_amzn_5min.csv'));
    expect(formatIsoTimestamp(trace.series.startMs)).toBe('2015-02-26T21:42:53Z');
    expect(trace.series.values).toHaveLength(15831);
  });
});

describe('bad rows fail with file:line and return nothing', () => {
  const cases: [string, string, RegExp][] = [
    ['bad value', 'timestamp,value\n2020-01-01T00:00:00Z,1\n2020-01-01T00:05:00Z,abc\n', /:3: value "abc" is not a finite number/],
    ['NaN', 'timestamp,value\n2020-01-01T00:00:00Z,NaN\n2020-01-01T00:05:00Z,1\n', /:2: value "NaN"/],
    ['Infinity', 'timestamp,value\n2020-01-01T00:00:00Z,1\n2020-01-01T00:05:00Z,Infinity\n', /:3: value "Infinity"/],
    ['empty value', 'timestamp,value\n2020-01-01T00:00:00Z,\n2020-01-01T00:05:00Z,1\n', /:2: value ""/],
    ['bad timestamp', 'timestamp,value\n2020-01-01T00:00:00Z,1\nyesterday,2\n', /:3: "yesterday" is not an ISO-8601 timestamp/],
    ['impossible date', 'timestamp,value\n2019-02-28T00:00:00Z,1\n2019-02-30T00:00:00Z,2\n', /:3: "2019-02-30T00:00:00Z"/],
    ['out of order', 'timestamp,value\n2020-01-01T00:05:00Z,1\n2020-01-01T00:00:00Z,2\n', /:3: timestamp .* earlier/],
    ['columns', 'timestamp,value\n2020-01-01T00:00:00Z,1,7\n', /:2: expected 2 columns, found 3/],
    ['header', 'time,load\n2020-01-01T00:00:00Z,1\n', /:1: header must contain/],
    ['one row', 'timestamp,value\n2020-01-01T00:00:00Z,1\n', /at least two data rows/],
  ];
  for (const [name, text, message] of cases) {
    it(name, () => {
      const path = file(`${name.replace(/\W/g, '_')}.csv`, text);
      expect(() => readCsvTrace(path)).toThrow(InputError);
      expect(() => readCsvTrace(path)).toThrow(message);
      expect(() => readCsvTrace(path)).toThrow(path);
    });
  }

  it('names the file when it cannot be read', () => {
    expect(() => readCsvTrace(join(dir, 'missing.csv'))).toThrow(/missing\.csv: cannot read the file \(ENOENT\)/);
  });
});

describe('grid and gaps (synthetic series)', () => {
  it('detects the step as the median positive gap and forward fills a gap, reporting it', () => {
    const text = [
      'timestamp,value',
      '2020-01-01T00:00:00Z,1',
      '2020-01-01T00:05:00Z,2',
      '2020-01-01T00:10:00Z,3',
      '2020-01-01T00:25:00Z,6', // two grid points missing
      '2020-01-01T00:30:00Z,7',
    ].join('\n');
    const trace = parseCsvTrace(text, 'synthetic.csv');
    expect(trace.stepMs).toBe(300_000);
    expect(trace.series.values).toEqual([1, 2, 3, 3, 3, 6, 7]);
    expect(trace.gaps).toEqual([{ afterMs: Date.parse('2020-01-01T00:10:00Z'), missingSteps: 2 }]);
  });

  it('averages observations that fall on one grid point, like the scorer', () => {
    const text = 'timestamp,value\n2020-01-01T00:00:00Z,1\n2020-01-01T00:05:00Z,2\n2020-01-01T00:05:00Z,4\n2020-01-01T00:10:00Z,5\n';
    const trace = parseCsvTrace(text, 'synthetic.csv');
    expect(trace.series.values).toEqual([1, 3, 5]);
    expect(trace.merged).toBe(1);
  });

  it('rejects a gap longer than the limit', () => {
    const rows = ['timestamp,value', '2020-01-01T00:00:00Z,1', '2020-01-01T00:05:00Z,1', '2020-01-01T00:10:00Z,1', '2020-01-01T02:00:00Z,1'];
    expect(() => parseCsvTrace(rows.join('\n'), 'synthetic.csv')).toThrow(/synthetic\.csv: gap of more than 12 steps after 2020-01-01T00:10:00Z/);
  });

  it('accepts offsets and naive timestamps as UTC and writes the input style back', () => {
    expect(parseIsoTimestamp('2020-01-01T02:00:00+02:00')).toBe(Date.parse('2020-01-01T00:00:00Z'));
    expect(parseIsoTimestamp('2020-01-01 00:00:00')).toBe(Date.parse('2020-01-01T00:00:00Z'));
    expect(parseIsoTimestamp('2020-13-01T00:00:00Z')).toBeUndefined();
    expect(formatIsoTimestamp(Date.parse('2020-01-01T00:00:00.250Z'), true)).toBe('2020-01-01T00:00:00.250Z');
    const trace = parseCsvTrace('timestamp,value\n2020-01-01T00:00:00.500Z,1\n2020-01-01T00:00:01.500Z,2\n', 'synthetic.csv');
    expect(trace.fractionalSeconds).toBe(true);
    expect(trace.stepMs).toBe(1000);
  });
});
