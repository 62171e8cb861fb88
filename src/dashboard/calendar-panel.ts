/// <reference lib="dom" />
/**
 * The calendar panel of a target page: the target's entries with edit and delete, and a form that creates or
 * replaces an entry through the calendar API (notes/CALENDAR_API.md). The API is the only validator: the form
 * sends what was typed (no browser-side constraints) and shows each `details[].path` error next to its field,
 * so what a person sees is exactly what the API enforces. Edits send If-Match with the entry's ETag.
 * Left out: weekdays, exclusions and multi-target entries (the CLI and the API take them).
 */
import { api, type CalendarEntry, type ErrorBody } from './api.js';
import { fill, h } from './dom.js';

interface Field {
  /** The API's field path this input answers for. */
  path: string;
  label: string;
  input: HTMLInputElement | HTMLSelectElement;
}

const effectText = (e: CalendarEntry['effect']) =>
  e.kind === 'relative' ? `relative ${e.replicas !== undefined ? `${e.replicas >= 0 ? '+' : ''}${e.replicas} replicas` : ''}${e.percent !== undefined ? ` ${e.percent >= 0 ? '+' : ''}${e.percent}%` : ''}` : `${e.kind} ${e.replicas}`;

/** Input value as a number when it parses, else the text itself (the API then says what is wrong). */
const numberOrText = (v: string): number | string | undefined => (v.trim() === '' ? undefined : Number.isFinite(Number(v)) ? Number(v) : v);

export function calendarPanel(target: string, onChange: () => void): { element: HTMLElement; load(): Promise<void> } {
  const input = (name: string, attrs: Record<string, string> = {}) => h('input', { id: `cal-${name}`, name, ...attrs });
  const fields: Field[] = [
    { path: 'id', label: 'Id (optional)', input: input('id', { autocomplete: 'off' }) },
    { path: 'title', label: 'Title', input: input('title') },
    { path: 'effect.kind', label: 'Effect', input: h('select', { id: 'cal-kind', name: 'kind' }, ...['floor', 'ceiling', 'absolute', 'relative'].map((k) => h('option', { value: k }, k))) },
    { path: 'effect.replicas', label: 'Replicas', input: input('replicas', { type: 'number', inputmode: 'numeric' }) },
    { path: 'effect.percent', label: 'Percent (relative)', input: input('percent', { type: 'number' }) },
    { path: 'priority', label: 'Priority', input: input('priority', { type: 'number', value: '0' }) },
    { path: 'timeZone', label: 'Time zone', input: input('timeZone', { value: 'UTC' }) },
    { path: 'start', label: 'Start (local)', input: input('start', { type: 'datetime-local' }) },
    { path: 'end', label: 'End (local)', input: input('end', { type: 'datetime-local' }) },
    { path: 'recurrence.frequency', label: 'Repeats', input: h('select', { id: 'cal-frequency', name: 'frequency' }, ...['', 'daily', 'weekly', 'monthly'].map((f) => h('option', { value: f }, f || 'never'))) },
    { path: 'recurrence.interval', label: 'Every (n)', input: input('interval', { type: 'number', value: '1' }) },
    { path: 'recurrence.until', label: 'Until (local date)', input: input('until', { type: 'date' }) },
  ];
  const byPath = new Map(fields.map((f) => [f.path, f]));
  const errorEls = new Map<string, HTMLElement>();
  const formError = h('p', { id: 'cal-form-error', class: 'error', role: 'alert' });
  const submit = h('button', { type: 'submit', id: 'cal-submit' }, 'Create entry');
  const cancel = h('button', { type: 'button', id: 'cal-cancel', hidden: true }, 'Cancel edit');
  const form = h(
    'form',
    { id: 'calendar-form', novalidate: true, 'aria-labelledby': 'calendar-form-title' },
    h('h3', { id: 'calendar-form-title' }, 'New calendar entry'),
    ...fields.map((f) => {
      const error = h('span', { class: 'field-error', id: `err-${f.input.id}`, 'data-error-for': f.path });
      errorEls.set(f.path, error);
      f.input.setAttribute('aria-describedby', error.id);
      return h('div', { class: 'field' }, h('label', { for: f.input.id }, f.label), f.input, error);
    }),
    formError,
    h('div', { class: 'actions' }, submit, cancel),
  );
  const list = h('tbody', { id: 'calendar-rows' });
  const status = h('p', { id: 'calendar-status', class: 'muted', 'aria-live': 'polite' });
  let editing: { id: string; etag: string } | null = null;

  const value = (path: string) => byPath.get(path)!.input.value;
  const clearErrors = () => {
    for (const [path, el] of errorEls) {
      fill(el);
      byPath.get(path)!.input.removeAttribute('aria-invalid');
    }
    fill(formError);
  };
  /** Each detail goes to its field, or the closest enclosing one ("effect" for "effect"), else the form. */
  const showErrors = (body: ErrorBody) => {
    clearErrors();
    const unplaced: string[] = [];
    for (const detail of body.details ?? []) {
      const path = detail.path.replace(/^body\./, '');
      const field = byPath.get(path) ?? fields.find((f) => f.path.startsWith(`${path}.`) || path.startsWith(`${f.path}.`));
      if (field && path !== '') {
        const el = errorEls.get(field.path)!;
        el.append(el.textContent ? `; ${detail.message}` : detail.message);
        field.input.setAttribute('aria-invalid', 'true');
      } else unplaced.push(`${path || 'entry'}: ${detail.message}`);
    }
    fill(formError, unplaced.length ? unplaced.join('; ') : body.details?.length ? '' : body.message);
    const first = fields.find((f) => f.input.getAttribute('aria-invalid') === 'true');
    first?.input.focus();
  };

  const entryInput = (): Record<string, unknown> => {
    const kind = value('effect.kind');
    const effect: Record<string, unknown> = { kind };
    const replicas = numberOrText(value('effect.replicas'));
    const percent = numberOrText(value('effect.percent'));
    if (replicas !== undefined || kind !== 'relative') effect['replicas'] = replicas;
    if (kind === 'relative' && percent !== undefined) effect['percent'] = percent;
    const entry: Record<string, unknown> = {
      targets: [target],
      title: value('title'),
      effect,
      priority: numberOrText(value('priority')) ?? 0,
      timeZone: value('timeZone') || 'UTC',
      start: value('start'),
      end: value('end'),
    };
    const id = value('id').trim();
    if (id) entry['id'] = id;
    const frequency = value('recurrence.frequency');
    if (frequency) {
      const recurrence: Record<string, unknown> = { frequency, interval: numberOrText(value('recurrence.interval')) ?? 1 };
      if (value('recurrence.until')) recurrence['until'] = value('recurrence.until');
      entry['recurrence'] = recurrence;
    }
    return entry;
  };

  const resetForm = () => {
    editing = null;
    form.reset();
    byPath.get('id')!.input.removeAttribute('readonly');
    fill(form.querySelector('#calendar-form-title')!, 'New calendar entry');
    fill(submit, 'Create entry');
    cancel.hidden = true;
    clearErrors();
  };

  const edit = async (id: string) => {
    const got = await api.calendarGet(id);
    if (!got.ok) {
      fill(formError, got.body.message);
      return;
    }
    const e = got.body;
    editing = { id, etag: got.etag ?? `"${e.meta?.revision ?? 1}"` };
    const set = (path: string, v: string | number | undefined) => (byPath.get(path)!.input.value = v === undefined ? '' : String(v));
    set('id', e.id);
    byPath.get('id')!.input.setAttribute('readonly', '');
    set('title', e.title);
    set('effect.kind', e.effect.kind);
    set('effect.replicas', e.effect.replicas);
    set('effect.percent', e.effect.kind === 'relative' ? e.effect.percent : undefined);
    set('priority', e.priority);
    set('timeZone', e.timeZone);
    set('start', e.start.slice(0, 16));
    set('end', e.end.slice(0, 16));
    set('recurrence.frequency', e.recurrence?.frequency ?? '');
    set('recurrence.interval', e.recurrence?.interval ?? 1);
    set('recurrence.until', e.recurrence?.until);
    fill(form.querySelector('#calendar-form-title')!, `Edit entry ${e.id}`);
    fill(submit, 'Save changes');
    cancel.hidden = false;
    clearErrors();
    byPath.get('title')!.input.focus();
  };

  const remove = async (entry: CalendarEntry) => {
    if (!window.confirm(`Delete calendar entry "${entry.title || entry.id}"?`)) return;
    const answer = await api.calendarDelete(entry.id, entry.meta ? `"${entry.meta.revision}"` : null);
    fill(status, answer.ok ? `deleted ${entry.id}` : `delete failed: ${answer.body.message}`);
    if (editing?.id === entry.id) resetForm();
    await load();
    onChange();
  };

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void (async () => {
      submit.disabled = true;
      try {
        const entry = entryInput();
        const answer = editing ? await api.calendarReplace(editing.id, entry, editing.etag) : await api.calendarCreate(entry);
        if (!answer.ok) {
          if (answer.missing) fill(formError, 'The calendar API is not available on this server yet.');
          else showErrors(answer.body);
          return;
        }
        fill(status, `${editing ? 'saved' : 'created'} ${answer.body.id}`);
        resetForm();
        await load();
        onChange();
      } finally {
        submit.disabled = false;
      }
    })();
  });
  cancel.addEventListener('click', resetForm);

  async function load(): Promise<void> {
    const answer = await api.calendarList(target);
    if (!answer.ok) {
      fill(list, h('tr', {}, h('td', { colspan: 6, class: answer.missing ? 'placeholder' : 'error' }, answer.missing ? 'Calendar: not available yet (no calendar API on this server).' : answer.body.message)));
      return;
    }
    const entries = answer.body.entries;
    fill(
      list,
      ...(entries.length === 0
        ? [h('tr', {}, h('td', { colspan: 6, class: 'muted' }, 'No entries for this target.'))]
        : entries.map((e) =>
            h(
              'tr',
              { 'data-entry': e.id },
              h('td', {}, e.title || e.id),
              h('td', {}, effectText(e.effect)),
              h('td', {}, `${e.start} – ${e.end} ${e.timeZone}`),
              h('td', {}, e.recurrence ? `${e.recurrence.frequency}${e.recurrence.interval > 1 ? ` ×${e.recurrence.interval}` : ''}${e.recurrence.until ? ` until ${e.recurrence.until}` : ''}` : 'once'),
              h('td', {}, String(e.priority)),
              h(
                'td',
                {},
                (() => {
                  const b = h('button', { type: 'button', class: 'edit', 'aria-label': `edit ${e.id}` }, 'Edit');
                  b.addEventListener('click', () => void edit(e.id));
                  return b;
                })(),
                ' ',
                (() => {
                  const b = h('button', { type: 'button', class: 'delete', 'aria-label': `delete ${e.id}` }, 'Delete');
                  b.addEventListener('click', () => void remove(e));
                  return b;
                })(),
              ),
            ),
          )),
    );
  }

  const element = h(
    'section',
    { class: 'panel', id: 'calendar-panel', 'aria-labelledby': 'calendar-title' },
    h('h2', { id: 'calendar-title' }, 'Calendar'),
    h('table', { id: 'calendar-table' }, h('thead', {}, h('tr', {}, ...['title', 'effect', 'when', 'repeats', 'priority', ''].map((c) => h('th', { scope: 'col' }, c)))), list),
    status,
    form,
  );
  return { element, load };
}
