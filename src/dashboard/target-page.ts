/// <reference lib="dom" />
/**
 * One target's page: load against forecast, capacity with decision markers, nodes of its pool, the decision
 * table, the calendar (spans on the charts and the form), the model with live accuracy, and what-if. Data
 * comes from one request per panel: /api/dashboard/targets/..., /api/status, the calendar API, and the
 * accuracy and what-if routes when they exist (placeholders say "not available yet" when they do not).
 */
import { api, type Occurrence, type TargetData, type WhatIfStatus } from './api.js';
import { calendarPanel } from './calendar-panel.js';
import { capacityChart, loadChart, nodesChart, whatIfChart } from './charts.js';
import { decisionDetail, decisionsPanel } from './decisions-panel.js';
import { duration, fill, fmt, h, iso } from './dom.js';
import { budgetText, modeBadge, modelPanel } from './model-panel.js';

export interface TargetPage {
  element: HTMLElement;
  /** Reloads the data and redraws charts and tables (the form keeps what is typed). */
  refresh(): Promise<void>;
}

function chartWidth(): number {
  return Math.max(480, Math.min(1400, (document.querySelector('main')?.clientWidth ?? 1000) - 32));
}

function whatIfPanel(target: string): HTMLElement {
  const body = h('div', { id: 'what-if-body' });
  const days = h('select', { id: 'what-if-days', name: 'days' }, ...[1, 3, 7, 14].map((d) => h('option', { value: d, selected: d === 7 }, `${d} days`)));
  const run = h('button', { type: 'button', id: 'what-if-run' }, 'Replay history');
  const progress = h('p', { id: 'what-if-progress', 'aria-live': 'polite', class: 'muted' });
  const showResult = (r: WhatIfStatus) => {
    if (r.status === 'failed') return fill(progress, `what-if failed: ${r.error ?? 'unknown error'}`);
    if (r.status !== 'done' || !r.result) return fill(progress, `${r.status} ${Math.round(r.progress * 100)}%`);
    const result = r.result;
    fill(progress, `replayed ${iso(result.fromMs)} .. ${iso(result.toMs)} in ${duration(result.wallMs)}`);
    const lines = result.lines;
    const grid = (values: readonly number[]) => ({ startMs: lines.times[0] ?? result.fromMs, stepMs: lines.bucketMs, values });
    fill(
      body,
      h(
        'table',
        { id: 'what-if-table' },
        h('thead', {}, h('tr', {}, ...['policy', 'under-provisioned minutes', 'replica-hours', 'slack', 'node-hours'].map((c) => h('th', { scope: 'col' }, c)))),
        h('tbody', {}, ...result.policies.map((p) => h('tr', { 'data-policy': p.policy }, h('th', { scope: 'row' }, p.policy), h('td', { class: 'num' }, fmt(p.underProvisionedMinutes, 0)), h('td', { class: 'num' }, fmt(p.replicaHours, 1)), h('td', { class: 'num' }, `${fmt(p.slack * 100, 1)}%`), h('td', { class: 'num' }, fmt(p.nodeHours, 1))))),
      ),
      whatIfChart(
        grid(lines.demand),
        Object.entries(lines.replicas).map(([name, line]) => ({ name, capacity: grid(line.ready.map((r) => r * lines.capacityPerReplica)) })),
        chartWidth(),
      ),
    );
  };
  run.addEventListener('click', () => {
    void (async () => {
      run.disabled = true;
      try {
        let answer = await api.whatIfStart(target, Number(days.value));
        if (!answer.ok) return fill(progress, answer.missing ? 'What-if: not available yet (this server has no what-if route).' : answer.body.message);
        showResult(answer.body);
        while (answer.ok && (answer.body.status === 'queued' || answer.body.status === 'running')) {
          await new Promise((resolve) => setTimeout(resolve, 1000));
          answer = await api.whatIfGet(target, answer.body.id);
          if (answer.ok) showResult(answer.body);
          else fill(progress, answer.body.message);
        }
      } finally {
        run.disabled = false;
      }
    })();
  });
  return h(
    'section',
    { class: 'panel', id: 'what-if-panel', 'aria-labelledby': 'what-if-title' },
    h('h2', { id: 'what-if-title' }, 'What-if: Prescale, HPA and oracle on this target’s own history'),
    h('div', { class: 'filters' }, h('label', {}, 'History ', days), run),
    progress,
    body,
  );
}

export function targetPage(target: string, rangeMs: number): TargetPage {
  // Some forecast ahead of now: a quarter of the window, at least an hour, at most a day.
  const ahead = Math.min(86_400_000, Math.max(3_600_000, rangeMs / 4));
  let occurrences: Occurrence[] = [];
  const loadOccurrences = async (from: number, to: number) => {
    const answer = await api.occurrences(target, from, to);
    occurrences = answer.ok ? answer.body.occurrences : [];
  };
  /**
   * One refresh's requests, all at once: the data window is relative to the server's clock (a replay runs on its
   * own); the calendar's spans follow the status's now, a minute wider each side (the charts clip them).
   */
  const requestAll = () => {
    const statusAnswer = api.status();
    const spans = statusAnswer.then((s) => {
      const now = s.ok ? s.body.now : Date.now();
      return loadOccurrences(now - rangeMs - 60_000, now + ahead + 60_000);
    });
    return Promise.all([statusAnswer, api.target(target, rangeMs, ahead), api.accuracy(target), spans]);
  };
  // The first refresh's requests leave before the page's elements are built (that takes a while on a busy machine).
  let firstRequests: ReturnType<typeof requestAll> | null = requestAll();
  const badge = h('span', { id: 'mode-badge' });
  const meta = h('p', { id: 'target-meta', class: 'muted' });
  const loadSlot = h('div', { id: 'load-slot', class: 'panel' });
  const capacitySlot = h('div', { id: 'capacity-slot', class: 'panel' });
  const nodesSlot = h('div', { id: 'nodes-slot', class: 'panel' });
  const detail = decisionDetail();
  const decisions = decisionsPanel();
  const model = modelPanel();
  let last: TargetData | null = null;
  const error = h('p', { id: 'target-error', class: 'error', role: 'alert' });
  const drawCharts = () => {
    if (!last) return;
    const width = chartWidth();
    fill(loadSlot, loadChart(last, occurrences, width));
    fill(capacitySlot, capacityChart(last, occurrences, width, detail.show), detail.element);
    const nodes = nodesChart(last, width);
    nodesSlot.hidden = !nodes;
    fill(nodesSlot, nodes);
  };
  let calendarRange = { from: 0, to: 0 };
  const calendar = calendarPanel(target, () => {
    void loadOccurrences(calendarRange.from, calendarRange.to).then(drawCharts);
  });
  const element = h(
    'div',
    { id: 'target-page', 'data-target': target },
    h('h1', {}, target, ' ', badge),
    meta,
    error,
    loadSlot,
    capacitySlot,
    nodesSlot,
    decisions.element,
    calendar.element,
    model.element,
    whatIfPanel(target),
  );
  void calendar.load();

  async function refresh(): Promise<void> {
    const requests = firstRequests ?? requestAll();
    firstRequests = null;
    const [status, data, accuracy] = await requests;
    if (!data.ok) {
      fill(error, `Could not load ${target}: ${data.body.message}`);
      return;
    }
    fill(error);
    const { from, to } = data.body;
    calendarRange = { from, to };
    last = data.body;
    const info = status.ok ? (status.body.targets.find((t) => t.id === target)?.model ?? null) : null;
    fill(badge, modeBadge(data.body.mode, info));
    const budget = status.ok ? status.body.targets.find((t) => t.id === target)?.budget : undefined;
    fill(meta, `${iso(from)} .. ${iso(to)} · step ${duration(data.body.stepMs)} · pod lead ${duration(data.body.leadMs)} · ${data.body.capacityPerReplica} load per replica · actuation ${data.body.actuation}${budget ? ` · ${budgetText(budget)}` : ''}${status.ok && status.body.replay ? ` · replay ${Math.round(status.body.replay.fraction * 100)}%` : ''}`);
    drawCharts();
    decisions.render(data.body.decisions, data.body.decisionsTruncated);
    model.render(info, accuracy);
  }
  return { element, refresh };
}
