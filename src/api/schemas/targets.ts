/**
 * Schemas and OpenAPI paths of the read routes that existed before the calendar API: /api/status and a
 * target's forecast, load and decisions (routes in create-app.ts). The range query is the validator those
 * routes run; the response schemas document what the stores return (they are not re-validated at run time).
 */
import { z } from '../openapi/zod.js';
import { errorResponses, READ_ERRORS, registry, secured } from '../openapi/registry.js';
import { epochMsParam, targetPathParams } from './common.js';

/** ?from&to in epoch ms, each optional (every route has its own default window). */
export const rangeQuerySchema = z
  .object({
    from: epochMsParam.optional(),
    to: epochMsParam.optional(),
  })
  .strict();

const forecastPointSchema = registry.register(
  'ForecastPoint',
  z.object({
    time: z.number().int().openapi({ description: 'Epoch ms the step starts at.' }),
    mean: z.number(),
    lo80: z.number().optional(),
    hi80: z.number().optional(),
    lo95: z.number().optional(),
    hi95: z.number().optional(),
    model: z.string().openapi({ example: 'ets(A,Ad,A)[288]' }),
    issuedAt: z.number().int().openapi({ description: 'Epoch ms the forecast was made.' }),
  }),
);

export const scalingDecisionSchema = registry.register(
  'ScalingDecision',
  z.object({
    target: z.string(),
    time: z.number().int(),
    mode: z.enum(['predictive', 'reactive', 'forecast-only', 'learning']),
    loop: z.enum(['plan', 'reactive']).optional(),
    rule: z.string().openapi({ description: 'The rule that decided, in words.' }),
    previousReplicas: z.number().int(),
    desiredReplicas: z.number().int(),
    applied: z.boolean(),
    nodePool: z.string().optional(),
    previousNodes: z.number().int().optional(),
    desiredNodes: z.number().int().optional(),
    budget: z
      .object({
        budget: z.number().openapi({ description: 'targets[].underProvisionedBudget: the share of minutes allowed short of capacity.', example: 0.001 }),
        windowMs: z.number().openapi({ description: 'targets[].budgetWindow, ms.' }),
        spent: z.number().openapi({ description: 'Minutes short of capacity in the window so far, as a share of the window\'s minutes.' }),
        left: z.number().openapi({ description: 'budget - spent (negative once overspent).' }),
      })
      .optional()
      .openapi({ description: 'The error budget as this tick left it; absent where targets[].quantile overrides it, and in older records.' }),
    inputs: z.record(z.string(), z.number()),
    notes: z.string().optional(),
  }),
);

const modelInfoSchema = z
  .object({
    target: z.string(),
    kind: z.string(),
    description: z.string(),
    version: z.number().int(),
    trainedAt: z.number().int(),
    trainedUntil: z.number().int(),
    scores: z.record(z.string(), z.record(z.string(), z.number())),
    backtestMase: z.number().optional(),
    naiveMase: z.number().optional(),
    historyDays: z.number(),
    requiredHistoryDays: z.number(),
    peakLoad: z.number().optional(),
    notes: z.array(z.string()),
    deep: z
      .object({
        state: z.enum(['queued', 'training', 'trained', 'skipped', 'failed']),
        reason: z.string().openapi({ description: 'Why skipped or failed; how it ended when trained (the champion, the budget).' }),
        at: z.number().int().openapi({ description: 'Logical time of the Holt-Winters training it follows (epoch ms).' }),
        updatedAt: z.number().int(),
        budgetSeconds: z.number().openapi({ description: 'forecasting.deepBudget, seconds.' }),
        progress: z.number().optional(),
        seconds: z.number().optional(),
        stoppedByBudget: z.boolean().optional(),
        lstmMase: z.number().optional().openapi({ description: "The LSTM's validation MASE (same rolling origins as the others)." }),
        scores: z.record(z.string(), z.number()).optional().openapi({ description: 'Validation MASE of every candidate: Holt-Winters, seasonal naive, the LSTM, their combinations.' }),
        champion: z.string().optional(),
        version: z.number().int().optional(),
      })
      .optional()
      .openapi({ description: "The LSTM's training after the Holt-Winters one (config forecasting.deep)." }),
  })
  .passthrough();

export const statusSchema = registry.register(
  'Status',
  z
    .object({
      now: z.number().int(),
      time: z.string().openapi({ format: 'date-time' }),
      targets: z.array(
        z
          .object({
            id: z.string().openapi({ example: 'shop/web' }),
            mode: z.string(),
            workload: z.object({ desiredReplicas: z.number().int(), readyReplicas: z.number().int(), rolloutInProgress: z.boolean() }).passthrough(),
            model: modelInfoSchema.nullable(),
            budget: z
              .object({
                control: z.enum(['budget', 'quantile']).openapi({ description: 'budget: the error-budget controller sizes the target; quantile: targets[].quantile overrides it (the controller is off).' }),
                quantile: z.number().openapi({ description: 'The forecast quantile sized for, percent (with budget control, the base the multiplier applies to).' }),
                budget: z.number().optional().openapi({ description: 'targets[].underProvisionedBudget: share of minutes allowed short of capacity.' }),
                windowMs: z.number().optional(),
                spent: z.number().optional().openapi({ description: 'Share of the minutes observed in the window that ran short of capacity.' }),
                left: z.number().optional().openapi({ description: 'budget - spent (negative once overspent).' }),
                multiplier: z.number().optional().openapi({ description: 'What the planner multiplies the forecast load by now.' }),
                reason: z.string().optional(),
              })
              .passthrough(),
            // A union, not .nullable(): zod-to-openapi 7 writes a nullable $ref as allOf [$ref, {type: [object, null]}], which null fails.
            lastDecision: z.union([scalingDecisionSchema, z.null()]),
          })
          .passthrough(),
      ),
      nodePools: z.array(z.object({ name: z.string(), desiredNodes: z.number().int(), readyNodes: z.number().int(), pendingPods: z.number().int() }).passthrough()),
    })
    .passthrough()
    .openapi({ description: 'Every target and node pool now; extra facts (a demo\'s replay progress) may be added.' }),
);

const forecastResponseSchema = registry.register('ForecastResponse', z.object({ target: z.string(), from: z.number().int(), to: z.number().int(), points: z.array(forecastPointSchema) }));
const loadResponseSchema = registry.register(
  'LoadResponse',
  z.object({ target: z.string(), startMs: z.number().int(), stepMs: z.number().int(), values: z.array(z.number().nullable()).openapi({ description: 'values[i] is at startMs + i * stepMs; null where no sample.' }) }),
);
const decisionsResponseSchema = registry.register('DecisionsResponse', z.object({ target: z.string(), decisions: z.array(scalingDecisionSchema) }));

const json = (schema: z.ZodTypeAny, description: string) => ({ description, content: { 'application/json': { schema } } });
const targetRoute = (suffix: string, summary: string, schema: z.ZodTypeAny, window: string) =>
  registry.registerPath({
    method: 'get',
    path: `/api/targets/{namespace}/{name}/${suffix}`,
    summary,
    description: `?from and ?to in epoch ms; default window ${window}.`,
    tags: ['targets'],
    security: secured,
    request: { params: targetPathParams, query: rangeQuerySchema },
    responses: { 200: json(schema, summary), ...errorResponses(...READ_ERRORS, 404) },
  });

registry.registerPath({
  method: 'get',
  path: '/api/status',
  summary: 'Every target\'s mode, workload, model and last decision; node pools',
  tags: ['status'],
  security: secured,
  responses: { 200: json(statusSchema, 'Status now.'), ...errorResponses(401, 403, 503) },
});
targetRoute('forecast', 'The latest forecast with its 80% and 95% bounds', forecastResponseSchema, 'now .. now + horizon');
targetRoute('load', 'Observed load on the configured grid step', loadResponseSchema, 'the last 24 h');
targetRoute('decisions', 'Scaling decisions (the decision log)', decisionsResponseSchema, 'the last hour');
