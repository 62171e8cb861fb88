/**
 * The OpenAPI 3.1 document of the HTTP API, generated from the zod schemas the routes validate with (every
 * module that registers paths is imported here), served at GET /openapi.json. Built once per process.
 * Left out: the Kubernetes aggregated API (external metrics), which serves its own /openapi/v2 and /openapi/v3.
 */
import { OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import { registry } from './registry.js';
import { z } from './zod.js';
import '../schemas/targets.js';
import '../schemas/calendar.js';
import '../schemas/accuracy.js';
import '../schemas/what-if.js';
import '../schemas/keda.js';
import '../schemas/metrics.js';
import '../schemas/dashboard.js';

const readinessSchema = z
  .object({
    status: z.enum(['ready', 'degraded', 'unavailable']),
    reasons: z.array(z.string()).openapi({ example: ['InfluxDB: influxdb at 127.0.0.1:8086: cannot connect (ECONNREFUSED)'] }),
    writeBuffer: z.object({ pendingPoints: z.number().int(), pendingWrites: z.number().int(), droppedPoints: z.number().int(), maxPoints: z.number().int(), lastError: z.string().nullable(), lastErrorAt: z.number().int().nullable() }).optional(),
  })
  .openapi('Readiness');

registry.registerPath({
  method: 'get',
  path: '/healthz',
  summary: 'Liveness: the process answers (open unless api.protectOperational)',
  tags: ['operational'],
  responses: { 200: { description: 'Alive.', content: { 'application/json': { schema: z.object({ ok: z.literal(true), now: z.string().openapi({ format: 'date-time' }) }) } } } },
});
registry.registerPath({
  method: 'get',
  path: '/readyz',
  summary: 'Readiness: ready, degraded (InfluxDB trouble: still serving from Redis and memory) or unavailable (Redis down) (open unless api.protectOperational)',
  tags: ['operational'],
  responses: {
    200: { description: 'Ready, or degraded: InfluxDB does not answer or writes wait in the buffer; each reason names what is wrong, and the service keeps scaling from what Redis kept.', content: { 'application/json': { schema: readinessSchema } } },
    503: { description: 'Unavailable: Redis does not answer (the reason says how).', content: { 'application/json': { schema: readinessSchema } } },
  },
});
registry.registerPath({
  method: 'get',
  path: '/openapi.json',
  summary: 'This document',
  tags: ['operational'],
  responses: { 200: { description: 'The OpenAPI 3.1 document.', content: { 'application/json': { schema: z.object({ openapi: z.string() }).passthrough() } } } },
});

let cached: object | null = null;

export function openApiDocument(): object {
  cached ??= new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'Prescale HTTP API',
      version: '0.1.0',
      description:
        'Predictive scaling for Kubernetes: status, forecasts, decisions and the scheduled-scaling calendar. Every 4xx body is {error, message, details: [{path, message}]}. Writes need a token with the write scope, reads the read scope.',
    },
    servers: [{ url: '/' }],
  });
  return cached;
}
