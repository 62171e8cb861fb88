/**
 * `GET /api/keda/{namespace}/{name}`: a target's latest published plan as the JSON that KEDA's `metrics-api`
 * scaler reads. KEDA takes one number from it at the trigger's `valueLocation` (GJSON), as a JSON number or a
 * quantity string, and compares it with `targetValue` (AverageValue by default): `plannedReplicas` with
 * `targetValue: "1"` makes KEDA's HPA want exactly the plan, like KEDA's own cron scaler.
 *
 * Read from the in-memory published plans only (the HPA that KEDA feeds polls every 15 s per ScaledObject,
 * and KEDA users hit timeouts when values were computed per request). KEDA treats every status but 200 as a
 * failed read (pkg/scalers/metrics_api_scaler.go), so:
 *  - unknown target: 404 (a wrong `url` in the ScaledObject: fix it);
 *  - no plan yet, or one older than externalMetrics.staleAfter (three plan periods by default, the same limit
 *    as the external metrics API): 503. KEDA counts a failure; past `fallback.failureThreshold` its
 *    `fallback.replicas` apply, without a fallback its HPA keeps the current replicas. Serving an old plan
 *    would instead pin the workload to a moment that has passed.
 * Auth: createApp's /api middleware asks for a read-scoped bearer token (KEDA `authModes: bearer` with the
 * TriggerAuthentication parameter `token`); open when no tokens are configured.
 *
 * Left out: KEDA's apiKey and basic modes (put a proxy in front), the prometheus/xml/yaml formats.
 */
import { Router, type Request } from 'express';
import type { PrescaleConfig } from '../../config/schema.js';
import { targetId } from '../../config/targets.js';
import type { Clock } from '../../core/clock.js';
import { encodeForTolerance } from '../../external-metrics/hpa-tolerance.js';
import type { PredictedLoad } from '../../publish/published-plan.js';
import type { PublishedCache } from '../../publish/published-cache.js';
import { HttpError } from '../http-error.js';
import type { z } from '../openapi/zod.js';
import type { kedaValueSchema } from '../schemas/keda.js';

export type KedaValue = z.output<typeof kedaValueSchema>;

export interface KedaRouteDeps {
  config: PrescaleConfig;
  clock: Clock;
  published: PublishedCache;
}

/** How old a plan may be and still be served: externalMetrics.staleAfter, else three plan periods. */
export function kedaStaleAfterMs(config: PrescaleConfig): number {
  return config.externalMetrics.staleAfter ?? 3 * config.schedule.plan;
}

const iso = (ms: number) => new Date(ms).toISOString();
const point = (load: PredictedLoad | null) => (load ? { at: iso(load.at), median: load.median, quantile: load.quantile } : null);

export function kedaRoutes(deps: KedaRouteDeps): Router {
  const router = Router();
  const staleAfterMs = kedaStaleAfterMs(deps.config);

  router.get('/api/keda/:namespace/:name', (req: Request<{ namespace: string; name: string }>, res) => {
    const { namespace, name } = req.params;
    const target = deps.config.targets.find((t) => t.namespace === namespace && t.name === name);
    if (!target) {
      const known = deps.config.targets.map(targetId).join(', ');
      throw new HttpError(404, 'not_found', `unknown target "${namespace}/${name}"; configured targets: ${known}`, [{ path: 'params.name', message: `no target ${namespace}/${name}` }]);
    }
    const id = targetId(target);
    const plan = deps.published.get(id);
    const now = deps.clock.now();
    if (!plan) {
      throw new HttpError(503, 'unavailable', `no plan published yet for ${id}: Prescale publishes one every plan period once the worker and scheduler roles run; KEDA's fallback applies meanwhile`, [], { 'Retry-After': String(Math.ceil(deps.config.schedule.plan / 1000)) });
    }
    if (target.forecastOnly) {
      // Serving the plan is how KEDA applies it: a forecast-only target records its plan and publishes nothing.
      throw new HttpError(503, 'unavailable', `${id} is forecast-only: its plan is recorded, not published (set forecastOnly: false to let KEDA apply it); KEDA's fallback applies`);
    }
    const ageMs = Math.max(0, now - plan.at);
    if (ageMs > staleAfterMs) {
      throw new HttpError(503, 'unavailable', `the plan for ${id} is ${Math.round(ageMs / 1000)} s old (served up to ${Math.round(staleAfterMs / 1000)} s): the planner has stopped publishing; KEDA's fallback applies`);
    }
    const body: KedaValue = {
      target: id,
      plannedReplicas: plan.plannedReplicas,
      hpaReplicas: encodeForTolerance(plan.plannedReplicas, plan.desiredReplicas, deps.config.externalMetrics.hpaTolerance).value,
      desiredReplicas: plan.desiredReplicas,
      readyReplicas: plan.readyReplicas,
      predictedLoad: { quantile: plan.quantile, now: point(plan.predictedNow), ahead: point(plan.predictedAhead) },
      mode: plan.mode,
      actuation: plan.actuation,
      at: iso(plan.at),
      ageSeconds: ageMs / 1000,
      staleAfterSeconds: staleAfterMs / 1000,
    };
    // Values change every plan tick: caches in between must not serve an old plan.
    res.set('Cache-Control', 'no-store').json(body);
  });
  return router;
}
