/// <reference lib="dom" />
/**
 * A few DOM helpers for the dashboard: element creation with text (never HTML from data), formatting of
 * times and numbers, and the visually hidden summary tables that are each chart's text alternative.
 */
type Child = Node | string | number | null | undefined | false;

/** `h('td', {class: 'x'}, 'text', child)`: attributes set as attributes, children as text nodes or nodes. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string | number | boolean | undefined> = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    el.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    el.append(typeof child === 'string' || typeof child === 'number' ? String(child) : child);
  }
  return el;
}

export const iso = (ms: number): string => new Date(ms).toISOString().replace('.000Z', 'Z');
export const shortTime = (ms: number): string => new Date(ms).toISOString().slice(5, 16).replace('T', ' ');
export const fmt = (v: number | null | undefined, digits = 1): string => (v === null || v === undefined || !Number.isFinite(v) ? '–' : Number.isInteger(v) ? String(v) : v.toFixed(digits));
export const duration = (ms: number): string => (ms >= 86_400_000 ? `${+(ms / 86_400_000).toFixed(1)} d` : ms >= 3_600_000 ? `${+(ms / 3_600_000).toFixed(1)} h` : ms >= 60_000 ? `${+(ms / 60_000).toFixed(1)} min` : `${Math.round(ms / 1000)} s`);

export interface SummaryRow {
  series: string;
  values: readonly (number | null)[];
}

/** A chart's text alternative: per series the number of points, min, mean, max and the last value. */
export function summaryTable(caption: string, rows: SummaryRow[], extra: [string, string][] = []): HTMLTableElement {
  const body = rows.map((r) => {
    const xs = r.values.filter((v): v is number => v !== null && Number.isFinite(v));
    const mean = xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null;
    return h('tr', {}, h('th', { scope: 'row' }, r.series), h('td', {}, xs.length), h('td', {}, fmt(xs.length ? Math.min(...xs) : null)), h('td', {}, fmt(mean)), h('td', {}, fmt(xs.length ? Math.max(...xs) : null)), h('td', {}, fmt(xs.at(-1) ?? null)));
  });
  const notes = extra.map(([k, v]) => h('tr', {}, h('th', { scope: 'row' }, k), h('td', { colspan: 5 }, v)));
  return h(
    'table',
    { class: 'visually-hidden summary' },
    h('caption', {}, caption),
    h('thead', {}, h('tr', {}, ...['series', 'points', 'min', 'mean', 'max', 'last'].map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, ...body, ...notes),
  );
}

/** Replaces an element's children. */
export function fill(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    el.append(typeof child === 'string' || typeof child === 'number' ? String(child) : child);
  }
}
