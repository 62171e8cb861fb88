/**
 * Small schemas the API's routes share: instants in query strings and target paths. Each is the validator
 * the route runs and the source of its OpenAPI description.
 */
import { z } from '../openapi/zod.js';

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/;

/** An instant in a query string: epoch milliseconds, or an ISO 8601 date-time with Z or an offset (a bare date is UTC midnight). */
export const instantParam = z
  .string()
  .transform((text, ctx) => {
    const ms = /^-?\d{1,15}$/.test(text) ? Number(text) : ISO_INSTANT.test(text) ? Date.parse(text.length === 10 ? `${text}T00:00:00Z` : text) : NaN;
    if (!Number.isFinite(ms)) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: `expected epoch milliseconds or an ISO date-time with Z or an offset, like "2026-11-27T09:00:00Z"; got "${text}"` });
      return z.NEVER;
    }
    return ms;
  })
  .openapi({ type: 'string', description: 'Epoch milliseconds, or an ISO 8601 date-time with Z or an offset.', example: '2026-11-27T09:00:00Z' });

/** Epoch milliseconds in a query string (the target routes). */
export const epochMsParam = z.coerce.number().int().openapi({ type: 'integer', description: 'Epoch milliseconds.', example: 1795770000000 });

/** A target in a path: /api/targets/{namespace}/{name}/... */
export const targetPathParams = z.object({
  namespace: z.string().openapi({ description: 'The target\'s namespace.', example: 'shop' }),
  name: z.string().openapi({ description: 'The target\'s name.', example: 'web' }),
});
