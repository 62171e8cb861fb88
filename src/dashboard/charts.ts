/// <reference lib="dom" />
/**
 * The dashboard's charts, drawn with Observable Plot (loaded as a global, see plot.ts). Each builder returns a
 * <figure> holding the SVG, an HTML legend and a visually hidden summary table (the text alternative). Every
 * mark carries an aria-label ("actual load", "decisions", ...) so tests and assistive tools can find it.
 * Left out: zoom and brushing (the range picker sets the window); tooltips beyond the native <title>.
 */
import type { Occurrence, ScalingDecision, TargetData } from './api.js';
import { fmt, h, iso, shortTime, summaryTable, type SummaryRow } from './dom.js';
import { decisionMarkers, type DecisionMarker } from './markers.js';
import { Plot } from './plot.js';

export const COLORS = {
  actual: '#1b1b1b',
  asIssued: '#2f6fbf',
  ahead: '#d9730d',
  needed: '#c0392b',
  planned: '#7b3fbf',
  desired: '#2f6fbf',
  ready: '#1e8a4c',
  under: '#e74c3c',
  calendar: '#8e6bd8',
  modes: { predictive: '#1e8a4c', reactive: '#d9730d', 'forecast-only': '#7b3fbf', learning: '#6a6ac8' } as Record<string, string>,
};

/**
 * Names a mark: Plot's own `ariaLabel` option is a per-element channel, so each mark gets a class instead and
 * `labelMarks` copies its name to the mark's <g> as aria-label (what tests and screen readers find).
 */
const lab = (label: string) => ({ className: `m-${label.replace(/[^a-z0-9]+/gi, '-')}`, ariaDescription: label });

function labelMarks(svg: Element): Element {
  svg.querySelectorAll('g[aria-description]').forEach((g) => {
    g.setAttribute('aria-label', g.getAttribute('aria-description')!);
  });
  return svg;
}

export interface TimePoint {
  time: number;
  value: number | null;
}

/** A grid series as points (null stays null: the line breaks there). */
export function gridPoints(startMs: number, stepMs: number, values: readonly (number | null)[]): TimePoint[] {
  return values.map((value, i) => ({ time: startMs + i * stepMs, value }));
}

/** A step series drawn up to `end`: the last value is held to the end of the window. */
function heldSteps(time: readonly number[], value: readonly number[], end: number): TimePoint[] {
  const points = time.map((t, i) => ({ time: t, value: value[i] ?? null }));
  const last = points.at(-1);
  if (last && last.time < end) points.push({ time: end, value: last.value });
  return points;
}

function legend(items: [string, string, 'line' | 'dash' | 'area' | 'dot'][]): HTMLElement {
  return h(
    'ul',
    { class: 'legend' },
    ...items.map(([label, color, kind]) => h('li', {}, h('span', { class: `swatch swatch-${kind}`, style: `--c:${color}`, 'aria-hidden': 'true' }), label)),
  );
}

function figure(id: string, title: string, svg: Element, legendEl: HTMLElement, summary: HTMLTableElement): HTMLElement {
  labelMarks(svg);
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', title);
  return h('figure', { class: 'chart', id }, h('figcaption', {}, title), legendEl, svg, summary);
}

const occurrenceSpans = (occurrences: readonly Occurrence[], from: number, to: number) =>
  occurrences.map((o) => ({ start: Math.max(from, Date.parse(o.start)), end: Math.min(to, Date.parse(o.end)), title: o.title || o.entryId, id: o.entryId })).filter((s) => s.end > s.start);

/** Load: actual against the forecast as issued one pod lead earlier (past) and the latest forecast (ahead). */
export function loadChart(data: TargetData, occurrences: readonly Occurrence[], width: number): HTMLElement {
  const P = Plot();
  const columns = (c: TargetData['forecastAsIssued']) =>
    c.time.map((time, i) => ({ time, mean: c.mean[i]!, lo80: c.lo80[i] ?? null, hi80: c.hi80[i] ?? null, lo95: c.lo95[i] ?? null, hi95: c.hi95[i] ?? null, issuedAt: c.issuedAt[i]! }));
  const asIssued = columns(data.forecastAsIssued);
  const ahead = columns(data.forecastAhead);
  const actual = gridPoints(data.load.startMs, data.load.stepMs, data.load.values);
  const calendar = occurrenceSpans(occurrences, data.from, data.to);
  const band = (rows: typeof asIssued, lo: 'lo80' | 'lo95', hi: 'hi80' | 'hi95', color: string, opacity: number, label: string) =>
    P.areaY(rows.filter((r) => r[lo] !== null && r[hi] !== null), { x: 'time', y1: lo, y2: hi, fill: color, fillOpacity: opacity, ...lab(label) });
  const svg = P.plot({
    width,
    height: 280,
    marginLeft: 56,
    x: { type: 'utc', domain: [new Date(data.from), new Date(data.to)], label: null },
    y: { grid: true, label: 'load', zero: true },
    marks: [
      P.rect(calendar, { x1: 'start', x2: 'end', fill: COLORS.calendar, fillOpacity: 0.12, ...lab('calendar'), title: (s: { title: string }) => `calendar: ${s.title}` }),
      band(asIssued, 'lo95', 'hi95', COLORS.asIssued, 0.12, '95% band as issued'),
      band(asIssued, 'lo80', 'hi80', COLORS.asIssued, 0.2, '80% band as issued'),
      band(ahead, 'lo95', 'hi95', COLORS.ahead, 0.12, '95% band ahead'),
      band(ahead, 'lo80', 'hi80', COLORS.ahead, 0.22, '80% band ahead'),
      P.lineY(asIssued, { x: 'time', y: 'mean', stroke: COLORS.asIssued, strokeDasharray: '4 3', strokeWidth: 1.5, ...lab('forecast as issued') }),
      P.lineY(ahead, { x: 'time', y: 'mean', stroke: COLORS.ahead, strokeWidth: 1.5, ...lab('forecast ahead') }),
      P.lineY(actual, { x: 'time', y: 'value', stroke: COLORS.actual, strokeWidth: 1.5, ...lab('actual load') }),
      P.ruleX([data.now], { stroke: '#888', strokeDasharray: '2 2', ...lab('now') }),
    ],
  });
  const misses = asIssued.filter((f) => {
    const i = Math.round((f.time - data.load.startMs) / data.load.stepMs);
    const v = data.load.values[i];
    return v !== null && v !== undefined && f.hi95 !== null && (v > f.hi95 || (f.lo95 !== null && v < f.lo95));
  }).length;
  const rows: SummaryRow[] = [
    { series: 'actual load', values: data.load.values },
    { series: `forecast as issued ${Math.round(data.leadMs / 1000)} s earlier (mean)`, values: data.forecastAsIssued.mean },
    { series: 'forecast ahead (mean)', values: data.forecastAhead.mean },
  ];
  return figure(
    'load-chart',
    'Load: actual against the forecast',
    svg,
    legend([
      ['actual', COLORS.actual, 'line'],
      [`forecast as issued one pod lead (${Math.round(data.leadMs / 1000)} s) earlier, 80/95% bands`, COLORS.asIssued, 'dash'],
      ['latest forecast ahead, 80/95% bands', COLORS.ahead, 'line'],
      ['calendar entries', COLORS.calendar, 'area'],
    ]),
    summaryTable('Load chart summary', rows, [
      ['actual outside the 95% band as issued', `${misses} of ${asIssued.length} steps`],
      ['calendar spans', String(calendar.length)],
    ]),
  );
}

const markerTitle = (m: DecisionMarker) =>
  m.count === 1 ? decisionTitle(m.decision) : `${m.count} decisions ${shortTime(m.firstTime)}–${shortTime(m.decision.time)}; the latest:\n${decisionTitle(m.decision)}`;

const decisionTitle = (d: ScalingDecision) => `${iso(d.time)} ${d.mode}${d.loop === 'reactive' ? ' (reactive loop)' : ''}: ${d.previousReplicas} → ${d.desiredReplicas}${d.applied ? '' : ' (not applied)'}\nrule: ${d.rule}${d.notes ? `\nreason: ${d.notes}` : ''}`;

/** Capacity: planned, desired and Ready replicas against what the actual load needed, with decision markers. */
export function capacityChart(data: TargetData, occurrences: readonly Occurrence[], width: number, onDecision: (d: ScalingDecision) => void): HTMLElement {
  const P = Plot();
  const end = Math.min(data.to, data.now);
  const needed = gridPoints(data.load.startMs, data.load.stepMs, data.needed);
  const desired = gridPoints(data.replicas.startMs, data.replicas.stepMs, data.replicas.desired);
  const ready = gridPoints(data.replicas.startMs, data.replicas.stepMs, data.replicas.ready);
  const planned = heldSteps(data.planned.time, data.planned.value, end);
  const decisions = data.decisions.filter((d) => d.time >= data.from && d.time < data.to);
  // One marker per decision while they fit on the axis, else one per few pixels (markers.ts).
  const markers = decisionMarkers(decisions, data.from, data.to, width - 56);
  const svg = P.plot({
    width,
    height: 260,
    marginLeft: 56,
    x: { type: 'utc', domain: [new Date(data.from), new Date(data.to)], label: null },
    y: { grid: true, label: 'replicas', zero: true },
    marks: [
      P.rect(data.underProvisioned, { x1: 'start', x2: 'end', fill: COLORS.under, fillOpacity: 0.18, ...lab('under-provisioned'), title: (s: { start: number; end: number; missing: number }) => `under-provisioned ${shortTime(s.start)}–${shortTime(s.end)}: up to ${s.missing} replicas short` }),
      P.rect(occurrenceSpans(occurrences, data.from, data.to), { x1: 'start', x2: 'end', fill: COLORS.calendar, fillOpacity: 0.1, ...lab('calendar') }),
      P.lineY(needed, { x: 'time', y: 'value', curve: 'step-after', stroke: COLORS.needed, strokeDasharray: '3 2', ...lab('needed') }),
      P.lineY(desired, { x: 'time', y: 'value', curve: 'step-after', stroke: COLORS.desired, strokeOpacity: 0.7, ...lab('desired') }),
      P.lineY(ready, { x: 'time', y: 'value', curve: 'step-after', stroke: COLORS.ready, strokeWidth: 1.6, ...lab('ready') }),
      P.lineY(planned, { x: 'time', y: 'value', curve: 'step-after', stroke: COLORS.planned, strokeWidth: 1.2, ...lab('planned') }),
      P.dot(markers, { x: (m: DecisionMarker) => m.decision.time, y: (m: DecisionMarker) => m.decision.desiredReplicas, r: 4, fill: (m: DecisionMarker) => COLORS.modes[m.decision.mode] ?? '#555', stroke: 'white', ...lab('decisions'), title: markerTitle }),
      P.ruleX([data.now], { stroke: '#888', strokeDasharray: '2 2', ...lab('now') }),
    ],
  });
  // Markers answer clicks and the keyboard (Tab, Enter): Plot draws the dots in data order. One listener pair on
  // the chart finds the marker by its index.
  labelMarks(svg).querySelectorAll('g[aria-label="decisions"] circle').forEach((circle, i) => {
    const m = markers[i];
    if (!m) return;
    const d = m.decision;
    circle.setAttribute('tabindex', '0');
    circle.setAttribute('role', 'button');
    circle.setAttribute('data-index', String(i));
    circle.setAttribute('data-time', String(d.time));
    circle.setAttribute('aria-label', `${m.count > 1 ? `${m.count} decisions, the latest ` : 'decision '}${shortTime(d.time)} ${d.mode} ${d.previousReplicas} to ${d.desiredReplicas}`);
  });
  const markerOf = (event: Event) => markers[Number((event.target as Element | null)?.closest?.('circle[data-index]')?.getAttribute('data-index') ?? NaN)]?.decision;
  svg.addEventListener('click', (event) => {
    const d = markerOf(event);
    if (d) onDecision(d);
  });
  svg.addEventListener('keydown', (event) => {
    const key = (event as KeyboardEvent).key;
    const d = markerOf(event);
    if (d && (key === 'Enter' || key === ' ')) {
      event.preventDefault();
      onDecision(d);
    }
  });
  const underMinutes = data.underProvisioned.reduce((sum, s) => sum + (s.end - s.start) / 60_000, 0);
  return figure(
    'capacity-chart',
    'Capacity: replicas planned, desired and Ready against what the load needed',
    svg,
    legend([
      ['needed (actual load / capacity per replica)', COLORS.needed, 'dash'],
      ['planned', COLORS.planned, 'line'],
      ['desired (spec.replicas)', COLORS.desired, 'line'],
      ['Ready', COLORS.ready, 'line'],
      ['under-provisioned', COLORS.under, 'area'],
      ['decision (click for rule and reason)', COLORS.modes['predictive']!, 'dot'],
    ]),
    summaryTable('Capacity chart summary', [
      { series: 'needed replicas', values: data.needed },
      { series: 'planned replicas', values: data.planned.value },
      { series: 'desired replicas', values: data.replicas.desired },
      { series: 'Ready replicas', values: data.replicas.ready },
    ], [
      ['under-provisioned spans', `${data.underProvisioned.length} (${fmt(underMinutes, 0)} minutes)`],
      ['decisions that changed replicas', String(decisions.length)],
      ['decision markers', `${markers.length}${markers.length < decisions.length ? ' (nearby decisions share one: the table lists each)' : ''}`],
    ]),
  );
}

/** Nodes of the target's pool: planned against desired and Ready. */
export function nodesChart(data: TargetData, width: number): HTMLElement | null {
  const pool = data.nodePool;
  if (!pool) return null;
  const P = Plot();
  const end = Math.min(data.to, data.now);
  const svg = P.plot({
    width,
    height: 180,
    marginLeft: 56,
    x: { type: 'utc', domain: [new Date(data.from), new Date(data.to)], label: null },
    y: { grid: true, label: 'nodes', zero: true },
    marks: [
      P.lineY(gridPoints(pool.startMs, pool.stepMs, pool.desired), { x: 'time', y: 'value', curve: 'step-after', stroke: COLORS.desired, strokeOpacity: 0.7, ...lab('desired nodes') }),
      P.lineY(gridPoints(pool.startMs, pool.stepMs, pool.ready), { x: 'time', y: 'value', curve: 'step-after', stroke: COLORS.ready, strokeWidth: 1.6, ...lab('ready nodes') }),
      P.lineY(heldSteps(pool.planned.time, pool.planned.value, end), { x: 'time', y: 'value', curve: 'step-after', stroke: COLORS.planned, ...lab('planned nodes') }),
      P.ruleX([data.now], { stroke: '#888', strokeDasharray: '2 2' }),
    ],
  });
  return figure(
    'nodes-chart',
    `Nodes of pool ${pool.name}: planned against Ready`,
    svg,
    legend([
      ['planned', COLORS.planned, 'line'],
      ['desired', COLORS.desired, 'line'],
      ['Ready', COLORS.ready, 'line'],
    ]),
    summaryTable(`Nodes chart summary (pool ${pool.name})`, [
      { series: 'planned nodes', values: pool.planned.value },
      { series: 'desired nodes', values: pool.desired },
      { series: 'Ready nodes', values: pool.ready },
    ]),
  );
}

/** A small load line for the overview table. */
export function sparkline(startMs: number, stepMs: number, values: readonly (number | null)[], label: string): Element {
  const P = Plot();
  const svg = P.plot({
    width: 180,
    height: 36,
    margin: 2,
    axis: null,
    x: { type: 'utc' },
    y: { zero: true },
    marks: [P.lineY(gridPoints(startMs, stepMs, values), { x: 'time', y: 'value', stroke: COLORS.actual, strokeWidth: 1.2, ...lab('sparkline') })],
  });
  labelMarks(svg).setAttribute('role', 'img');
  const xs = values.filter((v): v is number => v !== null);
  svg.setAttribute('aria-label', `${label}: ${xs.length} points, min ${fmt(xs.length ? Math.min(...xs) : null)}, max ${fmt(xs.length ? Math.max(...xs) : null)}, last ${fmt(xs.at(-1) ?? null)}`);
  return svg;
}

/** What-if: each policy's capacity against the demand (once the what-if route exists). */
export function whatIfChart(demand: { startMs: number; stepMs: number; values: readonly (number | null)[] }, policies: { name: string; capacity: { startMs: number; stepMs: number; values: readonly (number | null)[] } }[], width: number): HTMLElement {
  const P = Plot();
  const palette = ['#7b3fbf', '#d9730d', '#1e8a4c', '#2f6fbf'];
  const svg = P.plot({
    width,
    height: 220,
    marginLeft: 56,
    x: { type: 'utc', label: null },
    y: { grid: true, label: 'load / capacity', zero: true },
    marks: [
      P.lineY(gridPoints(demand.startMs, demand.stepMs, demand.values), { x: 'time', y: 'value', stroke: COLORS.actual, ...lab('demand') }),
      ...policies.map((p, i) => P.lineY(gridPoints(p.capacity.startMs, p.capacity.stepMs, p.capacity.values), { x: 'time', y: 'value', curve: 'step-after', stroke: palette[i % palette.length], ...lab(`capacity ${p.name}`) })),
    ],
  });
  return figure(
    'what-if-chart',
    'What-if: capacity of each policy against the demand',
    svg,
    legend([['demand', COLORS.actual, 'line'], ...policies.map((p, i): [string, string, 'line'] => [p.name, palette[i % palette.length]!, 'line'])]),
    summaryTable('What-if chart summary', [{ series: 'demand', values: demand.values }, ...policies.map((p) => ({ series: `capacity ${p.name}`, values: p.capacity.values }))]),
  );
}
