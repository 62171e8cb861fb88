/**
 * The routes an Express app really serves, read from its router (Express 5 / router 2): method and path
 * template of every route, through mounted routers too. Tests enumerate routes with it so that a route added
 * later is fuzzed and auth-checked without anyone updating a list.
 * Left out: routes mounted under a path given as a RegExp or array (Prescale mounts none).
 */
import type { Express } from 'express';

export interface AppRoute {
  /** Upper case: GET, POST, PUT, DELETE, PATCH; ALL for app.all. */
  method: string;
  /** Express path template, e.g. /api/calendar/:id. */
  path: string;
}

interface Layer {
  route?: { path: string; methods: Record<string, boolean> };
  handle: { stack?: Layer[] };
  rawPath?: unknown;
  slash?: boolean;
}

function walk(stack: Layer[], prefix: string, out: AppRoute[]): void {
  for (const layer of stack) {
    if (layer.route) {
      for (const method of Object.keys(layer.route.methods)) out.push({ method: method === '_all' ? 'ALL' : method.toUpperCase(), path: prefix + layer.route.path });
    } else if (Array.isArray(layer.handle.stack)) {
      const mount = layer.slash || typeof layer.rawPath !== 'string' ? '' : layer.rawPath.replace(/\/$/, '');
      walk(layer.handle.stack, prefix + mount, out);
    }
  }
}

export function appRoutes(app: Express): AppRoute[] {
  const router = (app as unknown as { router: { stack: Layer[] } }).router;
  const out: AppRoute[] = [];
  walk(router.stack, '', out);
  return out;
}

/** Whether a request with this method changes state (the API's own rule: everything but GET, HEAD, OPTIONS). */
export const isWriteMethod = (method: string) => !['GET', 'HEAD', 'OPTIONS'].includes(method);
