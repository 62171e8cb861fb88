/**
 * The KEDA metrics-api answer (GET /api/keda/{namespace}/{name}): its zod schema, the source of its OpenAPI
 * description and what the route's tests validate answers against. KEDA reads one number from it with the
 * trigger's `valueLocation` (a GJSON path: `plannedReplicas`, `hpaReplicas`, `predictedLoad.ahead.quantile`).
 */
import { z } from '../openapi/zod.js';
import { errorBodySchema, errorResponses, registry, secured } from '../openapi/registry.js';
import { targetPathParams } from './common.js';

const predictedLoadPoint = z
  .object({
    at: z.string().openapi({ format: 'date-time', description: 'Start of the forecast step the value was read from.' }),
    median: z.number().openapi({ description: 'Forecast median, in the target\'s load units.' }),
    quantile: z.number().openapi({ description: 'Forecast at the planning quantile, in the target\'s load units.' }),
  })
  .nullable()
  .openapi({ description: 'null when no forecast covered this instant (a GJSON path to it then finds no number, and KEDA counts a failed read).' });

export const kedaValueSchema = registry.register(
  'KedaValue',
  z
    .object({
      target: z.string().openapi({ example: 'shop/web' }),
      plannedReplicas: z.number().int().openapi({ description: 'Replicas the latest plan wants now. With `metricType: AverageValue`, `targetValue: "1"`, KEDA\'s HPA lands on it (outside its tolerance).', example: 12 }),
      hpaReplicas: z.number().openapi({
        description:
          'plannedReplicas adjusted for the HPA tolerance (config externalMetrics.hpaTolerance, Kubernetes\' default 0.1), exactly as the external metric prescale-planned-replicas publishes it: a one-replica step is never swallowed (a step up may overshoot by one). Equal to plannedReplicas when the tolerance is 0.',
        example: 12,
      }),
      desiredReplicas: z.number().int().openapi({ description: 'spec.replicas when the plan was made.' }),
      readyReplicas: z.number().int().openapi({ description: 'Ready replicas when the plan was made.' }),
      predictedLoad: z.object({
        quantile: z.number().openapi({ description: 'The planning quantile, percent (targets[].quantile).', example: 98 }),
        now: predictedLoadPoint,
        ahead: predictedLoadPoint.openapi({ description: 'One pod start-up lead after the plan tick.' }),
      }),
      mode: z.string().openapi({ description: 'predictive, reactive, learning, forecast-only or conflict.', example: 'predictive' }),
      actuation: z.enum(['direct', 'hpa', 'keda']),
      at: z.string().openapi({ format: 'date-time', description: 'The plan tick the values come from.' }),
      ageSeconds: z.number().openapi({ description: 'Seconds since that tick.' }),
      staleAfterSeconds: z.number().openapi({ description: 'Older plans are not served (503): the planner has stopped publishing.' }),
    })
    .openapi({ description: 'The latest published plan of one target, for KEDA\'s metrics-api scaler.' }),
);

registry.registerPath({
  method: 'get',
  path: '/api/keda/{namespace}/{name}',
  summary: 'The planned replicas of a target, for KEDA\'s metrics-api scaler',
  description:
    'Served from memory (the published plans every API replica keeps). Use `authModes: bearer` with a read-scoped token. Any answer but 200 is a failed read for KEDA: after `fallback.failureThreshold` of them its `fallback.replicas` apply; without a fallback the HPA keeps its replicas.',
  tags: ['keda'],
  security: secured,
  request: { params: targetPathParams },
  responses: {
    200: { description: 'The plan.', content: { 'application/json': { schema: kedaValueSchema } } },
    ...errorResponses(401, 403, 404),
    503: { description: 'No plan published yet for this target, or the latest is older than staleAfterSeconds.', content: { 'application/json': { schema: errorBodySchema } } },
  },
});
