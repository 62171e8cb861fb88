/**
 * The probe listener of a process that does not run the api role (a worker, the scheduler): `/healthz` and
 * `/readyz` only, on the configured http address, so Kubernetes can probe every Prescale pod the same way.
 * Without it a worker whose event loop hung, or that lost Redis for good, would never be restarted.
 *
 * `/healthz` answers while the event loop serves (a process blocked for the liveness probe's whole budget gets
 * restarted); `/readyz` is the same readiness report as the api's (Redis down: 503). Guarded like the api's
 * operational endpoints (config api.protectOperational). Everything else is 404: this is not the API.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { createTokenAuth } from '../api/token-auth.js';
import { operationalAuth } from '../api/http-middleware.js';
import { readinessRoutes } from '../api/routes/readiness.js';
import type { PrescaleConfig } from '../config/schema.js';
import type { Clock } from '../core/clock.js';
import type { ReadinessReport } from './readiness.js';

export interface HealthServer {
  url: string;
  close(): Promise<void>;
}

export function createHealthApp(config: Pick<PrescaleConfig, 'api'>, clock: Clock, readiness: () => Promise<ReadinessReport>): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(operationalAuth(createTokenAuth(config.api.tokens), config.api.protectOperational));
  app.get('/healthz', (_req, res) => {
    res.json({ ok: true, now: new Date(clock.now()).toISOString() });
  });
  app.use(readinessRoutes(readiness));
  app.use((req, res) => {
    res.status(404).json({ error: 'not_found', message: `${req.method} ${req.path}: this process serves only /healthz and /readyz (it does not run the api role)`, details: [] });
  });
  return app;
}

export async function startHealthServer(config: Pick<PrescaleConfig, 'api' | 'http'>, clock: Clock, readiness: () => Promise<ReadinessReport>): Promise<HealthServer> {
  const server: Server = createServer(createHealthApp(config, clock, readiness));
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(config.http.port, config.http.host, () => resolve()));
  return {
    url: `http://${config.http.host}:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
