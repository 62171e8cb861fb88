/// <reference lib="dom" />
/**
 * The overview: every target with a load sparkline, mode badge, replicas, live accuracy (when the accuracy
 * route exists) and the last decision that changed replicas; then the node pools. One request for the table
 * (/api/dashboard/overview), one per target for accuracy.
 */
import { api } from './api.js';
import { sparkline } from './charts.js';
import { fill, fmt, h, iso, shortTime } from './dom.js';
import { modeBadge } from './model-panel.js';

export function overviewPage(rangeHash: (target: string) => string): { element: HTMLElement; refresh(backMs: number): Promise<void> } {
  const rows = h('tbody', { id: 'overview-rows' });
  const pools = h('tbody', { id: 'pool-rows' });
  const error = h('p', { class: 'error', role: 'alert' });
  const clock = h('p', { id: 'cluster-time', class: 'muted' });
  const element = h(
    'div',
    { id: 'overview-page' },
    h('h1', {}, 'Targets'),
    clock,
    error,
    h(
      'table',
      { id: 'overview-table' },
      h('thead', {}, h('tr', {}, ...['target', 'load', 'mode', 'replicas Ready / desired (planned)', 'live accuracy (24 h MASE, 80% cov.)', 'last decision'].map((c) => h('th', { scope: 'col' }, c)))),
      rows,
    ),
    h('h2', {}, 'Node pools'),
    h('table', { id: 'pool-table' }, h('thead', {}, h('tr', {}, ...['pool', 'Ready / desired nodes', 'pending pods', 'min–max', 'last change'].map((c) => h('th', { scope: 'col' }, c)))), pools),
  );
  return {
    element,
    async refresh(backMs) {
      const [overview, status] = await Promise.all([api.overview(backMs), api.status()]);
      if (!overview.ok) return fill(error, overview.body.message);
      fill(error);
      fill(clock, `cluster time ${iso(overview.body.now)}${status.ok && status.body.replay ? ` (replay ${Math.round(status.body.replay.fraction * 100)}%)` : ''}`);
      const accuracies = await Promise.all(overview.body.targets.map((t) => api.accuracy(t.id)));
      fill(
        rows,
        ...overview.body.targets.map((t, i) => {
          const acc = accuracies[i]!;
          const day = acc.ok ? acc.body.windows['24h'] : null;
          const accuracy = acc.ok ? (day ? `${fmt(day.mase, 2)} · ${day.coverage80 === null ? '–' : `${fmt(day.coverage80 * 100, 0)}%`}` : 'not computed yet') : acc.missing ? 'not available yet' : acc.body.message;
          const d = t.lastDecision;
          return h(
            'tr',
            { 'data-target': t.id },
            h('th', { scope: 'row' }, h('a', { href: rangeHash(t.id) }, t.id)),
            h('td', { class: 'spark' }, sparkline(t.sparkline.startMs, t.sparkline.stepMs, t.sparkline.values, `load of ${t.id}`)),
            h('td', {}, modeBadge(t.mode, t.model)),
            h('td', { class: 'num' }, `${t.replicas.ready} / ${t.replicas.desired}${t.replicas.planned !== null ? ` (${t.replicas.planned})` : ''}`),
            h('td', { class: acc.ok ? 'num' : 'placeholder' }, accuracy),
            h('td', {}, d ? `${shortTime(d.time)} ${d.previousReplicas} → ${d.desiredReplicas}: ${d.rule}` : 'none in range'),
          );
        }),
      );
      fill(
        pools,
        ...overview.body.nodePools.map((p) =>
          h('tr', { 'data-pool': p.name }, h('th', { scope: 'row' }, p.name), h('td', { class: 'num' }, `${p.readyNodes} / ${p.desiredNodes}`), h('td', { class: 'num' }, String(p.pendingPods)), h('td', { class: 'num' }, `${p.minNodes}–${p.maxNodes}`), h('td', {}, p.lastDecision ? `${shortTime(p.lastDecision.time)} ${p.lastDecision.previousNodes ?? '?'} → ${p.lastDecision.desiredNodes ?? '?'}: ${p.lastDecision.rule}` : 'none in range')),
        ),
      );
    },
  };
}
