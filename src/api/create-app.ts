import express, { type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';
import type { PrescaleConfig } from '../config/schema.js';
import { findTarget, targetId } from '../config/targets.js';
import type { Clock } from '../core/clock.js';
import { InputError, PrescaleError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { ClusterActuator } from '../cluster/cluster.js';
import type { MetricsStore } from '../metrics/metrics-store.js';
import type { StateStore } from '../state/state-store.js';
import type { CalendarStore } from '../scaling/calendar-store.js';
import type { PublishedCache } from '../publish/published-cache.js';
import { statusPage } from './status-page.js';
import type { WhatIfService } from '../what-if/what-if-service.js';
import { accuracyRoutes } from './routes/accuracy.js';
import { whatIfRoutes } from './routes/what-if.js';
import { HttpError } from './http-error.js';

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
}

const rangeQuery = z
  .object({
    from: z.coerce.number().int().optional(),
    to: z.coerce.number().int().optional(),
  })
  .strict();

/** Thin routes over the stores; every replica can serve them because all state is shared. */
export function createApp(deps: AppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');

  const range = (req: Request, defaultBackMs: number, defaultAheadMs: number) => {
    const parsed = rangeQuery.safeParse(req.query);
    if (!parsed.success) throw new InputError(parsed.error.issues.map((i) => `${i.path.join('.') || 'query'}: ${i.message}`).join('; '), 'query');
    const now = deps.clock.now();
    const from = parsed.data.from ?? now - defaultBackMs;
    const to = parsed.data.to ?? now + defaultAheadMs;
    if (from >= to) throw new InputError(`from (${from}) must be before to (${to})`, 'query');
    return { from, to };
  };

  app.get('/healthz', (_req, res) => {
    res.json({ ok: true, now: new Date(deps.clock.now()).toISOString() });
  });

  app.get('/api/status', async (_req, res) => {
    const now = deps.clock.now();
    const targets = await Promise.all(
      deps.config.targets.map(async (t) => {
        const id = targetId(t);
        const [model, scaling, workload, decisions] = await Promise.all([
          deps.state.getModelInfo(id),
          deps.state.getScalingState(id),
          deps.cluster.getWorkload({ namespace: t.namespace, name: t.name, kind: t.kind }),
          deps.store.readDecisions(id, now - 3_600_000, now + 1),
        ]);
        return { id, mode: scaling?.mode ?? 'learning', workload, model, lastDecision: decisions.at(-1) ?? null };
      }),
    );
    const pools = await Promise.all(deps.config.nodePools.map(async (p) => ({ name: p.name, ...(await deps.cluster.getNodePool(p.name)) })));
    res.json({ now, time: new Date(now).toISOString(), targets, nodePools: pools, ...deps.status?.() });
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

  app.get('/', (_req, res) => {
    res.type('html').send(statusPage());
  });

  app.use(accuracyRoutes(deps));
  app.use(whatIfRoutes({ config: deps.config, whatIf: deps.whatIf, bodyLimitBytes: deps.config.api.bodyLimitBytes }));

  app.use((req, res) => {
    res.status(404).json({ error: 'not_found', message: `no route for ${req.method} ${req.path}` });
  });

  // One error middleware: bad input -> 400 with what is wrong, unknown target -> 404, the rest -> 5xx.
  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    if (error instanceof HttpError) {
      res.status(error.status).set(error.headers).json(error.body());
      return;
    }
    if (error instanceof InputError) {
      const status = /unknown target|unknown node pool/.test(error.message) ? 404 : 400;
      res.status(status).json({ error: status === 404 ? 'not_found' : 'bad_request', message: error.message });
      return;
    }
    const retryable = error instanceof PrescaleError ? error.retryable : true;
    deps.logger.error({ err: error }, 'request failed');
    res.status(retryable ? 503 : 500).json({ error: retryable ? 'unavailable' : 'internal', message: (error as Error).message });
  });
  return app;
}
