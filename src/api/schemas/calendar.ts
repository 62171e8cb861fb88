/**
 * The calendar API's schemas: the validators its routes run and the source of their OpenAPI description
 * (contract: notes/CALENDAR_API.md). The entry input is the calendar's own entry schema (scaling/calendar.ts)
 * with `id` optional (generated when absent) and two ids reserved for sub-routes. Checks that need the
 * config (targets must be configured ones) run in the route.
 */
import { calendarEntryObjectSchema, checkCalendarEntry } from '../../scaling/calendar.js';
import { z } from '../openapi/zod.js';
import { errorResponses, READ_ERRORS, registry, secured, WRITE_ERRORS } from '../openapi/registry.js';
import { instantParam } from './common.js';

/** Ids that would be shadowed by /api/calendar/occurrences and /api/calendar/preview. */
export const RESERVED_CALENDAR_IDS = ['occurrences', 'preview'];
/** Most days a preview looks ahead (forecasts rarely reach further; default 7). */
export const MAX_PREVIEW_DAYS = 14;
/** Longest range a list or occurrences query may span, days (a year and a month). */
export const MAX_RANGE_DAYS = 400;
/** Most occurrences one answer holds; ask for a shorter range beyond it. */
export const MAX_OCCURRENCES = 10_000;

const entryId = calendarEntryObjectSchema.shape.id.refine((id) => !RESERVED_CALENDAR_IDS.includes(id), `"occurrences" and "preview" are reserved`);

export const calendarEntryInputSchema = registry.register(
  'CalendarEntryInput',
  calendarEntryObjectSchema
    .extend({ id: entryId.optional().openapi({ description: 'Generated from the title when absent.', example: 'black-friday' }) })
    .superRefine(checkCalendarEntry)
    .openapi({
      description:
        'A calendar entry as written: targets ("namespace/name" of configured targets, or "*"), an effect, local start and end in timeZone, optional recurrence and exclusions. Unknown fields are refused.',
      example: { id: 'black-friday', targets: ['shop/web'], title: 'Black Friday', effect: { kind: 'floor', replicas: 20 }, timeZone: 'America/New_York', start: '2026-11-27T00:00', end: '2026-11-28T00:00' },
    }),
);

export const calendarMetaSchema = registry.register(
  'CalendarEntryMeta',
  z.object({
    revision: z.number().int().min(1).openapi({ description: 'Bumped by every replace; the ETag is its quoted value.' }),
    createdAt: z.string().openapi({ format: 'date-time' }),
    createdBy: z.string().openapi({ description: 'The creating token\'s name ("anonymous" without auth, "unknown" before revisions).' }),
    updatedAt: z.string().openapi({ format: 'date-time' }),
    updatedBy: z.string(),
  }),
);

export const calendarEntrySchema = registry.register(
  'CalendarEntry',
  calendarEntryObjectSchema.extend({ meta: calendarMetaSchema }).openapi({ description: 'A stored entry (defaults applied) with its meta.' }),
);

export const calendarIdParams = z.object({ id: z.string().openapi({ description: 'Entry id.', example: 'black-friday' }) });

const rangeFields = {
  target: z.string().optional().openapi({ description: 'Only entries that apply to this target ("namespace/name"), "*" entries included.', example: 'shop/web' }),
  from: instantParam.optional(),
  to: instantParam.optional(),
};
export const calendarListQuerySchema = z.object(rangeFields).strict();
export const calendarOccurrencesQuerySchema = z.object(rangeFields).strict();

const effectSchema = calendarEntryObjectSchema.shape.effect;

export const calendarOccurrenceSchema = registry.register(
  'CalendarOccurrence',
  z.object({
    entryId: z.string(),
    title: z.string(),
    targets: z.array(z.string()),
    effect: effectSchema,
    priority: z.number().int(),
    timeZone: z.string(),
    start: z.string().openapi({ description: 'UTC, ISO 8601.', example: '2026-03-29T07:00:00.000Z' }),
    end: z.string().openapi({ description: 'UTC, ISO 8601.' }),
    localStart: z.string().openapi({ description: 'Wall-clock time in the entry\'s zone with its offset.', example: '2026-03-29T09:00:00+02:00' }),
    localEnd: z.string(),
  }),
);

export const calendarPreviewRequestSchema = registry.register(
  'CalendarPreviewRequest',
  z
    .object({
      entry: calendarEntryInputSchema,
      days: z.number().int().min(1).max(MAX_PREVIEW_DAYS).default(7).openapi({ description: 'How far ahead, days.' }),
    })
    .strict(),
);

export const calendarPreviewSchema = registry.register(
  'CalendarPreview',
  z.object({
    from: z.number().int().openapi({ description: 'Epoch ms (now).' }),
    to: z.number().int().openapi({ description: 'Epoch ms (now + days).' }),
    stepMs: z.number().int().openapi({ description: 'Spacing of the points: the forecast grid step.' }),
    method: z.string().openapi({ description: 'How the planned replicas were computed and what is left out, in words.' }),
    targets: z.array(
      z.object({
        target: z.string(),
        coveredUntil: z.number().int().nullable().openapi({ description: 'Epoch ms up to which the forecast allows a plan (points stop there); null without a forecast.' }),
        forecastModel: z.string().nullable(),
        forecastIssuedAt: z.number().int().nullable(),
        points: z.array(
          z.object({
            time: z.number().int(),
            without: z.number().int().openapi({ description: 'Planned replicas with the calendar as stored, minus any entry with this id.' }),
            with: z.number().int().openapi({ description: 'Planned replicas with this entry added.' }),
          }),
        ),
      }),
    ),
  }),
);

const json = (schema: z.ZodTypeAny, description: string) => ({ content: { 'application/json': { schema } }, description });
const etagHeader = z.object({ ETag: z.string().openapi({ description: 'The revision, quoted: "3".' }) });
const tags = ['calendar'];

registry.registerPath({
  method: 'get',
  path: '/api/calendar',
  summary: 'List entries, all or those for a target; with from/to only those with an occurrence overlapping [from, to)',
  tags,
  security: secured,
  request: { query: calendarListQuerySchema },
  responses: { 200: json(z.object({ entries: z.array(calendarEntrySchema) }), 'Entries sorted by id.'), ...errorResponses(...READ_ERRORS) },
});
registry.registerPath({
  method: 'post',
  path: '/api/calendar',
  summary: 'Create an entry',
  tags,
  security: secured,
  request: { body: { required: true, content: { 'application/json': { schema: calendarEntryInputSchema } } } },
  responses: {
    201: { ...json(calendarEntrySchema, 'Created at revision 1.'), headers: etagHeader.extend({ Location: z.string().openapi({ description: '/api/calendar/{id}' }) }) },
    ...errorResponses(...WRITE_ERRORS, 409),
  },
});
registry.registerPath({
  method: 'get',
  path: '/api/calendar/occurrences',
  summary: 'Occurrences of every entry (or a target\'s) overlapping [from, to), in UTC and local time',
  description: `from defaults to now, to to from + 7 days; at most ${MAX_RANGE_DAYS} days and ${MAX_OCCURRENCES} occurrences. Exclusion periods are cut out (an occurrence may come back in two parts); occurrences are not clipped to the range.`,
  tags,
  security: secured,
  request: { query: calendarOccurrencesQuerySchema },
  responses: { 200: json(z.object({ occurrences: z.array(calendarOccurrenceSchema) }), 'Sorted by start, then entry id.'), ...errorResponses(...READ_ERRORS) },
});
registry.registerPath({
  method: 'post',
  path: '/api/calendar/preview',
  summary: 'Planned replicas of each affected target over the next days, with and without an entry (stores nothing; needs the read scope)',
  tags,
  security: secured,
  request: { body: { required: true, content: { 'application/json': { schema: calendarPreviewRequestSchema } } } },
  responses: { 200: json(calendarPreviewSchema, 'The preview.'), ...errorResponses(...READ_ERRORS, 413, 415) },
});
registry.registerPath({
  method: 'get',
  path: '/api/calendar/{id}',
  summary: 'Read an entry',
  tags,
  security: secured,
  request: { params: calendarIdParams },
  responses: { 200: { ...json(calendarEntrySchema, 'The entry.'), headers: etagHeader }, ...errorResponses(...READ_ERRORS, 404) },
});
registry.registerPath({
  method: 'put',
  path: '/api/calendar/{id}',
  summary: 'Replace an entry at the revision named by If-Match',
  tags,
  security: secured,
  request: {
    params: calendarIdParams,
    headers: z.object({ 'if-match': z.string().openapi({ description: 'The ETag read ("3"), or * for whatever is current.', example: '"3"' }) }),
    body: { required: true, content: { 'application/json': { schema: calendarEntryInputSchema } } },
  },
  responses: { 200: { ...json(calendarEntrySchema, 'Replaced; revision + 1.'), headers: etagHeader }, ...errorResponses(...WRITE_ERRORS, 404, 412, 428) },
});
registry.registerPath({
  method: 'delete',
  path: '/api/calendar/{id}',
  summary: 'Delete an entry (at the revision named by If-Match when sent)',
  tags,
  security: secured,
  request: { params: calendarIdParams, headers: z.object({ 'if-match': z.string().optional().openapi({ example: '"3"' }) }) },
  responses: { 204: { description: 'Deleted.' }, ...errorResponses(...WRITE_ERRORS, 404, 412) },
});
