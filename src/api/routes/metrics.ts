/**
 * `GET /metrics`: Prescale's Prometheus exposition (src/observability/prometheus-metrics.ts), one registry per
 * app. Open by default, for Prometheus; with config api.protectOperational createApp's operationalAuth asks
 * for a read-scoped bearer token (Prometheus `authorization: {credentials_file: ...}`).
 *
 * Left out: OpenMetrics negotiation (prom-client's text format 0.0.4 is what every Prometheus reads).
 */
import { Router } from 'express';
import { createPrometheusMetrics, type PrometheusDeps, type PrometheusOptions } from '../../observability/prometheus-metrics.js';

export interface MetricsRouteDeps extends PrometheusDeps {
  prometheus?: PrometheusOptions;
}

export function metricsRoutes(deps: MetricsRouteDeps): Router {
  const router = Router();
  const metrics = createPrometheusMetrics(deps, deps.prometheus);
  router.get('/metrics', async (_req, res) => {
    const text = await metrics.render();
    res.set('Content-Type', metrics.contentType).set('Cache-Control', 'no-store').send(text);
  });
  return router;
}
