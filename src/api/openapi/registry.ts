/**
 * The one OpenAPI registry: schema modules (src/api/schemas/*) register their components and the paths they
 * document when imported; document.ts turns it into the OpenAPI 3.1 document served at /openapi.json.
 *
 * To document a new route: register it here with `registry.registerPath` in the module that holds its zod
 * schemas (validate requests with those same schemas), and import that module from document.ts. The OpenAPI
 * test fails for any route the app serves under /api that the document does not list.
 */
import { OpenAPIRegistry, type ResponseConfig } from '@asteasolutions/zod-to-openapi';
import { z } from './zod.js';

export const registry = new OpenAPIRegistry();

/** Bearer tokens (config api.tokens) with read and write scopes. */
export const bearerAuth = registry.registerComponent('securitySchemes', 'bearer', {
  type: 'http',
  scheme: 'bearer',
  description: 'A token from api.tokens (config or a mounted secret file). Reads need the read scope, writes the write scope. Without configured tokens the API is open.',
});

/** The body of every 4xx (and 5xx): see src/api/http-error.ts. */
export const errorBodySchema = registry.register(
  'Error',
  z
    .object({
      error: z.string().openapi({ description: 'Stable machine code: bad_request, unauthorized, forbidden, not_found, conflict, precondition_failed, precondition_required, payload_too_large, unsupported_media_type, too_many_requests, unavailable, internal', example: 'bad_request' }),
      message: z.string().openapi({ description: 'What is wrong and what to fix, for people.' }),
      details: z
        .array(
          z.object({
            path: z.string().openapi({ description: 'The field at fault, dotted ("effect.replicas", "targets.0", "query.from", "headers.if-match"); "" for the request as a whole.' }),
            message: z.string(),
          }),
        )
        .openapi({ description: 'One item per offending field.' }),
    })
    .openapi({ description: 'Error body: every 4xx and 5xx.' }),
);

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'Bad input: malformed JSON, wrong types, unknown fields, absurd values; details name each field.',
  401: 'Missing or unknown bearer token.',
  403: 'The token lacks the scope this route needs.',
  404: 'No such entry, target or route.',
  409: 'An entry with this id exists.',
  412: 'If-Match names a revision that is no longer current.',
  413: 'The request body is larger than api.bodyLimitBytes.',
  415: 'The request body is not application/json.',
  428: 'If-Match is required.',
  429: 'Too many writes from this client; see Retry-After.',
  503: 'A backing service (Redis, InfluxDB) did not answer; retry.',
};

/** Responses for the given error statuses, each with the error body. */
export function errorResponses(...statuses: number[]): Record<string, ResponseConfig> {
  const responses: Record<string, ResponseConfig> = {};
  for (const status of statuses) {
    responses[String(status)] = { description: ERROR_DESCRIPTIONS[status] ?? 'Error.', content: { 'application/json': { schema: errorBodySchema } } };
  }
  return responses;
}

/** The errors any authenticated /api route may answer with. */
export const READ_ERRORS = [400, 401, 403, 503] as const;
export const WRITE_ERRORS = [400, 401, 403, 413, 415, 429, 503] as const;

/** Security requirement of an /api route. */
export const secured = [{ [bearerAuth.name]: [] }];
