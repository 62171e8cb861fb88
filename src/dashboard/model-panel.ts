/// <reference lib="dom" />
/**
 * The model panel: champion, version, training time, the backtest MASE of every candidate against seasonal
 * naive (from /api/status), and live accuracy from the accuracy route when it exists (a placeholder until then).
 * Also the mode badge ("learning 3 of 7 days", predictive, reactive, forecast-only) and the error budget line.
 */
import type { Accuracy, Answer, LiveAccuracyWindow, ModelInfo } from './api.js';
import type { BudgetStatus } from '../scaling/budget-observation.js';
import { duration, fill, fmt, h, iso } from './dom.js';

/** The sizing knob in one line: "error budget 0.1% / 7d: spent 0.02%, left 0.08%, x1.05 on P98", or the quantile that overrides it. */
export function budgetText(b: BudgetStatus): string {
  if (b.control === 'quantile') return `sized at P${b.quantile} (quantile override, no error budget)`;
  const share = (x: number) => `${Number((x * 100).toPrecision(2))}%`;
  return `error budget ${share(b.budget)} / ${duration(b.windowMs)}: spent ${share(b.spent)}, left ${share(b.left)}, x${b.multiplier.toFixed(2)} on P${b.quantile}`;
}

export function modeBadge(mode: string, model: Pick<ModelInfo, 'historyDays' | 'requiredHistoryDays'> | null): HTMLElement {
  const text = mode === 'learning' && model ? `learning ${fmt(Math.min(model.historyDays, model.requiredHistoryDays), 1)} of ${model.requiredHistoryDays} days` : mode;
  return h('span', { class: `badge mode-${mode}`, 'data-mode': mode, title: `scaling mode: ${text}` }, text);
}

export function modelPanel(): { element: HTMLElement; render(model: ModelInfo | null, accuracy: Answer<Accuracy> | null): void } {
  const body = h('div', { id: 'model-body' });
  const accuracyBody = h('div', { id: 'accuracy-body' });
  const element = h(
    'section',
    { class: 'panel', id: 'model-panel', 'aria-labelledby': 'model-title' },
    h('h2', { id: 'model-title' }, 'Model'),
    body,
    h('h3', {}, 'Live accuracy (forecasts as issued one pod lead ahead)'),
    accuracyBody,
  );
  return {
    element,
    render(model, accuracy) {
      if (!model) fill(body, h('p', { class: 'muted' }, 'No model trained yet.'));
      else {
        const naive = model.naiveMase ?? model.scores['snaive']?.['mase'];
        const candidates = Object.entries(model.scores).sort((a, b) => (a[1]['mase'] ?? Infinity) - (b[1]['mase'] ?? Infinity));
        fill(
          body,
          h(
            'dl',
            { class: 'facts' },
            h('dt', {}, 'Champion'),
            h('dd', { id: 'model-champion' }, `${model.kind} · ${model.description}`),
            h('dt', {}, 'Version'),
            h('dd', { id: 'model-version' }, String(model.version)),
            h('dt', {}, 'Trained at'),
            h('dd', {}, iso(model.trainedAt)),
            h('dt', {}, 'History'),
            h('dd', {}, `${fmt(model.historyDays)} days (needs ${model.requiredHistoryDays})`),
          ),
          h(
            'table',
            { id: 'model-scores' },
            h('caption', {}, 'Backtest MASE of each candidate (lower is better; below 1 beats seasonal naive in-sample)'),
            h('thead', {}, h('tr', {}, ...['candidate', 'MASE', 'vs seasonal naive', 'sMAPE %'].map((c) => h('th', { scope: 'col' }, c)))),
            h(
              'tbody',
              {},
              ...candidates.map(([name, s]) =>
                h(
                  'tr',
                  { class: name === model.kind ? 'champion' : '' },
                  h('th', { scope: 'row' }, name + (name === model.kind ? ' (champion)' : '')),
                  h('td', { class: 'num' }, fmt(s['mase'], 3)),
                  h('td', { class: 'num' }, naive && s['mase'] !== undefined ? `${fmt((s['mase'] / naive) * 100, 0)}%` : '–'),
                  h('td', { class: 'num' }, fmt(s['smape'], 1)),
                ),
              ),
            ),
          ),
          model.notes.length ? h('p', { class: 'muted' }, model.notes.join(' · ')) : null,
        );
      }
      if (!accuracy || (!accuracy.ok && accuracy.missing)) {
        fill(accuracyBody, h('p', { class: 'placeholder', id: 'accuracy-placeholder' }, 'Live accuracy: not available yet (this server has no accuracy route).'));
      } else if (!accuracy.ok) {
        fill(accuracyBody, h('p', { class: 'error' }, `accuracy: ${accuracy.body.message}`));
      } else if (accuracy.body.computedAt === null) {
        fill(accuracyBody, h('p', { class: 'muted', id: 'accuracy-pending' }, 'Not computed yet: the accuracy job has not run for this target.'));
      } else {
        const windows = Object.entries(accuracy.body.windows) as [string, LiveAccuracyWindow | null][];
        const pct = (v: number | null | undefined) => (v === null || v === undefined ? '–' : `${fmt(v * 100, 0)}%`);
        fill(
          accuracyBody,
          h(
            'table',
            { id: 'accuracy-table' },
            h('caption', {}, `Computed ${iso(accuracy.body.computedAt)} for forecasts issued ${accuracy.body.leadMs === null ? '?' : Math.round(accuracy.body.leadMs / 1000)} s ahead`),
            h('thead', {}, h('tr', {}, ...['window', 'MASE', 'seasonal naive MASE', '80% coverage', '95% coverage', 'steps scored'].map((c) => h('th', { scope: 'col' }, c)))),
            h(
              'tbody',
              {},
              ...windows.map(([name, w]) =>
                h('tr', { 'data-window': name }, h('th', { scope: 'row' }, name), h('td', { class: 'num' }, fmt(w?.mase, 3)), h('td', { class: 'num' }, fmt(w?.naiveMase, 3)), h('td', { class: 'num' }, pct(w?.coverage80)), h('td', { class: 'num' }, pct(w?.coverage95)), h('td', { class: 'num' }, w ? `${w.points} of ${w.expected}` : '–')),
              ),
            ),
          ),
        );
      }
    },
  };
}
