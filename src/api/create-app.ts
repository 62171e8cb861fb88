import compression from 'compression';
import express, { type Request } from 'express';
import type { PrescaleConfig } from '../config/schema.js';
import { findTarget, targetId } from '../config/targets.js';
import type { Clock } from '../core/clock.js';
import type { RedisClient } from '../core/redis.js';
import type { Logger } from '../core/logger.js';
import { apiAuth, errorHandler, jsonBody, notFound, operationalAuth, writeRateLimit } from './http-middleware.js';
import { badRequestFromZod, HttpError } from './http-error.js';
import { createTokenAuth } from './token-auth.js';
import { rangeQuerySchema } from './schemas/targets.js';
import { mountCalendarRoutes } from './routes/calendar.js';
import { openApiDocument } from './openapi/document.js';
import type { ClusterActuator } from '../cluster/cluster.js';
import type { MetricsStore } from '../metrics/metrics-store.js';
import type { StateStore } from '../state/state-store.js';
import type { CalendarStore } from '../scaling/calendar-store.js';
import type { PublishedCache } from '../publish/published-cache.js';
import { dashboardPageRoutes, warmDashboardBundle } from './routes/dashboard-page.js';
import { dashboardDataRoutes } from './routes/dashboard-data.js';
import type { WhatIfService } from '../what-if/what-if-service.js';
import { accuracyRoutes } from './routes/accuracy.js';
import { whatIfRoutes } from './routes/what-if.js';
import { kedaRoutes } from './routes/keda.js';
import { metricsRoutes } from './routes/metrics.js';
import type { OperationalSources } from '../observability/prometheus-metrics.js';
import type { ReadinessReport } from '../observability/readiness.js';
import type { WriteBufferStatus } from '../metrics/write-behind-store.js';
import { readinessRoutes } from './routes/readiness.js';
import { budgetControlled, budgetStatus } from '../scaling/budget-observation.js';

export interface AppDeps {
  config: PrescaleConfig;
  clock: Clock;
  logger: Logger;
  store: MetricsStore;
  state: StateStore;
  cluster: ClusterActuator;
  /** The shared scheduled-scaling calendar (Redis in the service). */
  calendar: CalendarStore;
  /** Every target's latest published plan, kept in memory (external metrics, KEDA, /metrics). */
  published: PublishedCache;
  /** Extra facts for /api/status (e.g. the demo's replay progress). */
  status?: () => Record<string, unknown>;
  /** What-if runs (queue + result cache in Redis); without it the what-if routes answer 503. */
  whatIf?: WhatIfService;
  /** Shared counters and queues for /metrics (scaling events, job durations, job counts); absent: those families are left out. */
  operational?: OperationalSources;
  /** Redis and InfluxDB as this process sees them, for /readyz (src/observability/readiness.ts); absent: always ready. */
  readiness?: () => Promise<ReadinessReport>;
  /** The Redis every api replica shares: the write rate limit counts there, once for all replicas; absent: per process. */
  sharedRedis?: RedisClient;
  /** This process's metrics write buffer (src/metrics/write-behind-store.ts), for /api/status and /metrics. */
  writeBuffer?: () => WriteBufferStatus;
}

/**
 * Thin routes over the stores; every replica can serve them because all state is shared. Middleware order: response compression,
 * operational-endpoint auth, then on /api the write rate limit, token scopes (reads `read`, writes `write`)
 * and the JSON body limit; routes; 404; the one error middleware ({error, message, details}).
 */
export function createApp(deps: AppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  // gzip/deflate/brotli by Accept-Encoding, above 1 KiB: the dashboard bundle (586 KB -> ~85 KB gzipped) and its
  // week-long series are what crosses a slow link to a browser outside the cluster.
  app.use(compression());
  const auth = createTokenAuth(deps.config.api.tokens);
  app.use(operationalAuth(auth, deps.config.api.protectOperational));
  app.use('/api', writeRateLimit(deps.config.api.writesPerMinute, deps.sharedRedis ? { redis: deps.sharedRedis, prefix: deps.config.redis.prefix } : undefined), apiAuth(auth), ...jsonBody(deps.config.api.bodyLimitBytes));

  const range = (req: Request, defaultBackMs: number, defaultAheadMs: number) => {
    const parsed = rangeQuerySchema.safeParse(req.query);
    if (!parsed.success) throw badRequestFromZod(parsed.error, 'query');
    const now = deps.clock.now();
    const from = parsed.data.from ?? now - defaultBackMs;
    const to = parsed.data.to ?? now + defaultAheadMs;
    if (from >= to) throw new HttpError(400, 'bad_request', `query: from (${from}) must be before to (${to})`, [{ path: 'query.to', message: `must be after from (${from})` }]);
    return { from, to };
  };

  app.get('/openapi.json', (_req, res) => {
    res.json(openApiDocument());
  });

  app.get('/healthz', (_req, res) => {
    res.json({ ok: true, now: new Date(deps.clock.now()).toISOString() });
  });
  app.use(readinessRoutes(deps.readiness));

  app.get('/api/status', async (_req, res) => {
    const now = deps.clock.now();
    const targets = await Promise.all(
      deps.config.targets.map(async (t) => {
        const id = targetId(t);
        // The decision log lives in InfluxDB: while it is away the status still answers, saying so.
        const [model, scaling, workload, decisions, modelInUse, budgetState] = await Promise.all([
          deps.state.getModelInfo(id),
          deps.state.getScalingState(id),
          deps.cluster.getWorkload({ namespace: t.namespace, name: t.name, kind: t.kind }),
          deps.store.readDecisions(id, now - 3_600_000, now + 1).catch((error: unknown) => error as Error),
          deps.state.getModelInUse(id),
          budgetControlled(t) ? deps.state.getBudgetState(id) : null,
        ]);
        // Actuation as the last tick found it (published plans are served from memory on every replica).
        const plan = deps.published.get(id);
        return {
          id,
          mode: scaling?.mode ?? 'learning',
          actuation: t.actuation,
          conflict: plan?.conflict ?? null,
          actuationWarnings: plan?.actuationWarnings ?? [],
          workload,
          model,
          modelInUse,
          // The error budget (budget, window, spent, left, the multiplier now), or why the quantile sizes instead.
          budget: budgetStatus(t, budgetState, now),
          lastDecision: decisions instanceof Error ? null : (decisions.at(-1) ?? null),
          ...(decisions instanceof Error ? { lastDecisionError: decisions.message } : {}),
        };
      }),
    );
    const pools = await Promise.all(deps.config.nodePools.map(async (p) => ({ name: p.name, ...(await deps.cluster.getNodePool(p.name)) })));
    const writeBuffer = deps.writeBuffer?.();
    res.json({ now, time: new Date(now).toISOString(), targets, nodePools: pools, ...(writeBuffer ? { writeBuffer } : {}), ...deps.status?.() });
  });

  app.get('/api/targets/:namespace/:name/forecast', async (req: Request<{ namespace: string; name: string }>, res) => {
    const target = findTarget(deps.config, `${req.params.namespace}/${req.params.name}`);
    const { from, to } = range(req, 0, deps.config.horizon);
    res.json({ target: targetId(target), from, to, points: await deps.store.readForecast(targetId(target), from, to) });
  });

  app.get('/api/targets/:namespace/:name/load', async (req: Request<{ namespace: string; name: string }>, res) => {
    const target = findTarget(deps.config, `${req.params.namespace}/${req.params.name}`);
    const { from, to } = range(req, 86_400_000, 0);
    const series = await deps.store.readSeries({ ...target.load, from, to, stepMs: deps.config.step, gap: 'null' });
    res.json({ target: targetId(target), ...series });
  });

  app.get('/api/targets/:namespace/:name/decisions', async (req: Request<{ namespace: string; name: string }>, res) => {
    const target = findTarget(deps.config, `${req.params.namespace}/${req.params.name}`);
    const { from, to } = range(req, 3_600_000, 1);
    res.json({ target: targetId(target), decisions: await deps.store.readDecisions(targetId(target), from, to) });
  });

  // The dashboard at / (its browser code is bundled once, started here) and the reads it needs.
  warmDashboardBundle();
  app.use(dashboardPageRoutes());
  app.use(dashboardDataRoutes(deps));

  app.use(accuracyRoutes(deps));
  app.use(whatIfRoutes({ config: deps.config, whatIf: deps.whatIf }));
  app.use(kedaRoutes(deps));
  app.use(metricsRoutes(deps));

  mountCalendarRoutes(app, deps);

  app.use(notFound);
  // One error middleware: bad input -> 400 naming the fields, unknown target -> 404, the rest -> 5xx.
  app.use(errorHandler(deps.logger));
  return app;
}
