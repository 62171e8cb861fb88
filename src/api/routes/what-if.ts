/**
 * What-if runs of a target (src/what-if/): replay its own stored load of the last N days under the prescale,
 * HPA and oracle policies in the worker role, and read the result.
 *
 * - `POST /api/targets/:namespace/:name/what-if` body `{days?: 1..14}` (default 3; write scope):
 *   202 `{id, status: "queued"|"running", progress}` for a new or joined run, 200 `{id, status: "done",
 *   progress: 1, result}` when the same run (target, days, data end) is cached; 400 bad body; 404 unknown
 *   target; 409 `no_data` when no load is stored in the window.
 * - `GET /api/targets/:namespace/:name/what-if/:id` (read scope): `{id, status, progress, result?, error?}`;
 *   404 for an id that is not a run of this target or is long gone.
 *
 * Thin: the service (src/what-if/what-if-service.ts) owns ids, cache and queue. The app parses the JSON body
 * and checks scopes on /api (src/api/http-middleware.ts). Left out: listing runs.
 */
import { Router, type Request } from 'express';
import type { PrescaleConfig } from '../../config/schema.js';
import { findTarget } from '../../config/targets.js';
import type { WhatIfService } from '../../what-if/what-if-service.js';
import { badRequestFromZod, HttpError } from '../http-error.js';
import { whatIfBodySchema } from '../schemas/what-if.js';

export interface WhatIfRouteDeps {
  config: PrescaleConfig;
  /** Absent when this process has no Redis queue for it: the routes answer 503. */
  whatIf?: WhatIfService | undefined;
}

type TargetParams = { namespace: string; name: string };

export function whatIfRoutes(deps: WhatIfRouteDeps): Router {
  const router = Router();
  const service = (): WhatIfService => {
    if (!deps.whatIf) throw new HttpError(503, 'unavailable', 'what-if runs are not available in this process (no job queue configured)');
    return deps.whatIf;
  };

  router.post('/api/targets/:namespace/:name/what-if', async (req: Request<TargetParams>, res) => {
    const target = findTarget(deps.config, `${req.params.namespace}/${req.params.name}`);
    // A missing body (no JSON sent) means all defaults.
    const parsed = whatIfBodySchema.safeParse(req.body ?? {});
    if (!parsed.success) throw badRequestFromZod(parsed.error, 'body');
    const answer = await service().request(target, parsed.data.days);
    if (!answer) {
      throw new HttpError(409, 'no_data', `no load of ${target.namespace}/${target.name} is stored in the last ${parsed.data.days} day(s): nothing to replay`, [
        { path: 'body.days', message: 'no stored load in this window' },
      ]);
    }
    res.status(answer.cached ? 200 : 202).json(answer.status);
  });

  router.get('/api/targets/:namespace/:name/what-if/:id', async (req: Request<TargetParams & { id: string }>, res) => {
    const target = findTarget(deps.config, `${req.params.namespace}/${req.params.name}`);
    const status = await service().get(target, req.params.id);
    if (!status) throw new HttpError(404, 'not_found', `no what-if run "${req.params.id}" for ${target.namespace}/${target.name}`, [{ path: 'params.id', message: 'unknown run' }]);
    res.json(status);
  });
  return router;
}
