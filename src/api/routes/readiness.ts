/**
 * `GET /readyz`: 200 `{status: 'ready', reasons: []}` when Redis and InfluxDB answer and nothing waits in the
 * metrics write buffer; 200 `{status: 'degraded', reasons: [...]}` when only InfluxDB is in trouble (the pod
 * still serves from Redis and memory); 503 `{status: 'unavailable', ...}` when Redis is down
 * (src/observability/readiness.ts says why). Guarded like /healthz and /metrics (config api.protectOperational).
 *
 * Left out: liveness (/healthz answers as long as the process serves HTTP).
 */
import { Router } from 'express';
import type { ReadinessReport } from '../../observability/readiness.js';

export function readinessRoutes(readiness: (() => Promise<ReadinessReport>) | undefined): Router {
  const router = Router();
  router.get('/readyz', async (_req, res) => {
    // Without a check (tests, the demo on in-memory stores) nothing can be degraded.
    const report: ReadinessReport = readiness ? await readiness() : { status: 'ready', reasons: [] };
    res.status(report.status === 'unavailable' ? 503 : 200).set('Cache-Control', 'no-store').json(report);
  });
  return router;
}
