/**
 * Schemas and OpenAPI paths of the what-if routes (src/api/routes/what-if.ts): the request body validator
 * the POST runs, and the documented answers (not re-validated at run time; src/what-if/what-if.ts builds
 * them).
 */
import { WHAT_IF_DAYS } from '../../what-if/what-if.js';
import { z } from '../openapi/zod.js';
import { errorResponses, READ_ERRORS, registry, secured, WRITE_ERRORS } from '../openapi/registry.js';
import { targetPathParams } from './common.js';

export const whatIfBodySchema = registry.register(
  'WhatIfRequest',
  z
    .object({
      days: z
        .number()
        .int()
        .min(WHAT_IF_DAYS.min)
        .max(WHAT_IF_DAYS.max)
        .default(WHAT_IF_DAYS.default)
        .openapi({ description: `Replay the last N days of stored load (${WHAT_IF_DAYS.min}-${WHAT_IF_DAYS.max}, default ${WHAT_IF_DAYS.default}).`, example: 3 }),
    })
    .strict(),
);

const policyLine = z.object({
  ready: z.array(z.number().int()).openapi({ description: 'Ready replicas, the minimum of each bucket.' }),
  desired: z.array(z.number().int()).openapi({ description: 'Replicas asked for (Ready or starting), the maximum of each bucket.' }),
});

export const whatIfResultSchema = registry.register(
  'WhatIfResult',
  z.object({
    id: z.string(),
    target: z.string(),
    days: z.number().int(),
    fromMs: z.number().int().openapi({ description: 'Replayed span [fromMs, toMs), epoch ms.' }),
    toMs: z.number().int(),
    dataStepMs: z.number().int().openapi({ description: 'Grid step of the stored load.' }),
    settings: z
      .object({
        capacityPerReplica: z.number(),
        targetUtilization: z.number(),
        minReplicas: z.number().int(),
        maxReplicas: z.number().int(),
        quantile: z.number(),
        underProvisionedBudget: z.number().optional().openapi({ description: "The target's error budget the prescale policy spent; absent where targets[].quantile overrides it." }),
        podStartupMs: z.number(),
        nodeStartupMs: z.number(),
        planEveryMs: z.number(),
        forecastEveryMs: z.number(),
        retrainEveryMs: z.number(),
        historyMs: z.number(),
      })
      .openapi({ description: "The target's sizing and lead times and the service's schedule the replay used." }),
    policies: z.array(
      z.object({
        policy: z.enum(['prescale', 'hpa', 'oracle']),
        minutes: z.number().int(),
        underProvisionedMinutes: z.number().int().openapi({ description: 'Minutes with demand above the capacity of Ready replicas.' }),
        replicaHours: z.number().openapi({ description: 'Replicas asked for, summed over minutes / 60.' }),
        slack: z.number().openapi({ description: '1 - served load / capacity of Ready replicas, 0..1.' }),
        nodeHours: z.number(),
      }),
    ),
    lines: z
      .object({
        bucketMs: z.number().int(),
        times: z.array(z.number().int()),
        demand: z.array(z.number()).openapi({ description: 'Load, the maximum of each bucket.' }),
        capacityPerReplica: z.number(),
        replicas: z.record(z.string(), policyLine),
      })
      .openapi({ description: 'Capacity lines downsampled to at most 2,000 points (worst case per bucket).' }),
    computedAt: z.number().int(),
    wallMs: z.number(),
  }),
);

export const whatIfStatusSchema = registry.register(
  'WhatIfStatus',
  z.object({
    id: z.string().openapi({ description: '<namespace>_<name>_<days>d_<data end ms>: the same while the data has not moved on a step.', example: 'shop_web_3d_1795770000000' }),
    status: z.enum(['queued', 'running', 'done', 'failed']),
    progress: z.number().min(0).max(1),
    result: whatIfResultSchema.optional(),
    error: z.string().optional(),
  }),
);

const json = (description: string) => ({ description, content: { 'application/json': { schema: whatIfStatusSchema } } });

registry.registerPath({
  method: 'post',
  path: '/api/targets/{namespace}/{name}/what-if',
  summary: "Replay the target's stored load of the last N days under the prescale, HPA and oracle policies (a job)",
  description: 'Answers at once from the cache when the same run (target, days, end of the data on the grid) is done; otherwise queues it (or joins the queued one) in the worker role.',
  tags: ['targets'],
  security: secured,
  request: { params: targetPathParams, body: { required: false, content: { 'application/json': { schema: whatIfBodySchema } } } },
  responses: {
    200: json('Cached: status done with the result.'),
    202: json('Queued or running; poll GET .../what-if/{id}.'),
    ...errorResponses(...WRITE_ERRORS, 404, 409),
  },
});
registry.registerPath({
  method: 'get',
  path: '/api/targets/{namespace}/{name}/what-if/{id}',
  summary: 'A what-if run: status, progress and, when done, the result',
  tags: ['targets'],
  security: secured,
  request: { params: targetPathParams.extend({ id: z.string() }) },
  responses: { 200: json('The run.'), ...errorResponses(...READ_ERRORS, 404) },
});
