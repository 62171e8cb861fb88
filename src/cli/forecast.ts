/**
 * `prescale forecast --target ns/name [--hours N]`: the target's current forecast from a running Prescale
 * (GET /api/targets/:ns/:name/forecast) as a table: time (local and UTC), mean, 80% and 95% intervals.
 * The range starts at the server's "now" (its clock may be a replay clock), so the CLI never sends its own.
 * Left out: history of past forecasts and the load they were made for (the dashboard plots those).
 */
import type { Command } from 'commander';
import { InputError } from '../core/errors.js';
import { formatNumber } from '../charts/markdown-table.js';
import type { ForecastPoint } from '../metrics/metrics-store.js';
import { addConnectionOptions, clientFromFlags, printJson, type ConnectionFlags } from './api-client.js';
import { textTable } from './text-table.js';
import { localTime, localZoneName, utcTime } from './time-text.js';

const HOUR_MS = 3_600_000;
/** A week at most: the forecasts never reach further, and a bigger number is a typo. */
const MAX_HOURS = 24 * 14;

/** The API serves the metrics store's forecast points as they are. */
type ForecastPointBody = ForecastPoint;

export interface ForecastResponse {
  target: string;
  from: number;
  to: number;
  points: ForecastPointBody[];
}

/** "ns/name" split and checked; a bad value is a bad flag. */
export function parseTargetFlag(value: string, flag = '--target'): { namespace: string; name: string } {
  const match = /^([^/\s]+)\/([^/\s]+)$/.exec(value);
  if (!match) throw new InputError(`expected namespace/name, like "shop/web", got "${value}"`, flag);
  return { namespace: match[1]!, name: match[2]! };
}

function parseHours(value: string): number {
  const hours = Number(value);
  if (value.trim() === '' || !Number.isFinite(hours) || hours <= 0 || hours > MAX_HOURS) throw new InputError(`expected a number of hours in (0, ${MAX_HOURS}], got "${value}"`, '--hours');
  return hours;
}

/** One number format for the whole table (same decimals down a column): fewer decimals for larger loads. */
function numberFormat(points: readonly ForecastPointBody[]): (n: number) => string {
  const values = points.flatMap((p) => [p.mean, p.lo80, p.hi80, p.lo95, p.hi95]).filter((v): v is number => v !== undefined && Number.isFinite(v));
  if (values.every(Number.isInteger)) return String;
  const largest = Math.max(...values.map(Math.abs));
  const decimals = largest >= 1000 ? 0 : largest >= 10 ? 1 : largest >= 1 ? 2 : 3;
  return (n) => n.toFixed(decimals);
}

export function formatForecast(forecast: ForecastResponse): string {
  if (forecast.points.length === 0) {
    return `no forecast for ${forecast.target} from ${localTime(forecast.from)} to ${localTime(forecast.to)}: the forecast job has not written one yet (prescale status shows the target's mode and model)`;
  }
  const models = new Set(forecast.points.map((p) => `${p.model}@${p.issuedAt}`));
  const first = forecast.points[0]!;
  const step = forecast.points.length > 1 ? forecast.points[1]!.time - first.time : null;
  const header =
    `${forecast.target}: ${forecast.points.length} points${step ? ` every ${formatNumber(step / 60_000)} min` : ''}` +
    (models.size === 1 ? `, model ${first.model} issued ${localTime(first.issuedAt)}` : '') +
    `; times in ${localZoneName() === 'UTC' ? 'UTC' : `${localZoneName()} and UTC`}`;
  const num = numberFormat(forecast.points);
  const interval = (lo: number | undefined, hi: number | undefined) => (lo === undefined || hi === undefined ? '' : `${num(lo)} – ${num(hi)}`);
  const table = textTable(forecast.points, [
    { header: 'time', value: (p) => localTime(p.time) },
    { header: 'UTC', value: (p) => utcTime(p.time) },
    { header: 'mean', value: (p) => num(p.mean), align: 'right' },
    { header: '80% interval', value: (p) => interval(p.lo80, p.hi80), align: 'right' },
    { header: '95% interval', value: (p) => interval(p.lo95, p.hi95), align: 'right' },
    ...(models.size > 1 ? [{ header: 'model', value: (p: ForecastPointBody) => `${p.model} (${localTime(p.issuedAt)})` }] : []),
  ]);
  return `${header}\n\n${table}`;
}

export function registerForecastCommand(program: Command): void {
  addConnectionOptions(
    program
      .command('forecast')
      .description("A target's current forecast with its 80% and 95% intervals, from a running Prescale")
      .requiredOption('--target <ns/name>', 'the target, namespace/name')
      .option('--hours <n>', "hours ahead from the server's now (default: the configured horizon)"),
  ).action(async (flags: ConnectionFlags & { target: string; hours?: string }) => {
    const { namespace, name } = parseTargetFlag(flags.target);
    const hours = flags.hours === undefined ? undefined : parseHours(flags.hours);
    const client = clientFromFlags(flags);
    const path = `/api/targets/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}/forecast`;
    // The server's default range starts at its now and spans the horizon; cut it or ask for more.
    let { body } = await client.request<ForecastResponse>('GET', path);
    if (hours !== undefined) {
      const to = body.from + hours * HOUR_MS;
      if (to > body.to) body = (await client.request<ForecastResponse>('GET', path, { query: { from: body.from, to } })).body;
      else body = { ...body, to, points: body.points.filter((p) => p.time < to) };
    }
    if (flags.json) printJson(body);
    else process.stdout.write(`${formatForecast(body)}\n`);
  });
}
