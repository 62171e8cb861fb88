/**
 * A strict stand-in for the Kubernetes API server (express 5, plain HTTP on loopback): it checks every
 * request the way the real server would, so a client that passes here sends what a real cluster accepts.
 *
 * Checked: the bearer token (401), the path (core `/api/v1/...`, groups `/apis/<group>/<version>/...`,
 * namespaced or cluster-scoped, subresources `scale` and `status`; unknown resources 404), the verb (405),
 * the content type (PATCH: only `application/merge-patch+json`; POST/PUT: `application/json`; else 415),
 * the body (invalid JSON 400, unknown or mistyped fields 400, replicas not an integer >= 0 422, name or
 * namespace not matching the URL 400, MicroTime not in RFC3339 with 6 fractional digits 400),
 * `resourceVersion` (PUT must carry it; stale 409 Conflict; a merge patch carrying one is a precondition),
 * create of an existing name (409 AlreadyExists). Errors are `Status` objects like the real server's.
 *
 * Left out: watch, JSON patch and strategic merge patch (answered 415: Prescale only sends merge patches),
 * server-side apply, admission, defaulting. No controllers run: tests move status with `update()`.
 *
 * Faults are injected with `inject()`: 403 (RBAC says no), 409 conflicts, 429 with Retry-After, 5xx; `stall()` holds
 * matching requests without an answer (then handles them, or drops the connection), as an API server that times out.
 * Every request is recorded, with its arrival time and bearer token: several clients, each with its own token
 * from `tokens`, are told apart in the log. `hold()` keeps one matching request unanswered until the test
 * releases it (a client paused in the middle of a call, e.g. a plan tick waiting on its workload read).
 */
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import express, { type Request, type Response } from 'express';
import { matchesLabelSelector } from '../../src/kube/label-selector.js';

type Json = Record<string, unknown>;

export interface ScaleSpec {
  /** Where the replica count lives in the object, e.g. spec.replicas. */
  specReplicasPath: string;
  statusReplicasPath: string;
  /** `spec.selector` (a LabelSelector, as apps/v1) or a path to a selector string (status.selector). */
  labelSelectorPath?: string;
}

export interface ResourceType {
  group: string;
  version: string;
  /** Plural, lower case: deployments. */
  resource: string;
  kind: string;
  namespaced: boolean;
  scale?: ScaleSpec;
  /** Only GET (metrics.k8s.io). */
  readOnly?: boolean;
  /** Spec changes bump metadata.generation (workloads and custom resources). */
  hasGeneration?: boolean;
  /** Field checks for create, replace and patch results (paths of offending fields). */
  validate?: (object: Json) => FieldError[];
}

export interface FieldError {
  /** 400 for a decoding error (unknown field, wrong type), 422 for an invalid value. */
  code: 400 | 422;
  field: string;
  message: string;
}

export interface RecordedRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  query: Record<string, string>;
  contentType?: string;
  authorization?: string;
  /** Parsed JSON body, or the raw text when it was not JSON. */
  body: unknown;
  /** Status the fake answered with (0 while a hold keeps it unanswered). */
  status: number;
  /** Arrival time by the fake's clock (epoch ms); absent on requests a stall dropped. */
  at?: number;
}

/** Which request a hold keeps: all given fields must match. */
export interface HoldMatch {
  method?: string;
  /** Exact path, or a pattern. */
  path?: string | RegExp;
  /** The whole Authorization header, e.g. `Bearer <token>`. */
  authorization?: string;
}

export interface Hold {
  /** Resolves with the request once one matching it arrived (and is being held). */
  arrived: Promise<RecordedRequest>;
  /** Lets the held request (or, if none arrived yet, the next matching one) be answered normally. */
  release(): void;
}

/** A request held without an answer for `delayMs` (see FakeKubeApi.stall). */
export interface Stall {
  method?: string;
  path?: string | RegExp;
  delayMs: number;
  /** After the delay: handle the request as usual (true: the change is applied, the client may have given up) or drop the connection unanswered. */
  apply: boolean;
  /** How many matching requests stall (default 1). */
  times?: number;
}

export interface Fault {
  method?: string;
  /** Substring or pattern of the request path. */
  path?: string | RegExp;
  status: 403 | 409 | 429 | 500 | 502 | 503 | 504;
  /** For 429 (and 503): the Retry-After header, in seconds. */
  retryAfterSeconds?: number;
  /** How many matching requests fail (default 1). */
  times?: number;
}

const MICRO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}(Z|[+-]\d{2}:\d{2})$/;
const TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
const isNonNegativeInt = (value: unknown) => typeof value === 'number' && Number.isInteger(value) && value >= 0;

function getPath(object: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((node, key) => (isObject(node) ? node[key] : undefined), object);
}

function setPath(object: Json, path: string, value: unknown): void {
  const keys = path.split('.');
  let node = object;
  for (const key of keys.slice(0, -1)) {
    if (!isObject(node[key])) node[key] = {};
    node = node[key] as Json;
  }
  node[keys[keys.length - 1]!] = value;
}

/** RFC 7386 JSON merge patch. */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return structuredClone(patch);
  const result: Json = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = applyMergePatch(result[key], value);
  }
  return result;
}

/** Checks an object's keys against an allow-list, recursing into nested allow-lists. */
function unknownFields(object: unknown, allowed: Record<string, true | Record<string, unknown>>, prefix: string): FieldError[] {
  if (!isObject(object)) return [];
  const errors: FieldError[] = [];
  for (const [key, value] of Object.entries(object)) {
    const rule = allowed[key];
    if (!rule) errors.push({ code: 400, field: `${prefix}${key}`, message: `unknown field "${prefix}${key}"` });
    else if (rule !== true) errors.push(...unknownFields(value, rule as Record<string, true | Record<string, unknown>>, `${prefix}${key}.`));
  }
  return errors;
}

function replicasErrors(object: Json, path: string): FieldError[] {
  const value = getPath(object, path);
  if (value === undefined) return [];
  if (typeof value !== 'number') return [{ code: 400, field: path, message: `${path}: expected integer, got ${JSON.stringify(value)}` }];
  if (!isNonNegativeInt(value)) return [{ code: 422, field: path, message: `Invalid value: ${JSON.stringify(value)}: must be greater than or equal to 0` }];
  return [];
}

function annotationErrors(object: Json, path: string): FieldError[] {
  const annotations = getPath(object, path);
  if (annotations === undefined) return [];
  if (!isObject(annotations)) return [{ code: 400, field: path, message: `${path}: expected map of strings` }];
  return Object.entries(annotations)
    .filter(([, v]) => typeof v !== 'string')
    .map(([k]) => ({ code: 400 as const, field: `${path}.${k}`, message: `${path}.${k}: expected string` }));
}

const LEASE_SPEC = { holderIdentity: true, leaseDurationSeconds: true, acquireTime: true, renewTime: true, leaseTransitions: true, preferredHolder: true, strategy: true } as const;

function leaseErrors(lease: Json): FieldError[] {
  const errors = unknownFields(lease, { apiVersion: true, kind: true, metadata: true, spec: LEASE_SPEC }, '');
  const spec = isObject(lease['spec']) ? lease['spec'] : {};
  for (const field of ['acquireTime', 'renewTime'] as const) {
    const value = spec[field];
    if (value !== undefined && value !== null && (typeof value !== 'string' || !MICRO_TIME.test(value))) {
      errors.push({ code: 400, field: `spec.${field}`, message: `spec.${field}: parsing time ${JSON.stringify(value)} as "2006-01-02T15:04:05.000000Z07:00": cannot parse` });
    }
  }
  for (const field of ['leaseDurationSeconds', 'leaseTransitions'] as const) {
    const value = spec[field];
    if (value !== undefined && value !== null && !Number.isInteger(value)) errors.push({ code: 400, field: `spec.${field}`, message: `spec.${field}: expected integer` });
  }
  if (typeof spec['leaseDurationSeconds'] === 'number' && spec['leaseDurationSeconds'] <= 0) {
    errors.push({ code: 422, field: 'spec.leaseDurationSeconds', message: 'spec.leaseDurationSeconds: Invalid value: must be greater than 0' });
  }
  if (spec['holderIdentity'] !== undefined && spec['holderIdentity'] !== null && typeof spec['holderIdentity'] !== 'string') {
    errors.push({ code: 400, field: 'spec.holderIdentity', message: 'spec.holderIdentity: expected string' });
  }
  return errors;
}

function workloadErrors(object: Json): FieldError[] {
  return [...replicasErrors(object, 'spec.replicas'), ...annotationErrors(object, 'spec.template.metadata.annotations'), ...annotationErrors(object, 'metadata.annotations')];
}

const CROSS_VERSION_REF = { apiVersion: true, kind: true, name: true } as const;
const HPA_SPEC = { scaleTargetRef: CROSS_VERSION_REF, minReplicas: true, maxReplicas: true, metrics: true, behavior: true } as const;
const METRIC_TYPES = ['Object', 'Pods', 'Resource', 'ContainerResource', 'External'];
const TARGET_TYPES = ['Value', 'AverageValue', 'Utilization'];

/** autoscaling/v2 HorizontalPodAutoscaler: the fields and required values the API server checks. */
function hpaErrors(hpa: Json): FieldError[] {
  const errors = unknownFields(hpa, { apiVersion: true, kind: true, metadata: true, spec: HPA_SPEC, status: true }, '');
  const spec = isObject(hpa['spec']) ? hpa['spec'] : {};
  for (const field of ['kind', 'name'] as const) {
    if (typeof getPath(spec, `scaleTargetRef.${field}`) !== 'string' || !getPath(spec, `scaleTargetRef.${field}`)) errors.push({ code: 422, field: `spec.scaleTargetRef.${field}`, message: 'Required value' });
  }
  const max = spec['maxReplicas'];
  if (typeof max !== 'number' || !Number.isInteger(max) || max < 1) errors.push({ code: 422, field: 'spec.maxReplicas', message: `Invalid value: ${JSON.stringify(max)}: must be greater than or equal to 1` });
  const min = spec['minReplicas'];
  if (min !== undefined && (typeof min !== 'number' || !Number.isInteger(min) || min < 1)) errors.push({ code: 422, field: 'spec.minReplicas', message: `Invalid value: ${JSON.stringify(min)}: must be greater than or equal to 1` });
  if (typeof min === 'number' && typeof max === 'number' && min > max) errors.push({ code: 422, field: 'spec.maxReplicas', message: `Invalid value: ${max}: must be greater than or equal to \`minReplicas\`` });
  const metrics = spec['metrics'];
  if (metrics !== undefined && !Array.isArray(metrics)) errors.push({ code: 400, field: 'spec.metrics', message: 'spec.metrics: expected array' });
  (Array.isArray(metrics) ? metrics : []).forEach((metric: unknown, i) => {
    const type = isObject(metric) ? metric['type'] : undefined;
    if (typeof type !== 'string' || !METRIC_TYPES.includes(type)) errors.push({ code: 422, field: `spec.metrics[${i}].type`, message: `Unsupported value: ${JSON.stringify(type)}: supported values: ${METRIC_TYPES.map((t) => `"${t}"`).join(', ')}` });
    if (type === 'External') {
      if (typeof getPath(metric, 'external.metric.name') !== 'string') errors.push({ code: 422, field: `spec.metrics[${i}].external.metric.name`, message: 'Required value: must specify a metric name' });
      const targetType = getPath(metric, 'external.target.type');
      if (typeof targetType !== 'string' || !TARGET_TYPES.includes(targetType)) errors.push({ code: 422, field: `spec.metrics[${i}].external.target.type`, message: `Unsupported value: ${JSON.stringify(targetType)}` });
    }
  });
  return errors;
}

const SCALED_OBJECT_SPEC = {
  scaleTargetRef: { ...CROSS_VERSION_REF, envSourceContainerName: true }, pollingInterval: true, cooldownPeriod: true, initialCooldownPeriod: true, idleReplicaCount: true,
  minReplicaCount: true, maxReplicaCount: true, advanced: true, triggers: true, fallback: true,
} as const;

/** keda.sh/v1alpha1 ScaledObject: what KEDA's CRD schema and admission webhook require. */
function scaledObjectErrors(object: Json): FieldError[] {
  const errors = unknownFields(object, { apiVersion: true, kind: true, metadata: true, spec: SCALED_OBJECT_SPEC, status: true }, '');
  const spec = isObject(object['spec']) ? object['spec'] : {};
  if (typeof getPath(spec, 'scaleTargetRef.name') !== 'string' || !getPath(spec, 'scaleTargetRef.name')) errors.push({ code: 422, field: 'spec.scaleTargetRef.name', message: 'Required value' });
  const triggers = spec['triggers'];
  if (!Array.isArray(triggers) || triggers.length === 0) errors.push({ code: 422, field: 'spec.triggers', message: 'Required value: at least one trigger' });
  (Array.isArray(triggers) ? triggers : []).forEach((trigger: unknown, i) => {
    if (!isObject(trigger) || typeof trigger['type'] !== 'string') errors.push({ code: 422, field: `spec.triggers[${i}].type`, message: 'Required value' });
  });
  return errors;
}

const appsScale: ScaleSpec = { specReplicasPath: 'spec.replicas', statusReplicasPath: 'status.replicas', labelSelectorPath: 'spec.selector' };

export const DEFAULT_RESOURCE_TYPES: ResourceType[] = [
  { group: '', version: 'v1', resource: 'pods', kind: 'Pod', namespaced: true },
  { group: '', version: 'v1', resource: 'nodes', kind: 'Node', namespaced: false },
  { group: 'apps', version: 'v1', resource: 'deployments', kind: 'Deployment', namespaced: true, scale: appsScale, hasGeneration: true, validate: workloadErrors },
  { group: 'apps', version: 'v1', resource: 'statefulsets', kind: 'StatefulSet', namespaced: true, scale: appsScale, hasGeneration: true, validate: workloadErrors },
  { group: 'coordination.k8s.io', version: 'v1', resource: 'leases', kind: 'Lease', namespaced: true, validate: leaseErrors },
  { group: 'metrics.k8s.io', version: 'v1beta1', resource: 'pods', kind: 'PodMetrics', namespaced: true, readOnly: true },
  { group: 'metrics.k8s.io', version: 'v1beta1', resource: 'nodes', kind: 'NodeMetrics', namespaced: false, readOnly: true },
  {
    group: 'autoscaling.x-k8s.io', version: 'v1alpha1', resource: 'capacitybuffers', kind: 'CapacityBuffer', namespaced: true, hasGeneration: true,
    validate: (o) => [...unknownFields(o['spec'], { podTemplateRef: true, scalableRef: true, replicas: true, percentage: true, limits: true, provisioningStrategy: true }, 'spec.'), ...replicasErrors(o, 'spec.replicas')],
  },
  {
    group: 'cluster.x-k8s.io', version: 'v1beta1', resource: 'machinedeployments', kind: 'MachineDeployment', namespaced: true, hasGeneration: true,
    scale: { specReplicasPath: 'spec.replicas', statusReplicasPath: 'status.replicas', labelSelectorPath: 'status.selector' }, validate: (o) => replicasErrors(o, 'spec.replicas'),
  },
  { group: 'karpenter.sh', version: 'v1', resource: 'nodepools', kind: 'NodePool', namespaced: false, hasGeneration: true, validate: (o) => replicasErrors(o, 'spec.replicas') },
  {
    group: 'argoproj.io', version: 'v1alpha1', resource: 'rollouts', kind: 'Rollout', namespaced: true, hasGeneration: true,
    scale: { specReplicasPath: 'spec.replicas', statusReplicasPath: 'status.replicas', labelSelectorPath: 'status.selector' }, validate: (o) => replicasErrors(o, 'spec.replicas'),
  },
  // Other writers of replicas (src/kube/autoscalers.ts lists them). Without KEDA installed, leave scaledobjects out of resourceTypes: a 404 then, as a real server.
  { group: 'autoscaling', version: 'v2', resource: 'horizontalpodautoscalers', kind: 'HorizontalPodAutoscaler', namespaced: true, hasGeneration: true, validate: hpaErrors },
  { group: 'keda.sh', version: 'v1alpha1', resource: 'scaledobjects', kind: 'ScaledObject', namespaced: true, hasGeneration: true, validate: scaledObjectErrors },
];

export function statusBody(code: number, reason: string, message: string, details?: Json): Json {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, ...(details ? { details } : {}), code };
}

function selectorString(selector: unknown): string {
  if (typeof selector === 'string') return selector;
  if (!isObject(selector)) return '';
  const parts = Object.entries((selector['matchLabels'] as Record<string, string>) ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const expr of (selector['matchExpressions'] as { key: string; operator: string; values?: string[] }[]) ?? []) {
    if (expr.operator === 'In') parts.push(`${expr.key} in (${(expr.values ?? []).join(',')})`);
    else if (expr.operator === 'NotIn') parts.push(`${expr.key} notin (${(expr.values ?? []).join(',')})`);
    else if (expr.operator === 'Exists') parts.push(expr.key);
    else if (expr.operator === 'DoesNotExist') parts.push(`!${expr.key}`);
  }
  return parts.join(',');
}

const SUPPORTED_FIELD_SELECTORS: Record<string, string[]> = {
  pods: ['metadata.name', 'metadata.namespace', 'status.phase', 'spec.nodeName', 'spec.schedulerName'],
  default: ['metadata.name', 'metadata.namespace'],
};

class HttpProblem extends Error {
  constructor(readonly status: number, readonly body: Json) {
    super(String(body['message']));
  }
}

const problem = (code: number, reason: string, message: string, details?: Json) => new HttpProblem(code, statusBody(code, reason, message, details));

interface Target {
  type: ResourceType;
  namespace?: string;
  name?: string;
  subresource?: string;
}

export interface FakeKubeApiOptions {
  /** The bearer token every request must carry. */
  token?: string;
  /** More accepted bearer tokens (one per client, to tell clients apart in `requests`). */
  tokens?: string[];
  resourceTypes?: ResourceType[];
  /** The server's clock for creationTimestamp (epoch ms). */
  now?: () => number;
  /** Serve HTTPS with this key and certificate (PEM), as a real API server does. */
  tls?: { key: string; cert: string };
}

export class FakeKubeApi {
  readonly requests: RecordedRequest[] = [];
  readonly token: string;
  private readonly tokens: Set<string>;
  private readonly holds: { match: HoldMatch; arrive: (r: RecordedRequest) => void; released: Promise<void>; taken: boolean }[] = [];
  private readonly types: ResourceType[];
  private readonly objects = new Map<string, Json>();
  private readonly faults: (Fault & { remaining: number })[] = [];
  private readonly stalls: (Stall & { remaining: number })[] = [];
  private resourceVersion = 1000;
  private server?: Server;
  private readonly now: () => number;
  url = '';

  private constructor(options: FakeKubeApiOptions) {
    this.token = options.token ?? 'test-token';
    this.tokens = new Set([this.token, ...(options.tokens ?? [])]);
    this.types = options.resourceTypes ?? DEFAULT_RESOURCE_TYPES;
    this.now = options.now ?? Date.now;
  }

  static async start(options: FakeKubeApiOptions = {}): Promise<FakeKubeApi> {
    const fake = new FakeKubeApi(options);
    const app = express();
    // Raw bytes for every content type: the fake decides what it accepts, as the API server does.
    app.use(express.raw({ type: () => true, limit: '1mb' }));
    app.use(async (req, res) => {
      const stall = fake.stalls.find((f) => f.remaining > 0 && (!f.method || f.method === req.method) && (!f.path || (typeof f.path === 'string' ? req.path.includes(f.path) : f.path.test(req.path))));
      if (stall) {
        stall.remaining -= 1;
        // A dropped request is logged on arrival (status 0: never answered); an applied one when it is handled.
        if (!stall.apply) fake.requests.push({ method: req.method, path: req.path, query: {}, contentType: req.headers['content-type'], authorization: req.headers.authorization, body: undefined, status: 0 });
        await new Promise((resolve) => setTimeout(resolve, stall.delayMs));
        if (!stall.apply) return void res.socket?.destroy();
      }
      fake.handle(req, res);
    });
    const server = options.tls ? createHttpsServer({ key: options.tls.key, cert: options.tls.cert }, app) : createHttpServer(app);
    fake.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    fake.url = `${options.tls ? 'https' : 'http'}://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return fake;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      if (!this.server) return resolve();
      this.server.close(() => resolve());
      this.server.closeAllConnections(); // clients keep connections alive; do not wait for them
    });
  }

  /** Fails the next matching request(s) with the given status. */
  inject(fault: Fault): void {
    this.faults.push({ ...fault, remaining: fault.times ?? 1 });
  }

  /** Holds the next matching request(s) `delayMs` without an answer (a client with a shorter timeout gives up). */
  stall(stall: Stall): void {
    this.stalls.push({ ...stall, remaining: stall.times ?? 1 });
  }

  /** Holds the next request that matches (authenticated), before faults and the answer. One request per hold. */
  hold(match: HoldMatch): Hold {
    let arrive!: (r: RecordedRequest) => void;
    let release!: () => void;
    const arrived = new Promise<RecordedRequest>((resolve) => (arrive = resolve));
    const released = new Promise<void>((resolve) => (release = resolve));
    this.holds.push({ match, arrive, released, taken: false });
    return { arrived, release };
  }

  /** Requests whose method and path match. */
  requestsTo(method: string, path: string | RegExp): RecordedRequest[] {
    return this.requests.filter((r) => r.method === method && (typeof path === 'string' ? r.path === path : path.test(r.path)));
  }

  /** Stores an object as a client's create would (apiVersion and kind pick the resource). */
  seed<T extends object>(object: T): Json {
    const json = structuredClone(object) as Json;
    const type = this.typeOfObject(json);
    const metadata = (json['metadata'] ?? {}) as Json;
    json['metadata'] = metadata;
    if (!metadata['name']) throw new Error('seed: metadata.name is required');
    if (type.namespaced) metadata['namespace'] ??= 'default';
    metadata['uid'] ??= randomUUID();
    metadata['creationTimestamp'] ??= new Date(this.now()).toISOString().replace(/\.\d+Z$/, 'Z');
    metadata['resourceVersion'] = this.nextVersion();
    if (type.hasGeneration) metadata['generation'] ??= 1;
    this.objects.set(this.key(type, metadata['namespace'] as string | undefined, metadata['name'] as string), json);
    return structuredClone(json);
  }

  /** The stored object, or undefined. */
  get(apiVersion: string, kind: string, namespace: string | undefined, name: string): Json | undefined {
    const type = this.typeOfObject({ apiVersion, kind });
    const found = this.objects.get(this.key(type, type.namespaced ? namespace : undefined, name));
    return found ? structuredClone(found) : undefined;
  }

  /** Every stored object of a kind (copies), optionally in one namespace. */
  listObjects(apiVersion: string, kind: string, namespace?: string): Json[] {
    const type = this.typeOfObject({ apiVersion, kind });
    const prefix = `${type.group}/${type.resource}/${namespace ?? ''}`;
    return [...this.objects.entries()].filter(([key]) => (namespace === undefined ? key.startsWith(`${type.group}/${type.resource}/`) : key.startsWith(`${prefix}/`))).map(([, o]) => structuredClone(o));
  }

  /** Changes a stored object the way a controller would (bumps resourceVersion, not generation). */
  update(apiVersion: string, kind: string, namespace: string | undefined, name: string, mutate: (object: Json) => void): Json {
    const type = this.typeOfObject({ apiVersion, kind });
    const key = this.key(type, type.namespaced ? namespace : undefined, name);
    const object = this.objects.get(key);
    if (!object) throw new Error(`update: ${kind} ${namespace}/${name} not found`);
    mutate(object);
    (object['metadata'] as Json)['resourceVersion'] = this.nextVersion();
    return structuredClone(object);
  }

  delete(apiVersion: string, kind: string, namespace: string | undefined, name: string): void {
    const type = this.typeOfObject({ apiVersion, kind });
    this.objects.delete(this.key(type, type.namespaced ? namespace : undefined, name));
  }

  private nextVersion(): string {
    this.resourceVersion += 1;
    return String(this.resourceVersion);
  }

  private key(type: ResourceType, namespace: string | undefined, name: string): string {
    return `${type.group}/${type.resource}/${namespace ?? ''}/${name}`;
  }

  private typeOfObject(object: Json): ResourceType {
    const apiVersion = String(object['apiVersion'] ?? '');
    const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
    const type = this.types.find((t) => t.group === group && t.version === version && t.kind === object['kind']);
    if (!type) throw new Error(`fake-kube-api: no resource for ${apiVersion} ${String(object['kind'])}`);
    return type;
  }

  private handle(req: Request, res: Response): void {
    const url = new URL(req.originalUrl, 'http://fake');
    const query = Object.fromEntries(url.searchParams.entries());
    const raw = Buffer.isBuffer(req.body) && req.body.length > 0 ? req.body.toString('utf8') : undefined;
    let body: unknown = raw;
    let bodyIsJson = false;
    if (raw !== undefined) {
      try {
        body = JSON.parse(raw);
        bodyIsJson = true;
      } catch {
        /* stays text; rejected below where a body is needed */
      }
    }
    const record: RecordedRequest = {
      method: req.method,
      path: url.pathname,
      query,
      contentType: req.headers['content-type'],
      authorization: req.headers.authorization,
      body,
      status: 0,
      at: this.now(),
    };
    this.requests.push(record);
    const hold = this.holds.find(
      (h) => !h.taken && (!h.match.method || h.match.method === req.method) && (!h.match.authorization || h.match.authorization === req.headers.authorization) && (!h.match.path || (typeof h.match.path === 'string' ? h.match.path === url.pathname : h.match.path.test(url.pathname))),
    );
    if (hold && this.authorized(req.headers.authorization)) {
      hold.taken = true;
      hold.arrive(record);
      void hold.released.then(() => this.answer(req, res, url, query, record, body, bodyIsJson, raw));
      return;
    }
    this.answer(req, res, url, query, record, body, bodyIsJson, raw);
  }

  private authorized(header: string | undefined): boolean {
    return header !== undefined && header.startsWith('Bearer ') && this.tokens.has(header.slice('Bearer '.length));
  }

  private answer(req: Request, res: Response, url: URL, query: Record<string, string>, record: RecordedRequest, body: unknown, bodyIsJson: boolean, raw: string | undefined): void {
    const send = (status: number, payload: Json, headers: Record<string, string> = {}) => {
      record.status = status;
      res.status(status).set(headers).type('application/json').send(JSON.stringify(payload));
    };
    try {
      if (!this.authorized(req.headers.authorization)) throw problem(401, 'Unauthorized', 'Unauthorized');
      const fault = this.faults.find((f) => f.remaining > 0 && (!f.method || f.method === req.method) && (!f.path || (typeof f.path === 'string' ? url.pathname.includes(f.path) : f.path.test(url.pathname))));
      if (fault) {
        fault.remaining -= 1;
        const headers: Record<string, string> = fault.retryAfterSeconds !== undefined ? { 'Retry-After': String(fault.retryAfterSeconds) } : {};
        const reasons: Record<number, string> = { 403: 'Forbidden', 409: 'Conflict', 429: 'TooManyRequests', 500: 'InternalError', 502: 'InternalError', 503: 'ServiceUnavailable', 504: 'Timeout' };
        const message = fault.status === 403 ? `${url.pathname} is forbidden: User "system:serviceaccount:prescale:prescale" cannot ${req.method === 'GET' ? 'list' : req.method.toLowerCase()} this resource` : fault.status === 409 ? 'Operation cannot be fulfilled: the object has been modified; please apply your changes to the latest version and try again' : fault.status === 429 ? 'Too many requests, please try again later.' : 'injected server error';
        return send(fault.status, statusBody(fault.status, reasons[fault.status]!, message, fault.retryAfterSeconds !== undefined ? { retryAfterSeconds: fault.retryAfterSeconds } : undefined), headers);
      }
      const target = this.route(url.pathname);
      const result = this.dispatch(req.method, target, query, req.headers['content-type'], body, bodyIsJson, raw !== undefined);
      send(result.status, result.body);
    } catch (error) {
      if (error instanceof HttpProblem) return send(error.status, error.body);
      send(500, statusBody(500, 'InternalError', `fake-kube-api bug: ${(error as Error).message}`));
    }
  }

  private route(pathname: string): Target {
    const parts = pathname.split('/').filter(Boolean).map(decodeURIComponent);
    let group: string;
    let version: string;
    let rest: string[];
    if (parts[0] === 'api' && parts.length >= 2) [group, version, rest] = ['', parts[1]!, parts.slice(2)];
    else if (parts[0] === 'apis' && parts.length >= 3) [group, version, rest] = [parts[1]!, parts[2]!, parts.slice(3)];
    else throw problem(404, 'NotFound', 'the server could not find the requested resource');
    let namespace: string | undefined;
    if (rest[0] === 'namespaces' && rest.length >= 3) {
      namespace = rest[1];
      rest = rest.slice(2);
    }
    const [resource, name, subresource, ...extra] = rest;
    const type = this.types.find((t) => t.group === group && t.version === version && t.resource === resource);
    if (!type || extra.length > 0) throw problem(404, 'NotFound', 'the server could not find the requested resource');
    if (namespace !== undefined && !type.namespaced) throw problem(404, 'NotFound', 'the server could not find the requested resource');
    if (subresource !== undefined && subresource !== 'status' && !(subresource === 'scale' && type.scale)) {
      throw problem(404, 'NotFound', 'the server could not find the requested resource');
    }
    if (type.namespaced && namespace === undefined && name !== undefined) throw problem(404, 'NotFound', 'the server could not find the requested resource');
    return { type, namespace, name, subresource };
  }

  private qualified(type: ResourceType): string {
    return type.group ? `${type.resource}.${type.group}` : type.resource;
  }

  private notFound(target: Target): HttpProblem {
    return problem(404, 'NotFound', `${this.qualified(target.type)} "${target.name}" not found`, { name: target.name, group: target.type.group, kind: target.type.resource });
  }

  private dispatch(method: string, target: Target, query: Record<string, string>, contentType: string | undefined, body: unknown, bodyIsJson: boolean, hasBody: boolean): { status: number; body: Json } {
    const { type } = target;
    if (type.readOnly && method !== 'GET') throw problem(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
    const mediaType = contentType?.split(';')[0]?.trim().toLowerCase();
    const needJson = (expected: string) => {
      if (mediaType !== expected) throw problem(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: ${expected}`);
      if (!bodyIsJson || !isObject(body)) throw problem(400, 'BadRequest', 'the body of the request could not be decoded as a JSON object');
    };
    if (method === 'GET' && target.name === undefined) return { status: 200, body: this.list(target, query) };
    if (method === 'GET') {
      const object = this.find(target);
      return { status: 200, body: target.subresource === 'scale' ? this.scaleView(type, object) : structuredClone(object) };
    }
    if (method === 'POST' && target.name === undefined && target.subresource === undefined) {
      needJson('application/json');
      return { status: 201, body: this.create(target, body as Json) };
    }
    if (method === 'PUT' && target.name !== undefined && target.subresource === undefined) {
      needJson('application/json');
      return { status: 200, body: this.replace(target, body as Json) };
    }
    if (method === 'PATCH' && target.name !== undefined) {
      if (mediaType !== 'application/merge-patch+json') {
        throw problem(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/merge-patch+json`);
      }
      if (!hasBody || !bodyIsJson || !isObject(body)) throw problem(400, 'BadRequest', 'the body of the request could not be decoded as a JSON merge patch object');
      return { status: 200, body: this.patch(target, body) };
    }
    throw problem(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`);
  }

  private find(target: Target): Json {
    const object = this.objects.get(this.key(target.type, target.namespace, target.name!));
    if (!object) throw this.notFound(target);
    return object;
  }

  private list(target: Target, query: Record<string, string>): Json {
    const { type } = target;
    const fieldTerms = (query['fieldSelector'] ?? '').split(',').filter(Boolean).map((term) => {
      const m = /^([^!=]+)(==|=|!=)(.*)$/.exec(term);
      const supported = SUPPORTED_FIELD_SELECTORS[type.resource] ?? SUPPORTED_FIELD_SELECTORS['default']!;
      if (!m || !supported.includes(m[1]!)) throw problem(400, 'BadRequest', `field label not supported: ${m?.[1] ?? term}`);
      return { field: m[1]!, negate: m[2] === '!=', value: m[3]! };
    });
    const items = [...this.objects.entries()]
      .filter(([key]) => key.startsWith(target.namespace === undefined ? `${type.group}/${type.resource}/` : `${type.group}/${type.resource}/${target.namespace}/`))
      .map(([, object]) => object)
      .filter((object) => matchesLabelSelector(((object['metadata'] as Json)['labels'] as Record<string, string>) ?? {}, query['labelSelector'] ?? ''))
      .filter((object) => fieldTerms.every((t) => (String(getPath(object, t.field) ?? '') === t.value) !== t.negate))
      .map((object) => {
        // Items of a typed list carry no kind or apiVersion: clients must not rely on them.
        const item = structuredClone(object);
        delete item['kind'];
        delete item['apiVersion'];
        return item;
      });
    return { kind: `${type.kind}List`, apiVersion: type.group ? `${type.group}/${type.version}` : type.version, metadata: { resourceVersion: String(this.resourceVersion) }, items };
  }

  private checkIdentity(target: Target, object: Json, requireResourceVersion: boolean): Json {
    const apiVersion = target.type.group ? `${target.type.group}/${target.type.version}` : target.type.version;
    if (object['apiVersion'] !== undefined && object['apiVersion'] !== apiVersion) throw problem(400, 'BadRequest', `the API version in the data (${String(object['apiVersion'])}) does not match the expected API version (${apiVersion})`);
    if (object['kind'] !== undefined && object['kind'] !== target.type.kind) throw problem(400, 'BadRequest', `the kind in the data (${String(object['kind'])}) does not match the expected kind (${target.type.kind})`);
    const metadata = object['metadata'];
    if (!isObject(metadata) || typeof metadata['name'] !== 'string' || !metadata['name']) throw problem(422, 'Invalid', `${target.type.kind} is invalid: metadata.name: Required value: name or generateName is required`);
    if (target.name !== undefined && metadata['name'] !== target.name) throw problem(400, 'BadRequest', `the name of the object (${metadata['name']}) does not match the name on the URL (${target.name})`);
    if (target.type.namespaced && metadata['namespace'] !== undefined && metadata['namespace'] !== target.namespace) {
      throw problem(400, 'BadRequest', 'the namespace of the provided object does not match the namespace sent on the request');
    }
    if (requireResourceVersion && !metadata['resourceVersion']) throw problem(422, 'Invalid', `${target.type.kind}.${target.type.group || 'core'} "${metadata['name']}" is invalid: metadata.resourceVersion: Invalid value: 0x0: must be specified for an update`);
    return metadata;
  }

  private validateOrThrow(target: Target, object: Json, name: string): void {
    const errors = target.type.validate?.(object) ?? [];
    if (errors.length === 0) return;
    const decoding = errors.filter((e) => e.code === 400);
    if (decoding.length > 0) throw problem(400, 'BadRequest', `strict decoding error: ${decoding.map((e) => e.message).join(', ')}`);
    const qualifiedKind = `${target.type.kind}.${target.type.group || 'core'}`;
    throw problem(422, 'Invalid', `${qualifiedKind} "${name}" is invalid: ${errors.map((e) => `${e.field}: ${e.message}`).join(', ')}`, {
      name, group: target.type.group, kind: target.type.kind, causes: errors.map((e) => ({ reason: 'FieldValueInvalid', message: e.message, field: e.field })),
    });
  }

  private conflict(target: Target, name: string): HttpProblem {
    return problem(409, 'Conflict', `Operation cannot be fulfilled on ${this.qualified(target.type)} "${name}": the object has been modified; please apply your changes to the latest version and try again`, { name, group: target.type.group, kind: target.type.resource });
  }

  private create(target: Target, body: Json): Json {
    const metadata = this.checkIdentity(target, body, false);
    const name = metadata['name'] as string;
    if (metadata['resourceVersion']) throw problem(400, 'BadRequest', 'resourceVersion should not be set on objects to be created');
    this.validateOrThrow(target, body, name);
    const key = this.key(target.type, target.namespace, name);
    if (this.objects.has(key)) throw problem(409, 'AlreadyExists', `${this.qualified(target.type)} "${name}" already exists`, { name, group: target.type.group, kind: target.type.resource });
    const object: Json = { ...structuredClone(body), apiVersion: target.type.group ? `${target.type.group}/${target.type.version}` : target.type.version, kind: target.type.kind };
    object['metadata'] = { ...(object['metadata'] as Json), ...(target.namespace ? { namespace: target.namespace } : {}), uid: randomUUID(), creationTimestamp: new Date(this.now()).toISOString().replace(/\.\d+Z$/, 'Z'), resourceVersion: this.nextVersion(), ...(target.type.hasGeneration ? { generation: 1 } : {}) };
    this.objects.set(key, object);
    return structuredClone(object);
  }

  private replace(target: Target, body: Json): Json {
    const metadata = this.checkIdentity(target, body, true);
    const current = this.find(target);
    const currentMeta = current['metadata'] as Json;
    if (metadata['resourceVersion'] !== currentMeta['resourceVersion']) throw this.conflict(target, target.name!);
    this.validateOrThrow(target, body, target.name!);
    const next: Json = { ...structuredClone(body), apiVersion: current['apiVersion'], kind: current['kind'], status: current['status'] };
    if (next['status'] === undefined) delete next['status'];
    next['metadata'] = { ...(next['metadata'] as Json), uid: currentMeta['uid'], creationTimestamp: currentMeta['creationTimestamp'], namespace: currentMeta['namespace'], resourceVersion: this.nextVersion() };
    if (!target.namespace) delete (next['metadata'] as Json)['namespace'];
    this.bumpGeneration(target.type, current, next);
    this.objects.set(this.key(target.type, target.namespace, target.name!), next);
    return structuredClone(next);
  }

  private bumpGeneration(type: ResourceType, before: Json, after: Json): void {
    if (!type.hasGeneration) return;
    const generation = Number((before['metadata'] as Json)['generation'] ?? 1);
    (after['metadata'] as Json)['generation'] = JSON.stringify(before['spec']) === JSON.stringify(after['spec']) ? generation : generation + 1;
  }

  private patch(target: Target, patch: Json): Json {
    const current = this.find(target);
    const currentMeta = current['metadata'] as Json;
    const patchMeta = isObject(patch['metadata']) ? patch['metadata'] : undefined;
    // A resourceVersion in a merge patch is an optimistic-concurrency precondition.
    if (patchMeta?.['resourceVersion'] !== undefined && patchMeta['resourceVersion'] !== currentMeta['resourceVersion']) throw this.conflict(target, target.name!);
    if (patchMeta?.['name'] !== undefined && patchMeta['name'] !== target.name) throw problem(400, 'BadRequest', `the name of the object (${String(patchMeta['name'])}) does not match the name on the URL (${target.name})`);
    if (target.subresource === 'scale') return this.patchScale(target, current, patch);
    if (target.subresource === 'status') throw problem(405, 'MethodNotAllowed', 'Prescale never writes status; the fake does not accept it');
    const unknownTop = Object.keys(patch).filter((k) => !['metadata', 'spec'].includes(k));
    if (unknownTop.length > 0) throw problem(400, 'BadRequest', `strict decoding error: unknown or read-only field(s) ${unknownTop.map((k) => `"${k}"`).join(', ')} (status is a subresource)`);
    const next = applyMergePatch(current, patch) as Json;
    this.validateOrThrow(target, next, target.name!);
    (next['metadata'] as Json)['resourceVersion'] = this.nextVersion();
    for (const fixed of ['uid', 'creationTimestamp', 'namespace', 'name']) (next['metadata'] as Json)[fixed] = currentMeta[fixed];
    if (!target.namespace) delete (next['metadata'] as Json)['namespace'];
    this.bumpGeneration(target.type, current, next);
    this.objects.set(this.key(target.type, target.namespace, target.name!), next);
    return structuredClone(next);
  }

  private patchScale(target: Target, current: Json, patch: Json): Json {
    const errors = unknownFields(patch, { apiVersion: true, kind: true, metadata: { name: true, namespace: true, resourceVersion: true, uid: true }, spec: { replicas: true } }, '');
    if (patch['kind'] !== undefined && patch['kind'] !== 'Scale') errors.push({ code: 400, field: 'kind', message: `kind must be Scale, got ${JSON.stringify(patch['kind'])}` });
    if (errors.length > 0) throw problem(400, 'BadRequest', `strict decoding error: ${errors.map((e) => e.message).join(', ')}`);
    const scale = applyMergePatch(this.scaleView(target.type, current), patch) as Json;
    const replicas = getPath(scale, 'spec.replicas');
    if (typeof replicas !== 'number') throw problem(400, 'BadRequest', `strict decoding error: spec.replicas: expected integer, got ${JSON.stringify(replicas)}`);
    if (!isNonNegativeInt(replicas)) {
      throw problem(422, 'Invalid', `Scale.autoscaling "${target.name}" is invalid: spec.replicas: Invalid value: ${replicas}: must be greater than or equal to 0`, {
        name: target.name, group: 'autoscaling', kind: 'Scale', causes: [{ reason: 'FieldValueInvalid', message: `Invalid value: ${replicas}: must be greater than or equal to 0`, field: 'spec.replicas' }],
      });
    }
    const next = structuredClone(current);
    setPath(next, target.type.scale!.specReplicasPath, replicas);
    (next['metadata'] as Json)['resourceVersion'] = this.nextVersion();
    this.bumpGeneration(target.type, current, next);
    this.objects.set(this.key(target.type, target.namespace, target.name!), next);
    return this.scaleView(target.type, next);
  }

  private scaleView(type: ResourceType, object: Json): Json {
    const scale = type.scale!;
    const metadata = object['metadata'] as Json;
    const selector = scale.labelSelectorPath ? selectorString(getPath(object, scale.labelSelectorPath)) : undefined;
    return {
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      metadata: { name: metadata['name'], namespace: metadata['namespace'], uid: metadata['uid'], resourceVersion: metadata['resourceVersion'], creationTimestamp: metadata['creationTimestamp'] },
      spec: { replicas: getPath(object, scale.specReplicasPath) ?? 0 },
      status: { replicas: getPath(object, scale.statusReplicasPath) ?? 0, ...(selector ? { selector } : {}) },
    };
  }
}

/** RFC3339 in whole seconds, as the API server writes metav1.Time. */
export function kubeTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
}

export { TIME as KUBE_TIME_PATTERN, MICRO_TIME as KUBE_MICRO_TIME_PATTERN };
