/**
 * GET /openapi.json through a real server: a valid OpenAPI 3.1 document (@seriousme/openapi-schema-validator),
 * every component schema compiles as JSON Schema 2020-12 (ajv, which the validator does not do for 3.1), every
 * route the app serves under /api is in it with its method, and real answers of the API validate against the
 * schemas the document gives for them.
 */
import { createRequire } from 'node:module';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Validator } from '@seriousme/openapi-schema-validator';
import type { Express } from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/api/create-app.js';
import { SimulatedCluster } from '../../src/cluster/simulated-cluster.js';
import { parseConfig } from '../../src/config/load-config.js';
import { ReplayClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import { createMemoryStore } from '../../src/metrics/memory-store.js';
import { startPublishedCache } from '../../src/publish/published-cache.js';
import { createMemoryPublishedPlanStore } from '../../src/publish/published-plan-store.js';
import { createMemoryCalendarStore } from '../../src/scaling/memory-calendar-store.js';
import { createMemoryStateStore } from '../../src/state/state-store.js';

const T0 = Date.UTC(2026, 10, 27, 12);
const config = parseConfig({ targets: [{ name: 'web', namespace: 'shop', load: { measurement: 'http', field: 'rps' }, capacityPerReplica: 100, maxReplicas: 10 }] }, {});
/** Routes outside /api that are not JSON (the dashboard page and its browser assets, Prometheus text): they may be left out. */
const NOT_JSON = new Set(['GET /', 'GET /dashboard/app.js', 'GET /dashboard/vendor/{file}', 'GET /metrics']);

// ajv 8 with the 2020-12 draft comes with the validator (the project's top-level ajv is eslint's ajv 6).
const requireFromValidator = createRequire(createRequire(import.meta.url).resolve('@seriousme/openapi-schema-validator'));
const Ajv2020 = (requireFromValidator('ajv/dist/2020') as { default: new (options: object) => AjvLike }).default;
interface AjvLike {
  addSchema(schema: object): AjvLike;
  compile(schema: object): ((data: unknown) => boolean) & { errors?: unknown };
}

type Document = { openapi: string; paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: object }> }> }>>; components: { schemas: Record<string, object> } };

/** Every route the express app serves, as "METHOD /openapi/{style}" (routers mounted at / included). */
function servedRoutes(app: Express): string[] {
  const routes: string[] = [];
  type Layer = { route?: { path: string; methods: Record<string, boolean> }; handle?: { stack?: Layer[] }; slash?: boolean };
  const walk = (stack: Layer[]) => {
    for (const layer of stack) {
      if (layer.route) {
        for (const method of Object.keys(layer.route.methods)) routes.push(`${method.toUpperCase()} ${layer.route.path.replace(/:(\w+)/g, '{$1}')}`);
      } else if (layer.handle?.stack) {
        // A router mounted under a path would need that path here: refuse rather than check the wrong thing.
        expect(layer.slash, 'routers are mounted at / so their routes carry full paths').toBe(true);
        walk(layer.handle.stack);
      }
    }
  };
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack);
  return routes;
}

describe('OpenAPI document', () => {
  let server: Server;
  let base: string;
  let app: Express;
  let doc: Document;
  const published = startPublishedCache(createMemoryPublishedPlanStore());

  beforeAll(async () => {
    const clock = new ReplayClock(T0);
    app = createApp({ config, clock, logger: silentLogger, store: createMemoryStore(), state: createMemoryStateStore(), cluster: SimulatedCluster.fromConfig(clock, config), calendar: createMemoryCalendarStore(), published });
    server = createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const response = await fetch(`${base}/openapi.json`);
    expect(response.status).toBe(200);
    doc = (await response.json()) as Document;
  });

  afterAll(async () => {
    published.stop();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('is a valid OpenAPI 3.1 document (and the validator does reject a broken one)', async () => {
    const validator = new Validator();
    const result = await validator.validate(doc as unknown as Record<string, unknown>);
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
    const broken = structuredClone(doc) as unknown as Record<string, unknown>;
    delete broken['info'];
    expect((await new Validator().validate(broken)).valid).toBe(false);
  });

  it('has the bearer scheme, the error body, and every /api operation secured with it', () => {
    const components = doc.components as unknown as { securitySchemes: Record<string, unknown>; schemas: Record<string, { properties?: object }> };
    expect(components.securitySchemes['bearer']).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(Object.keys(components.schemas['Error']!.properties!)).toEqual(['error', 'message', 'details']);
    for (const [path, operations] of Object.entries(doc.paths).filter(([p]) => p.startsWith('/api/'))) {
      for (const [method, operation] of Object.entries(operations)) expect((operation as { security?: unknown }).security, `${method} ${path}`).toEqual([{ bearer: [] }]);
    }
  });

  it('compiles every component schema as JSON Schema 2020-12', () => {
    const ajv = new Ajv2020({ strict: false, validateFormats: false });
    const defs = JSON.parse(JSON.stringify(doc.components.schemas).replaceAll('#/components/schemas/', 'urn:prescale:components#/$defs/')) as Record<string, object>;
    ajv.addSchema({ $id: 'urn:prescale:components', $defs: defs });
    const names = Object.keys(defs);
    expect(names).toEqual(expect.arrayContaining(['Error', 'CalendarEntryInput', 'CalendarEntry', 'CalendarOccurrence', 'CalendarPreview', 'Status']));
    for (const name of names) expect(() => ajv.compile({ $ref: `urn:prescale:components#/$defs/${name}` }), name).not.toThrow();
    // ajv does check the keywords the OpenAPI validator leaves alone.
    expect(() => ajv.compile({ type: 'nubmer' })).toThrow();
  });

  it('lists every route the app serves under /api, with its method', () => {
    const documented = new Set(Object.entries(doc.paths).flatMap(([path, operations]) => Object.keys(operations).map((m) => `${m.toUpperCase()} ${path}`)));
    const served = servedRoutes(app);
    expect(served).toEqual(expect.arrayContaining(['POST /api/calendar', 'PUT /api/calendar/{id}', 'GET /api/status', 'GET /openapi.json', 'GET /healthz']));
    const missing = served.filter((route) => !documented.has(route) && !NOT_JSON.has(route));
    expect(missing).toEqual([]);
  });

  it('describes what the API really answers (calendar answers and an error validated against their schemas)', async () => {
    const ajv = new Ajv2020({ strict: false, validateFormats: false });
    ajv.addSchema({ $id: 'urn:prescale:components', $defs: JSON.parse(JSON.stringify(doc.components.schemas).replaceAll('#/components/schemas/', 'urn:prescale:components#/$defs/')) as object });
    /** The schema the document gives for `status` of `method path`, compiled. */
    const responseSchema = (method: string, path: string, status: string) => {
      const schema = doc.paths[path]![method]!.responses[status]!.content!['application/json']!.schema;
      return ajv.compile(JSON.parse(JSON.stringify(schema).replaceAll('#/components/schemas/', 'urn:prescale:components#/$defs/')) as object);
    };
    const check = async (method: string, path: string, docPath: string, status: number, body?: unknown) => {
      const response = await fetch(base + path, { method: method.toUpperCase(), ...(body !== undefined ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) } : {}) });
      expect(response.status, `${method} ${path}`).toBe(status);
      const validate = responseSchema(method, docPath, String(status));
      const answer = (await response.json()) as unknown;
      expect(validate(answer), `${method} ${path}: ${JSON.stringify(validate.errors)}`).toBe(true);
      return answer;
    };
    const entry = { id: 'doc-check', targets: ['shop/web'], effect: { kind: 'floor', replicas: 3 }, timeZone: 'Europe/Paris', start: '2026-11-27T09:00', end: '2026-11-27T17:00', recurrence: { frequency: 'weekly', weekdays: [1, 5] } };
    await check('post', '/api/calendar', '/api/calendar', 201, entry);
    await check('get', '/api/calendar/doc-check', '/api/calendar/{id}', 200);
    await check('get', '/api/calendar', '/api/calendar', 200);
    await check('get', '/api/calendar/occurrences?from=2026-11-27&to=2026-12-27', '/api/calendar/occurrences', 200);
    await check('post', '/api/calendar/preview', '/api/calendar/preview', 200, { entry });
    await check('get', '/api/status', '/api/status', 200);
    await check('post', '/api/calendar', '/api/calendar', 400, { ...entry, effect: { kind: 'floor', replicas: -1 } });
    await check('get', '/api/calendar/nope', '/api/calendar/{id}', 404);
  });
});
