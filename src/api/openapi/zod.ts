/**
 * zod with `.openapi()`: every API schema module imports `z` from here, so extendZodWithOpenApi has run before
 * any schema calls `.openapi()` (ESM evaluates this module first; calling it later fails with
 * "z.object(...).openapi is not a function"). The domain schemas (config, calendar) import plain zod: they
 * are the same zod instance, extended once here.
 */
import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';

extendZodWithOpenApi(z);

export { z };
