/**
 * Schema and OpenAPI path of `GET /api/targets/{namespace}/{name}/accuracy` (src/api/routes/accuracy.ts): the
 * live accuracy the accuracy job keeps in shared state. Documents the answer; it is not re-validated at run
 * time. The definitions (scale, windows, coverage) are src/accuracy/live-accuracy.ts's.
 */
import { z } from '../openapi/zod.js';
import { errorResponses, READ_ERRORS, registry, secured } from '../openapi/registry.js';
import { targetPathParams } from './common.js';

const ratio = (description: string) => z.number().min(0).max(1).nullable().openapi({ description });

export const liveAccuracyWindowSchema = registry.register(
  'LiveAccuracyWindow',
  z
    .object({
      from: z.number().int().openapi({ description: 'Window start, epoch ms, on the grid.' }),
      to: z.number().int().openapi({ description: 'Window end (exclusive): the end of the last complete step.' }),
      expected: z.number().int().openapi({ description: 'Grid steps in the window.' }),
      points: z.number().int().openapi({ description: 'Steps scored: with an actual load and a forecast issued at least one pod lead before the step.' }),
      mae: z.number().nullable().openapi({ description: 'Mean absolute error, load units; null when nothing was scored.' }),
      mase: z.number().nullable().openapi({ description: 'MAE / scale. Below 1: better than the seasonal naive forecast was in-sample.' }),
      naiveMase: z.number().nullable().openapi({ description: 'The seasonal naive forecast (same step a day earlier) scored on the same steps and scale, for comparison.' }),
      coverage80: ratio('Share of scored steps whose actual load lies inside the 80% interval (nominal 0.8).'),
      coverage95: ratio('Share inside the 95% interval (nominal 0.95).'),
      scale: z.number().nullable().openapi({ description: 'The MASE denominator: in-sample seasonal naive MAE (season one day) over [scaleFrom, scaleTo), the training history (config history) before the window.' }),
      scaleFrom: z.number().int(),
      scaleTo: z.number().int(),
    })
    .openapi({ description: 'Accuracy of the forecasts that drove scaling over one window.' }),
);

export const accuracyResponseSchema = registry.register(
  'AccuracyResponse',
  z.object({
    target: z.string().openapi({ example: 'shop/web' }),
    computedAt: z.number().int().nullable().openapi({ description: 'Epoch ms of the accuracy job run; null before its first run (windows null too).' }),
    leadMs: z.number().int().nullable().openapi({ description: 'The pod lead the forecasts were taken at: each step is scored against the forecast issued at least this long before it.' }),
    stepMs: z.number().int(),
    seasonSteps: z.number().int().openapi({ description: 'Season of the seasonal naive scale, in steps (one day).' }),
    windows: z.object({ '24h': liveAccuracyWindowSchema.nullable(), '7d': liveAccuracyWindowSchema.nullable() }),
  }),
);

registry.registerPath({
  method: 'get',
  path: '/api/targets/{namespace}/{name}/accuracy',
  summary: 'Live accuracy: rolling MASE and 80% / 95% interval coverage of the forecasts as issued one pod lead ahead, over the last 24 h and 7 d',
  description: 'Computed by the accuracy job (schedule.accuracy, default every 5 minutes) from stored forecasts and actual load.',
  tags: ['targets'],
  security: secured,
  request: { params: targetPathParams },
  responses: { 200: { description: 'The latest computation.', content: { 'application/json': { schema: accuracyResponseSchema } } }, ...errorResponses(...READ_ERRORS, 404) },
});
