/**
 * `GET /api/targets/:namespace/:name/accuracy`: a target's live accuracy, the rolling MASE and 80% / 95%
 * interval coverage of its forecasts as issued one pod lead ahead, over the last 24 h and 7 d, as the
 * accuracy job last computed it (src/accuracy/live-accuracy.ts says how). Thin: reads shared state only.
 * Before the job's first run the answer has `computedAt: null` and null windows. Left out: auth (the app
 * guards /api with the read scope).
 */
import { Router, type Request } from 'express';
import type { PrescaleConfig } from '../../config/schema.js';
import { findTarget, targetId } from '../../config/targets.js';
import type { LiveAccuracy, LiveAccuracyWindow, LiveAccuracyWindowName } from '../../accuracy/live-accuracy.js';
import { seasonSteps } from '../../accuracy/live-accuracy.js';
import type { StateStore } from '../../state/state-store.js';

export interface AccuracyRouteDeps {
  config: PrescaleConfig;
  state: Pick<StateStore, 'getLiveAccuracy'>;
}

export interface AccuracyResponse {
  target: string;
  computedAt: number | null;
  leadMs: number | null;
  stepMs: number;
  seasonSteps: number;
  windows: Record<LiveAccuracyWindowName, LiveAccuracyWindow | null>;
}

export function accuracyResponse(target: string, stepMs: number, accuracy: LiveAccuracy | null): AccuracyResponse {
  if (!accuracy) return { target, computedAt: null, leadMs: null, stepMs, seasonSteps: seasonSteps(stepMs), windows: { '24h': null, '7d': null } };
  return { target, computedAt: accuracy.computedAt, leadMs: accuracy.leadMs, stepMs: accuracy.stepMs, seasonSteps: accuracy.seasonSteps, windows: accuracy.windows };
}

export function accuracyRoutes(deps: AccuracyRouteDeps): Router {
  const router = Router();
  router.get('/api/targets/:namespace/:name/accuracy', async (req: Request<{ namespace: string; name: string }>, res) => {
    // An unknown target is an InputError "unknown target": the app's error middleware answers 404.
    const id = targetId(findTarget(deps.config, `${req.params.namespace}/${req.params.name}`));
    res.json(accuracyResponse(id, deps.config.step, await deps.state.getLiveAccuracy(id)));
  });
  return router;
}
