/**
 * An independent reading of local wall-clock time for tests, through Intl.DateTimeFormat only (no luxon, the
 * library the calendar itself uses): the wall time of an instant, a brute-force resolution of a wall time to
 * its instant by RFC 5545's rules, and the offset changes of a year. Slow by design (it scans quarter
 * hours); results are memoised per zone and instant.
 * Left out: wall times off the quarter hour (every offset of a current zone is a whole quarter hour).
 */
const MIN = 60_000;
const HOUR = 60 * MIN;

const formatters = new Map<string, { format: Intl.DateTimeFormat; walls: Map<number, number> }>();

/** Local wall-clock time of instant `t` in `zone`, as epoch ms of the same fields read as UTC. */
export function wallOf(t: number, zone: string): number {
  let f = formatters.get(zone);
  if (!f) {
    const format = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    formatters.set(zone, (f = { format, walls: new Map() }));
  }
  const known = f.walls.get(t);
  if (known !== undefined) return known;
  const p = Object.fromEntries(f.format.formatToParts(t).map((x) => [x.type, Number(x.value)]));
  const wall = Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!);
  f.walls.set(t, wall);
  return wall;
}

/** Reads every quarter hour of [fromMs, toMs) into the memo at once, so later look-ups in that range are cheap. */
export function prefillWalls(zone: string, fromMs: number, toMs: number): void {
  for (let t = fromMs - (fromMs % (15 * MIN)); t < toMs; t += 15 * MIN) wallOf(t, zone);
}

/**
 * The instant of a wall time (on a quarter hour): every quarter-hour instant within 15 h of it whose local
 * time is that wall time; the earliest when there are two (RFC 5545: the first occurrence); none (a gap):
 * the wall time read at the offset in force just before the first instant whose local time is past it
 * (RFC 5545: shifted forward by the gap).
 */
export function referenceResolve(wall: number, zone: string): number {
  const step = 15 * MIN;
  let previous = wall - 15 * HOUR - step;
  for (let t = wall - 15 * HOUR; t <= wall + 15 * HOUR; t += step) {
    const w = wallOf(t, zone);
    if (w === wall) return t;
    if (w > wall) return wall - (wallOf(previous, zone) - previous);
    previous = t;
  }
  throw new Error(`no instant found for ${new Date(wall).toISOString()} in ${zone}`);
}

/** Instants (to the hour) at which the zone's offset changes during a year. */
export function offsetChanges(zone: string, year: number): number[] {
  const found: number[] = [];
  const from = Date.UTC(year, 0, 1);
  let last = wallOf(from, zone) - from;
  for (let t = from + HOUR; t < Date.UTC(year + 1, 0, 1); t += HOUR) {
    const offset = wallOf(t, zone) - t;
    if (offset !== last) found.push(t);
    last = offset;
  }
  return found;
}
