/**
 * How the CLI prints calendar entries and previews: the list table (effect, when, recurrence in words), one
 * entry as YAML, and a preview as the hours in which the entry changes each target's planned replicas
 * (consecutive hours with the same change merged into one row).
 * Left out: the shapes themselves (the API's, docs/CALENDAR_API contract) and anything sent to the server.
 */
import { DateTime } from 'luxon';
import { stringify as toYaml } from 'yaml';
import { textTable } from './text-table.js';
import { localTime, localZoneName } from './time-text.js';

/** An entry as the API serves it (the stored entry plus who changed it and when). */
export interface EntryBody {
  id: string;
  targets: string[];
  title: string;
  effect: { kind: 'floor' | 'ceiling' | 'absolute' | 'relative'; replicas?: number; percent?: number };
  priority: number;
  timeZone: string;
  start: string;
  end: string;
  recurrence?: { frequency: 'daily' | 'weekly' | 'monthly'; interval: number; weekdays?: number[]; until?: string; count?: number };
  exclusions: { dates: string[]; periods: { start: string; end: string }[] };
  meta?: { revision: number; createdAt: string; createdBy: string; updatedAt: string; updatedBy: string };
}

export interface PreviewBody {
  from: number;
  to: number;
  stepMs: number;
  /** How the server computed the plans, in words. */
  method?: string;
  targets: {
    target: string;
    coveredUntil: number | null;
    forecastModel?: string | null;
    forecastIssuedAt?: number | null;
    points: { time: number; without: number; with: number }[];
  }[];
}

const signed = (n: number) => (n >= 0 ? `+${n}` : `${n}`);

export function effectText(effect: EntryBody['effect']): string {
  if (effect.kind !== 'relative') return `${effect.kind} ${effect.replicas}`;
  return [effect.percent !== undefined ? `${signed(effect.percent)}%` : '', effect.replicas !== undefined ? `${signed(effect.replicas)} replicas` : ''].filter(Boolean).join(' ');
}

const DAY_ABBR = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
const UNIT = { daily: 'day', weekly: 'week', monthly: 'month' } as const;

export function recurrenceText(entry: Pick<EntryBody, 'recurrence' | 'exclusions'>): string {
  const r = entry.recurrence;
  const parts: string[] = [];
  if (!r) parts.push('once');
  else {
    parts.push(r.interval > 1 ? `every ${r.interval} ${UNIT[r.frequency]}s` : r.frequency);
    if (r.weekdays) parts.push(r.weekdays.map((d) => DAY_ABBR[d - 1] ?? String(d)).join(','));
    if (r.until) parts.push(`until ${r.until}`);
    if (r.count !== undefined) parts.push(`${r.count} times`);
  }
  const excluded = (entry.exclusions?.dates.length ?? 0) + (entry.exclusions?.periods.length ?? 0);
  if (excluded > 0) parts.push(`(${excluded} exclusion${excluded > 1 ? 's' : ''})`);
  return parts.join(' ');
}

/** "2026-11-27 09:00–17:00 Europe/Paris", or with both dates when the occurrence spans days. */
export function whenText(entry: Pick<EntryBody, 'start' | 'end' | 'timeZone'>): string {
  const [startDate, startTime] = entry.start.split('T');
  const [endDate, endTime] = entry.end.split('T');
  const end = endDate === startDate ? endTime : `${endDate} ${endTime}`;
  return `${startDate} ${startTime}–${end} ${entry.timeZone}`;
}

export function formatEntryList(entries: readonly EntryBody[]): string {
  if (entries.length === 0) return 'no calendar entries match';
  return textTable(entries, [
    { header: 'id', value: (e) => e.id },
    { header: 'targets', value: (e) => e.targets.join(',') },
    { header: 'title', value: (e) => e.title },
    { header: 'effect', value: (e) => effectText(e.effect) },
    { header: 'priority', value: (e) => e.priority },
    { header: 'when (local, zone)', value: whenText },
    { header: 'recurrence', value: recurrenceText },
    { header: 'updated', value: (e) => (e.meta ? `${e.meta.updatedBy} ${localTime(Date.parse(e.meta.updatedAt))}` : '') },
  ]);
}

/** One entry as YAML (the form `calendar add --file` and `calendar edit` take back), meta as comments. */
export function formatEntry(entry: EntryBody): string {
  const { meta, ...fields } = entry;
  const header = meta
    ? `# revision ${meta.revision}; created by ${meta.createdBy} ${localTime(Date.parse(meta.createdAt))}; updated by ${meta.updatedBy} ${localTime(Date.parse(meta.updatedAt))}\n`
    : '';
  return `${header}${toYaml(fields).trimEnd()}`;
}

/** A range "5" or "5–7". */
const range = (values: number[], text: (n: number) => string = String) => {
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  return lo === hi ? text(lo) : `${text(lo)}–${text(hi)}`;
};

interface HourRow {
  start: number;
  end: number;
  without: string;
  with: string;
  change: string;
}

/** The hours (local clock hours) in which `with` differs from `without`, adjacent equal hours merged. */
export function changedHours(points: readonly { time: number; without: number; with: number }[], stepMs: number): HourRow[] {
  const hours = new Map<number, { last: number; without: number[]; with: number[]; change: number[] }>();
  for (const p of points) {
    if (p.with === p.without) continue;
    const hour = DateTime.fromMillis(p.time).startOf('hour').toMillis();
    const bucket = hours.get(hour) ?? { last: p.time, without: [], with: [], change: [] };
    bucket.last = Math.max(bucket.last, p.time);
    bucket.without.push(p.without);
    bucket.with.push(p.with);
    bucket.change.push(p.with - p.without);
    hours.set(hour, bucket);
  }
  const rows: HourRow[] = [];
  for (const [hour, b] of [...hours].sort((a, z) => a[0] - z[0])) {
    // Ends at the end of the last changed step, or the hour's end: partial hours show as such.
    const row = { start: hour, end: Math.min(hour + 3_600_000, b.last + stepMs), without: range(b.without), with: range(b.with), change: range(b.change, signed) };
    const previous = rows.at(-1);
    if (previous && previous.end >= hour && previous.without === row.without && previous.with === row.with) previous.end = row.end;
    else rows.push(row);
  }
  return rows;
}

export function formatPreview(preview: PreviewBody): string {
  const sections = preview.targets.map((t) => {
    const rows = changedHours(t.points, preview.stepMs);
    const replicaHours = t.points.reduce((sum, p) => sum + ((p.with - p.without) * preview.stepMs) / 3_600_000, 0);
    const model = t.forecastModel ? `forecast ${t.forecastModel}${t.forecastIssuedAt ? ` issued ${localTime(t.forecastIssuedAt)}` : ''}` : '';
    const covered = t.coveredUntil !== null && t.coveredUntil < preview.to ? `covers until ${localTime(t.coveredUntil)}` : '';
    const coverage = t.coveredUntil === null ? ' (no forecast yet: nothing to compare)' : model || covered ? ` (${[model, covered].filter(Boolean).join(', ')})` : '';
    if (rows.length === 0) return `${t.target}: no change to the planned replicas${coverage}`;
    const title = `${t.target}: changes planned replicas in ${rows.length} period${rows.length > 1 ? 's' : ''}, ${signed(Math.round(replicaHours * 10) / 10)} replica-hours${coverage}`;
    return `${title}\n${textTable(rows, [
      { header: 'from', value: (r) => localTime(r.start) },
      { header: 'to', value: (r) => localTime(r.end) },
      { header: 'without', value: (r) => r.without, align: 'right' },
      { header: 'with', value: (r) => r.with, align: 'right' },
      { header: 'change', value: (r) => r.change, align: 'right' },
    ])}`;
  });
  const head = `preview ${localTime(preview.from)} to ${localTime(preview.to)} (times in ${localZoneName()})`;
  const method = preview.method ? [`method: ${preview.method}`] : [];
  return [head, ...(sections.length > 0 ? sections : ['the entry applies to no configured target']), ...method].join('\n\n');
}
