/**
 * The calendar HTTP API (contract: notes/CALENDAR_API.md): create, read, replace and delete entries with
 * ETag / If-Match, list them by target and time range, expand occurrences in UTC and local time, and
 * preview what an entry would do to each affected target's planned replicas. Thin: requests are validated
 * with the schemas in ../schemas/calendar.ts (also the OpenAPI source), writes are compare-and-set in the
 * calendar store, occurrences come from scaling/calendar.ts and previews from scaling/calendar-preview.ts.
 *
 * Auth, the body limit and the write rate limit are mounted in front by createApp (http-middleware.ts);
 * every rejection happens before the store is written, so a rejected request changes nothing.
 * Left out: partial updates (PATCH; replace the whole entry) and the history of earlier revisions.
 */
import { randomBytes } from 'node:crypto';
import type { Express, Request, Response } from 'express';
import { DateTime } from 'luxon';
import type { ZodTypeAny, z } from 'zod';
import type { PrescaleConfig } from '../../config/schema.js';
import { findTarget, targetId } from '../../config/targets.js';
import type { Clock } from '../../core/clock.js';
import { forecastFromPoints } from '../../forecasting/stored-forecast.js';
import type { MetricsStore } from '../../metrics/metrics-store.js';
import type { PublishedCache } from '../../publish/published-cache.js';
import { calendarEntryObjectSchema, occurrencesInEffect, parseCalendarEntry, type CalendarEntry } from '../../scaling/calendar.js';
import { CALENDAR_PREVIEW_METHOD, previewCalendarEntry } from '../../scaling/calendar-preview.js';
import { budgetControlled, targetBudgetConfig } from '../../scaling/budget-observation.js';
import type { CalendarStore, StoredCalendarEntry } from '../../scaling/calendar-store.js';
import type { StateStore } from '../../state/state-store.js';
import { badRequestFromZod, HttpError, type ErrorDetail } from '../http-error.js';
import type { Principal } from '../token-auth.js';
import {
  calendarEntryInputSchema,
  calendarListQuerySchema,
  calendarOccurrencesQuerySchema,
  calendarPreviewRequestSchema,
  MAX_OCCURRENCES,
  MAX_RANGE_DAYS,
} from '../schemas/calendar.js';

export interface CalendarRouteDeps {
  config: PrescaleConfig;
  clock: Clock;
  calendar: CalendarStore;
  store: MetricsStore;
  state: StateStore;
  published: PublishedCache;
}

const DAY_MS = 86_400_000;
/** Default length of a range query with only `from`, and of the occurrences query: a week. */
const DEFAULT_RANGE_MS = 7 * DAY_MS;

function parse<S extends ZodTypeAny>(schema: S, value: unknown, prefix = ''): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw badRequestFromZod(result.error, prefix);
  return result.data as z.output<S>;
}

function requireBody(req: Request): unknown {
  if (req.body === undefined) throw new HttpError(400, 'bad_request', 'a JSON body is required', [{ path: '', message: 'required' }]);
  return req.body;
}

const etag = (revision: number) => `"${revision}"`;
const resource = (stored: StoredCalendarEntry) => ({ ...stored.entry, meta: stored.meta });
const author = (res: Response) => (res.locals['principal'] as Principal | undefined)?.name ?? 'anonymous';

/** An id made from the title ("Black Friday" -> "black-friday-3f9a2c1d"), unique enough not to collide. */
function generateId(title: string): string {
  const slug = title
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 48)
    .replace(/-+$/, '');
  return `${slug || 'entry'}-${randomBytes(4).toString('hex')}`;
}

function notFound(id: string): HttpError {
  return new HttpError(404, 'not_found', `no calendar entry "${id}"`, [{ path: 'id', message: 'no such entry' }]);
}

function stale(id: string, current: number, sent: string): HttpError {
  return new HttpError(
    412,
    'precondition_failed',
    `calendar entry "${id}" is at revision ${current}, not ${sent}: someone changed it since you read it; read it again and re-apply your change`,
    [{ path: 'headers.if-match', message: `current revision is ${current}` }],
    { ETag: etag(current) },
  );
}

export function mountCalendarRoutes(app: Express, deps: CalendarRouteDeps): void {
  const configured = new Set(deps.config.targets.map(targetId));
  const configuredList = () => [...configured].join(', ');

  /** Targets must be configured ones or "*": one detail per unknown target, named by its index. */
  const checkTargets = (targets: readonly string[], prefix: string) => {
    const details: ErrorDetail[] = targets.flatMap((t, i) =>
      t === '*' || configured.has(t) ? [] : [{ path: `${prefix}targets.${i}`, message: `unknown target "${t}"; configured: ${configuredList()} (or "*")` }],
    );
    if (details.length > 0) throw new HttpError(400, 'bad_request', details.map((d) => `${d.path}: ${d.message}`).join('; '), details);
  };

  /** A target filter in a query: a configured target (400 naming query.target otherwise). */
  const queryTarget = (target: string | undefined) => {
    if (target === undefined) return undefined;
    if (!configured.has(target)) throw new HttpError(400, 'bad_request', `query.target: unknown target "${target}"; configured: ${configuredList()}`, [{ path: 'query.target', message: `unknown target "${target}"` }]);
    return target;
  };

  /** [from, to) of a query: from defaults to now, to to from + a week; at most MAX_RANGE_DAYS long. */
  const range = (from: number | undefined, to: number | undefined) => {
    const start = from ?? deps.clock.now();
    const end = to ?? start + DEFAULT_RANGE_MS;
    if (end <= start) throw new HttpError(400, 'bad_request', `query.to (${new Date(end).toISOString()}) must be after from (${new Date(start).toISOString()})`, [{ path: 'query.to', message: 'must be after from' }]);
    if (end - start > MAX_RANGE_DAYS * DAY_MS) {
      throw new HttpError(400, 'bad_request', `query.to: a range may span at most ${MAX_RANGE_DAYS} days`, [{ path: 'query.to', message: `at most ${MAX_RANGE_DAYS} days after from` }]);
    }
    return { from: start, to: end };
  };

  /** The revision a write may apply to, from If-Match: one quoted revision, a list, or "*". */
  const expectedRevision = async (id: string, header: string): Promise<number> => {
    const tags = header.split(',').map((t) => t.trim()).filter(Boolean);
    const revisions = tags.flatMap((t) => {
      const match = /^"(\d{1,15})"$/.exec(t);
      return match ? [Number(match[1])] : [];
    });
    // The common case, one revision: checked atomically by the store's compare-and-set.
    if (revisions.length === 1 && tags.length === 1) return revisions[0]!;
    const current = await deps.calendar.get(id);
    if (!current) throw notFound(id);
    if (tags.includes('*') || revisions.includes(current.meta.revision)) return current.meta.revision;
    // Weak or malformed tags never match (If-Match compares strongly).
    throw stale(id, current.meta.revision, header);
  };

  app.get('/api/calendar', async (req, res) => {
    const query = parse(calendarListQuerySchema, req.query, 'query');
    let entries = await deps.calendar.listWithMeta(queryTarget(query.target));
    if (query.from !== undefined || query.to !== undefined) {
      const { from, to } = range(query.from, query.to);
      entries = entries.filter((s) => occurrencesInEffect(s.entry, from, to).length > 0);
    }
    res.json({ entries: entries.map(resource) });
  });

  app.post('/api/calendar', async (req, res) => {
    const input = parse(calendarEntryInputSchema, requireBody(req));
    checkTargets(input.targets, '');
    const entry = { ...input, id: input.id ?? generateId(input.title) };
    const result = await deps.calendar.create(entry, { author: author(res), at: deps.clock.now() });
    if (!result.ok) throw new HttpError(409, 'conflict', `a calendar entry "${entry.id}" exists: replace it with PUT /api/calendar/${entry.id}, or pick another id`, [{ path: 'id', message: 'exists' }]);
    res
      .status(201)
      .set({ ETag: etag(result.stored.meta.revision), Location: `/api/calendar/${encodeURIComponent(entry.id)}` })
      .json(resource(result.stored));
  });

  app.get('/api/calendar/occurrences', async (req, res) => {
    const query = parse(calendarOccurrencesQuerySchema, req.query, 'query');
    const target = queryTarget(query.target);
    const { from, to } = range(query.from, query.to);
    const occurrences = [];
    for (const entry of await deps.calendar.list(target)) {
      for (const o of occurrencesInEffect(entry, from, to)) {
        occurrences.push({
          entryId: entry.id,
          title: entry.title,
          targets: entry.targets,
          effect: entry.effect,
          priority: entry.priority,
          timeZone: entry.timeZone,
          start: new Date(o.start).toISOString(),
          end: new Date(o.end).toISOString(),
          localStart: DateTime.fromMillis(o.start, { zone: entry.timeZone }).toISO({ suppressMilliseconds: true })!,
          localEnd: DateTime.fromMillis(o.end, { zone: entry.timeZone }).toISO({ suppressMilliseconds: true })!,
          sortKey: o.start,
        });
        if (occurrences.length > MAX_OCCURRENCES) {
          throw new HttpError(400, 'bad_request', `query.to: more than ${MAX_OCCURRENCES} occurrences in this range: ask for a shorter one`, [{ path: 'query.to', message: `more than ${MAX_OCCURRENCES} occurrences` }]);
        }
      }
    }
    occurrences.sort((a, b) => a.sortKey - b.sortKey || (a.entryId < b.entryId ? -1 : a.entryId > b.entryId ? 1 : 0));
    res.json({ occurrences: occurrences.map(({ sortKey: _sortKey, ...o }) => o) });
  });

  app.post('/api/calendar/preview', async (req, res) => {
    const request = parse(calendarPreviewRequestSchema, requireBody(req));
    checkTargets(request.entry.targets, 'entry.');
    // An entry without an id gets one no stored entry can have ("preview" is reserved), so nothing is left out.
    const entry: CalendarEntry = parseCalendarEntry({ ...request.entry, id: request.entry.id ?? 'preview' });
    const from = deps.clock.now();
    const to = from + request.days * DAY_MS;
    const step = deps.config.step;
    const affected = entry.targets.includes('*') ? deps.config.targets : [...new Set(entry.targets)].map((t) => findTarget(deps.config, t));
    const targets = await Promise.all(
      affected.map(async (target) => {
        const id = targetId(target);
        const [points, state, model, entries, budgetState] = await Promise.all([
          deps.store.readForecast(id, from - step, to + step),
          deps.state.getScalingState(id),
          deps.state.getModelInfo(id),
          deps.calendar.list(id),
          budgetControlled(target) ? deps.state.getBudgetState(id) : null,
        ]);
        const forecast = forecastFromPoints(points, step);
        const preview = previewCalendarEntry({
          target,
          forecast,
          entries,
          entry,
          from,
          to,
          // The lead the planner used last (measured when available), else the configured start-up.
          podLeadMs: deps.published.get(id)?.podLeadMs ?? target.podStartup,
          planIntervalMs: deps.config.schedule.plan,
          calibration: state?.calibration ?? [],
          recentPeakLoad: model?.peakLoad ?? null,
          budget: budgetState ? { state: budgetState, config: targetBudgetConfig(target) } : null,
        });
        return { target: id, coveredUntil: preview.coveredUntil, forecastModel: forecast?.model ?? null, forecastIssuedAt: points[0]?.issuedAt ?? null, points: preview.points };
      }),
    );
    res.json({ from, to, stepMs: step, method: CALENDAR_PREVIEW_METHOD, targets });
  });

  app.get('/api/calendar/:id', async (req: Request<{ id: string }>, res) => {
    const stored = await deps.calendar.get(req.params.id);
    if (!stored) throw notFound(req.params.id);
    res.set('ETag', etag(stored.meta.revision)).json(resource(stored));
  });

  app.put('/api/calendar/:id', async (req: Request<{ id: string }>, res) => {
    const id = req.params.id;
    const ifMatch = req.headers['if-match'];
    if (ifMatch === undefined || ifMatch.trim() === '') {
      throw new HttpError(428, 'precondition_required', `send If-Match with the ETag you read (GET /api/calendar/${id}), so a concurrent change is not overwritten`, [
        { path: 'headers.if-match', message: 'required' },
      ]);
    }
    const input = parse(calendarEntryInputSchema, requireBody(req));
    if (input.id !== undefined && input.id !== id) throw new HttpError(400, 'bad_request', `id: the body's id "${input.id}" differs from the path's "${id}"`, [{ path: 'id', message: `must be "${id}" or absent` }]);
    checkTargets(input.targets, '');
    if (!calendarEntryObjectSchema.shape.id.safeParse(id).success) throw notFound(id);
    const expected = await expectedRevision(id, ifMatch);
    const result = await deps.calendar.replace(id, { ...input, id }, expected, { author: author(res), at: deps.clock.now() });
    if (!result.ok) throw result.reason === 'stale' ? stale(id, result.revision, ifMatch) : notFound(id);
    res.set('ETag', etag(result.stored.meta.revision)).json(resource(result.stored));
  });

  app.delete('/api/calendar/:id', async (req: Request<{ id: string }>, res) => {
    const id = req.params.id;
    const ifMatch = req.headers['if-match'];
    const expected = ifMatch === undefined || ifMatch.trim() === '' ? undefined : await expectedRevision(id, ifMatch);
    const result = await deps.calendar.delete(id, expected);
    if (!result.ok) throw result.reason === 'stale' ? stale(id, result.revision, ifMatch ?? '') : notFound(id);
    res.status(204).end();
  });
}
