/**
 * Times as the CLI prints them: the viewer's local time with its zone abbreviation (the zone of the process,
 * TZ), UTC, or an age relative to the server's clock (which runs on replayed time in the demo).
 * Left out: parsing (the API validates the times people type).
 */
import { DateTime } from 'luxon';

/** "2026-11-27 13:05 CET" in the process's local zone (seconds only when not zero). */
export function localTime(ms: number): string {
  const dt = DateTime.fromMillis(ms);
  return `${dt.toFormat(dt.second === 0 ? 'yyyy-MM-dd HH:mm' : 'yyyy-MM-dd HH:mm:ss')} ${dt.toFormat('ZZZZ')}`;
}

/** "2026-11-27 12:05Z". */
export function utcTime(ms: number): string {
  const dt = DateTime.fromMillis(ms, { zone: 'UTC' });
  return `${dt.toFormat(dt.second === 0 ? 'yyyy-MM-dd HH:mm' : 'yyyy-MM-dd HH:mm:ss')}Z`;
}

/** The viewer's zone name, for table headers ("Europe/Paris"). */
export function localZoneName(): string {
  return DateTime.local().zoneName ?? 'local';
}

/** "3m ago", "2h ago", "in 5m": `ms` relative to `now`. */
export function age(ms: number, now: number): string {
  const delta = now - ms;
  const abs = Math.abs(delta);
  const text = abs < 60_000 ? `${Math.round(abs / 1000)}s` : abs < 3_600_000 ? `${Math.round(abs / 60_000)}m` : abs < 172_800_000 ? `${Math.round(abs / 3_600_000)}h` : `${Math.round(abs / 86_400_000)}d`;
  return delta >= 0 ? `${text} ago` : `in ${text}`;
}
