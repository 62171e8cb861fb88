/**
 * What the CLI prints: aligned tables, calendar entries in words, a preview as merged changed hours, the
 * forecast table with local and UTC times and its intervals, and the status tables. Times are checked in a
 * fixed zone (process.env.TZ is set before luxon reads it).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { Settings } from 'luxon';
import { changedHours, effectText, formatEntry, formatEntryList, formatPreview, recurrenceText, whenText, type EntryBody } from '../../src/cli/calendar-format.js';
import { formatForecast } from '../../src/cli/forecast.js';
import { formatStatus } from '../../src/cli/status.js';
import { textTable } from '../../src/cli/text-table.js';

const H = 3_600_000;
const T0 = Date.UTC(2026, 10, 27, 8); // 09:00 in Paris

beforeAll(() => {
  Settings.defaultZone = 'Europe/Paris';
  return () => {
    Settings.defaultZone = 'system';
  };
});

const entry: EntryBody = {
  id: 'sale',
  targets: ['shop/web'],
  title: 'Black Friday',
  effect: { kind: 'floor', replicas: 20 },
  priority: 0,
  timeZone: 'America/New_York',
  start: '2026-11-27T09:00',
  end: '2026-11-28T01:00',
  recurrence: { frequency: 'weekly', interval: 2, weekdays: [1, 5], count: 4 },
  exclusions: { dates: ['2026-12-25'], periods: [] },
  meta: { revision: 3, createdAt: '2026-11-20T10:00:00.000Z', createdBy: 'alice', updatedAt: '2026-11-21T10:00:00.000Z', updatedBy: 'bob' },
};

describe('text tables', () => {
  it('pads columns to the widest cell and right-aligns numbers', () => {
    const table = textTable([{ a: 'x', n: 1.5 }, { a: 'longer', n: 120 }], [
      { header: 'name', value: (r) => r.a },
      { header: 'n', value: (r) => r.n },
    ]);
    expect(table.split('\n')).toEqual(['name       n', '------  ----', 'x       1.50', 'longer   120']);
  });
});

describe('calendar entries in words', () => {
  it('says the effect, when and how it repeats', () => {
    expect(effectText(entry.effect)).toBe('floor 20');
    expect(effectText({ kind: 'relative', replicas: -2, percent: 50 })).toBe('+50% -2 replicas');
    expect(whenText(entry)).toBe('2026-11-27 09:00–2026-11-28 01:00 America/New_York');
    expect(whenText({ ...entry, end: '2026-11-27T17:00' })).toBe('2026-11-27 09:00–17:00 America/New_York');
    expect(recurrenceText(entry)).toBe('every 2 weeks Mon,Fri 4 times (1 exclusion)');
    expect(recurrenceText({ exclusions: { dates: [], periods: [] } })).toBe('once');
  });

  it('lists entries with who changed them last, in local time', () => {
    const lines = formatEntryList([entry]).split('\n');
    expect(lines[0]).toMatch(/^id\s+targets\s+title\s+effect\s+priority\s+when \(local, zone\)\s+recurrence\s+updated$/);
    expect(lines[2]).toContain('bob 2026-11-21 11:00 GMT+1');
    expect(formatEntryList([])).toBe('no calendar entries match');
  });

  it('shows one entry as YAML with its revision as a comment', () => {
    const text = formatEntry(entry);
    expect(text.split('\n')[0]).toBe('# revision 3; created by alice 2026-11-20 11:00 GMT+1; updated by bob 2026-11-21 11:00 GMT+1');
    expect(text).toContain('id: sale\n');
    expect(text).not.toContain('meta:');
  });
});

describe('calendar preview', () => {
  const step = 15 * 60_000;
  // 09:00-11:00 Paris: without 4, with 10 (floor); 11:00-11:30 with 12; then equal.
  const points = Array.from({ length: 16 }, (_, i) => {
    const time = T0 + i * step;
    const without = 4;
    return { time, without, with: i < 8 ? 10 : i < 10 ? 12 : 4 };
  });

  it('merges consecutive hours with the same change and ends partial hours at the last changed step', () => {
    const rows = changedHours(points, step);
    expect(rows).toEqual([
      { start: T0, end: T0 + 2 * H, without: '4', with: '10', change: '+6' },
      { start: T0 + 2 * H, end: T0 + 2 * H + 2 * step, without: '4', with: '12', change: '+8' },
    ]);
  });

  it('prints each target with its replica-hours, or says nothing changes', () => {
    const text = formatPreview({
      from: T0,
      to: T0 + 4 * H,
      stepMs: step,
      targets: [
        { target: 'shop/web', coveredUntil: T0 + 4 * H, points },
        { target: 'shop/api', coveredUntil: T0 + 4 * H, points: points.map((p) => ({ ...p, with: p.without })) },
        { target: 'shop/new', coveredUntil: null, points: [] },
      ],
    });
    expect(text).toContain('shop/web: changes planned replicas in 2 periods, +16 replica-hours');
    expect(text).toMatch(/2026-11-27 09:00 GMT\+1\s+2026-11-27 11:00 GMT\+1\s+4\s+10\s+\+6/);
    expect(text).toContain('shop/api: no change to the planned replicas');
    expect(text).toContain('shop/new: no change to the planned replicas (no forecast yet: nothing to compare)');
  });
});

describe('forecast and status tables', () => {
  it('prints local and UTC times with both intervals', () => {
    const text = formatForecast({
      target: 'shop/web',
      from: T0,
      to: T0 + H,
      points: [
        { time: T0, mean: 110, lo80: 100, hi80: 120, lo95: 90, hi95: 130, model: 'snaive[288]', issuedAt: T0 - 60_000 },
        { time: T0 + 300_000, mean: 120.25, lo80: 105, hi80: 135, lo95: 95, hi95: 150, model: 'snaive[288]', issuedAt: T0 - 60_000 },
      ],
    });
    const lines = text.split('\n');
    expect(lines[0]).toBe('shop/web: 2 points every 5 min, model snaive[288] issued 2026-11-27 08:59 GMT+1; times in Europe/Paris and UTC');
    expect(lines[2]).toMatch(/^time\s+UTC\s+mean\s+80% interval\s+95% interval$/);
    expect(lines[5]).toMatch(/^2026-11-27 09:05 GMT\+1\s+2026-11-27 08:05Z\s+120\.3\s+105\.0 – 135\.0\s+95\.0 – 150\.0$/);
    expect(formatForecast({ target: 'shop/web', from: T0, to: T0 + H, points: [] })).toMatch(/^no forecast for shop\/web/);
  });

  it('shows the actuation column only when the API reports it, and a conflict in full', () => {
    const status = {
      now: T0,
      targets: [{ id: 'shop/web', mode: 'predictive', workload: { desiredReplicas: 4, readyReplicas: 3 }, model: { description: 'ets(A,N,A)[288]' }, lastDecision: { time: T0 - 120_000, rule: 'forecast P98' } }],
      nodePools: [{ name: 'general', desiredNodes: 3, readyNodes: 2, pendingPods: 1 }],
    };
    const plain = formatStatus(status);
    expect(plain).not.toContain('actuation');
    expect(plain).toMatch(/shop\/web\s+predictive\s+4\s+3\s+ets\(A,N,A\)\[288\]\s+2026-11-27 08:58 GMT\+1 \(2m ago\)\s+forecast P98/);
    expect(plain).toMatch(/general\s+3\s+2\s+1/);
    const reason = 'conflict: HorizontalPodAutoscaler shop/web-hpa also scales Deployment shop/web; set actuation: hpa';
    const withActuation = formatStatus({ ...status, targets: [{ ...status.targets[0]!, actuation: 'direct', conflict: { reason }, actuationWarnings: [] }] });
    expect(withActuation).toMatch(/shop\/web\s+predictive\s+direct \(conflict\)\s+4/);
    expect(withActuation).toContain(`\nshop/web: ${reason}\n`);
  });

  it('shows each target\'s error budget (budget, window, spent, left, multiplier) or the quantile that overrides it', () => {
    const target = { mode: 'predictive', workload: { desiredReplicas: 4, readyReplicas: 4 }, model: null, lastDecision: null };
    const text = formatStatus({
      now: T0,
      targets: [
        { ...target, id: 'shop/web', budget: { control: 'budget', quantile: 98, budget: 0.001, windowMs: 604_800_000, spent: 0.000_25, left: 0.000_75, multiplier: 1.0832 } },
        { ...target, id: 'shop/api', budget: { control: 'quantile', quantile: 90 } },
      ],
      nodePools: [],
    });
    expect(text).toMatch(/error budget/);
    expect(text).toMatch(/shop\/web\s+predictive\s+4\s+4\s+\(none yet\)\s+0\.1% \/ 1w, spent 0\.025%, left 0\.075%, x1\.08 on P98/);
    expect(text).toMatch(/shop\/api\s+predictive\s+4\s+4\s+\(none yet\)\s+P90 \(quantile override\)/);
    // A server from before error budgets: no column.
    expect(formatStatus({ now: T0, targets: [{ ...target, id: 'shop/web' }], nodePools: [] })).not.toMatch(/error budget/);
  });
});
