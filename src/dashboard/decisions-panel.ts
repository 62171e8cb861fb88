/// <reference lib="dom" />
/**
 * The decision table of a target page: every decision in the range that changed replicas, newest first, with
 * filters by mode, rule (text contained) and applied, and a detail box that markers on the capacity chart open.
 * Left out: paging (the route caps decisions and says when it did).
 */
import type { ScalingDecision } from './api.js';
import { fill, h, iso } from './dom.js';

export interface DecisionFilters {
  mode: string;
  rule: string;
  applied: string;
}

export function filterDecisions(decisions: readonly ScalingDecision[], f: DecisionFilters): ScalingDecision[] {
  const rule = f.rule.trim().toLowerCase();
  return decisions.filter(
    (d) => (f.mode === '' || d.mode === f.mode) && (rule === '' || d.rule.toLowerCase().includes(rule)) && (f.applied === '' || String(d.applied) === f.applied),
  );
}

/** The filter controls and the table; `render` redraws the rows with new data, keeping the filters. */
export function decisionsPanel(): { element: HTMLElement; render(decisions: readonly ScalingDecision[], truncated: boolean): void } {
  const mode = h('select', { id: 'filter-mode', name: 'mode' }, ...['', 'predictive', 'reactive', 'forecast-only', 'learning'].map((m) => h('option', { value: m }, m || 'any mode')));
  const rule = h('input', { id: 'filter-rule', name: 'rule', type: 'search', placeholder: 'rule contains…' });
  const applied = h('select', { id: 'filter-applied', name: 'applied' }, h('option', { value: '' }, 'applied or not'), h('option', { value: 'true' }, 'applied'), h('option', { value: 'false' }, 'not applied'));
  const tbody = h('tbody', { id: 'decision-rows' });
  const count = h('p', { id: 'decision-count', class: 'muted', 'aria-live': 'polite' });
  let current: readonly ScalingDecision[] = [];
  let truncatedNow = false;
  const draw = () => {
    const shown = filterDecisions(current, { mode: mode.value, rule: rule.value, applied: applied.value }).slice().reverse();
    fill(count, `${shown.length} of ${current.length} decisions that changed replicas${truncatedNow ? ' (older ones left out)' : ''}`);
    fill(
      tbody,
      ...shown.slice(0, 500).map((d) =>
        h(
          'tr',
          { 'data-time': d.time },
          h('td', {}, h('time', { datetime: iso(d.time) }, iso(d.time))),
          h('td', {}, h('span', { class: `badge mode-${d.mode}` }, d.mode)),
          h('td', {}, d.loop ?? 'plan'),
          h('td', { class: 'num' }, `${d.previousReplicas} → ${d.desiredReplicas}`),
          h('td', {}, d.applied ? 'yes' : 'no'),
          h('td', { class: 'rule' }, d.rule),
          h('td', { class: 'notes' }, d.notes ?? ''),
        ),
      ),
    );
  };
  for (const control of [mode, applied]) control.addEventListener('change', draw);
  rule.addEventListener('input', draw);
  const element = h(
    'section',
    { class: 'panel', id: 'decisions-panel', 'aria-labelledby': 'decisions-title' },
    h('h2', { id: 'decisions-title' }, 'Decisions'),
    h('div', { class: 'filters', role: 'group', 'aria-label': 'decision filters' }, h('label', {}, 'Mode ', mode), h('label', {}, 'Rule ', rule), h('label', {}, 'Applied ', applied)),
    count,
    h(
      'div',
      { class: 'scroll' },
      h('table', { id: 'decision-table' }, h('thead', {}, h('tr', {}, ...['time', 'mode', 'loop', 'replicas', 'applied', 'rule', 'reason'].map((c) => h('th', { scope: 'col' }, c)))), tbody),
    ),
  );
  return {
    element,
    render(decisions, truncated) {
      current = decisions;
      truncatedNow = truncated;
      draw();
    },
  };
}

/** The box a decision marker opens: rule, mode and reason, announced to screen readers. */
export function decisionDetail(): { element: HTMLElement; show(d: ScalingDecision): void } {
  const element = h('div', { id: 'decision-detail', class: 'detail', role: 'status', 'aria-live': 'polite' }, 'Click or focus a decision marker (Tab, then Enter) to see its rule, mode and reason.');
  return {
    element,
    show(d) {
      fill(
        element,
        h('strong', {}, `${iso(d.time)} · `),
        h('span', { class: `badge mode-${d.mode}`, 'data-field': 'mode' }, d.mode),
        ` ${d.loop ?? 'plan'} loop, replicas ${d.previousReplicas} → ${d.desiredReplicas}${d.applied ? ' (applied)' : ' (not applied)'}`,
        h('div', { 'data-field': 'rule' }, h('b', {}, 'Rule: '), d.rule),
        h('div', { 'data-field': 'reason' }, h('b', {}, 'Reason: '), d.notes ?? 'no further notes'),
        h('div', { class: 'muted' }, Object.entries(d.inputs).slice(0, 12).map(([k, v]) => `${k} ${Number.isInteger(v) ? v : v.toFixed(2)}`).join(' · ')),
      );
    },
  };
}
