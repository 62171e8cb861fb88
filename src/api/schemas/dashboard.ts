/**
 * Schemas and OpenAPI paths of the dashboard's data routes (src/api/routes/dashboard-data.ts): the range query
 * the routes validate with, and the answers' shape. The answers are documented at their top level (the
 * dashboard's browser code imports the route's TypeScript types, which are the exact contract); they are not
 * re-validated at run time.
 */
import { z } from '../openapi/zod.js';
import { errorResponses, READ_ERRORS, registry, secured } from '../openapi/registry.js';
import { targetPathParams } from './common.js';

const HOUR = 3_600_000;
/** Longest range one request may ask for (the range picker's longest choice is 7 days). */
export const MAX_RANGE_MS = 31 * 24 * HOUR;

const ms = (description: string) => z.coerce.number().int().min(0).optional().openapi({ type: 'integer', description });

/** Either an absolute range (from, to) or one relative to the server's clock (back, ahead): not both. */
export const dashboardRangeQuery = z
  .object({
    from: ms('Start, epoch ms.'),
    to: ms('End, epoch ms.'),
    // Relative to the server's clock (a replay runs on its own), so the page need not ask /api/status first.
    back: z.coerce.number().int().min(0).max(MAX_RANGE_MS).optional().openapi({ type: 'integer', description: 'Milliseconds before the server\'s now.' }),
    ahead: z.coerce.number().int().min(0).max(MAX_RANGE_MS).optional().openapi({ type: 'integer', description: 'Milliseconds after the server\'s now.' }),
  })
  .strict();

const columns = z.object({}).passthrough().openapi({ description: 'A series on a regular grid ({startMs, stepMs, values}) or forecast columns ({time, mean, lo80, hi80, lo95, hi95, issuedAt}).' });

const targetPage = registry.register(
  'DashboardTarget',
  z
    .object({
      target: z.string().openapi({ example: 'shop/web' }),
      now: z.number().int(),
      from: z.number().int(),
      to: z.number().int(),
      stepMs: z.number().int(),
      leadMs: z.number().int().openapi({ description: 'The pod lead the past forecasts are taken at (as issued this long before each step).' }),
      capacityPerReplica: z.number(),
      mode: z.string(),
      actuation: z.enum(['direct', 'hpa', 'keda']),
      load: columns,
      needed: z.array(z.number().nullable()).openapi({ description: 'Replicas the actual load needed, per step.' }),
      forecastAsIssued: columns,
      forecastAhead: columns,
      replicas: columns,
      planned: z.array(z.object({}).passthrough()),
      underProvisioned: z.array(z.object({ start: z.number().int(), end: z.number().int(), missing: z.number() })),
      decisions: z.array(z.object({}).passthrough()),
      decisionsTruncated: z.boolean(),
      nodePool: z.object({}).passthrough().nullable(),
    })
    .openapi({ description: 'Everything the target page draws, in one answer.' }),
);

const overview = registry.register(
  'DashboardOverview',
  z.object({
    now: z.number().int(),
    from: z.number().int(),
    to: z.number().int(),
    targets: z.array(z.object({ id: z.string(), mode: z.string(), actuation: z.string(), sparkline: columns, replicas: z.object({}).passthrough(), lastDecision: z.object({}).passthrough().nullable() }).passthrough()),
    nodePools: z.array(z.object({ name: z.string() }).passthrough()),
  }),
);

registry.registerPath({
  method: 'get',
  path: '/api/dashboard/targets/{namespace}/{name}',
  summary: 'The dashboard\'s target page: load against the forecast as issued one pod lead earlier and ahead, replicas planned/desired/Ready and needed, under-provisioned spans, decisions, node pool',
  tags: ['dashboard'],
  security: secured,
  request: { params: targetPathParams, query: dashboardRangeQuery },
  responses: { 200: { description: 'Default range: 24 h back, 6 h ahead.', content: { 'application/json': { schema: targetPage } } }, ...errorResponses(...READ_ERRORS, 404) },
});

registry.registerPath({
  method: 'get',
  path: '/api/dashboard/overview',
  summary: 'The dashboard\'s overview: every target with a load sparkline, mode, replicas and last change; node pools',
  tags: ['dashboard'],
  security: secured,
  request: { query: dashboardRangeQuery },
  responses: { 200: { description: 'Default range: the last 24 h.', content: { 'application/json': { schema: overview } } }, ...errorResponses(...READ_ERRORS) },
});
