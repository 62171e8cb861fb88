/**
 * OpenAPI description of GET /metrics (Prometheus text exposition, src/observability/prometheus-metrics.ts).
 * Left out: the families themselves (Prometheus' own HELP lines in the answer describe each).
 */
import { z } from '../openapi/zod.js';
import { errorResponses, registry } from '../openapi/registry.js';

registry.registerPath({
  method: 'get',
  path: '/metrics',
  summary: 'Prometheus metrics: per target, node pool and job queue (open unless api.protectOperational)',
  tags: ['operational'],
  responses: {
    200: { description: 'Prometheus text exposition format 0.0.4.', content: { 'text/plain': { schema: z.string() } } },
    ...errorResponses(401, 403),
  },
});
