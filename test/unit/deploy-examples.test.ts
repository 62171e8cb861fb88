/**
 * The two ways deploy/examples/ wire Prescale's plan into a cluster, checked against Prescale itself (their
 * schemas are checked in deploy-manifests.test.ts):
 * - keda-scaledobject.yaml: the trigger's url reaches the api Service and a route the real app serves for a
 *   configured target, with the Secret's token as KEDA sends it, and its valueLocation reads the number the
 *   way KEDA does; the ScaledObject scales that same target, AverageValue with target 1.
 * - hpa-external-metric.yaml: the metric is one the external metrics API serves, and its selector (with the
 *   HPA's namespace) selects exactly one item: the scaled target's.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { createApp } from '../../src/api/create-app.js';
import { SimulatedCluster } from '../../src/cluster/simulated-cluster.js';
import { parseConfig } from '../../src/config/load-config.js';
import type { PrescaleConfig } from '../../src/config/schema.js';
import { ReplayClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import { REPO_ROOT } from '../../src/core/paths.js';
import { parseLabelSelector } from '../../src/external-metrics/label-selector.js';
import { externalMetricValues, METRIC_NAMES } from '../../src/external-metrics/metric-values.js';
import { createMemoryStore } from '../../src/metrics/memory-store.js';
import { startPublishedCache } from '../../src/publish/published-cache.js';
import type { PublishedPlan } from '../../src/publish/published-plan.js';
import { createMemoryPublishedPlanStore } from '../../src/publish/published-plan-store.js';
import { createMemoryCalendarStore } from '../../src/scaling/memory-calendar-store.js';
import { createMemoryStateStore } from '../../src/state/state-store.js';
import { kedaMetricValue } from '../support/gjson-path.js';
import { kustomize } from '../support/kustomize.js';

type Doc = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string }; spec?: Record<string, unknown>; [key: string]: unknown };

function load(file: string): Doc[] {
  return parseAllDocuments(readFileSync(join(REPO_ROOT, 'deploy', file), 'utf8')).map((d) => d.toJS() as Doc);
}

/** The ha overlay as kubectl renders it: its api Service and its config are what the examples point at. */
let deployment: Doc[] = [];
beforeAll(async () => {
  deployment = (await kustomize('overlays/ha')) as Doc[];
}, 60_000);
const keda = load('examples/keda-scaledobject.yaml');
const hpa = load('examples/hpa-external-metric.yaml');
const one = (docs: Doc[], kind: string) => {
  const found = docs.filter((d) => d.kind === kind);
  expect(found, kind).toHaveLength(1);
  return found[0]!;
};

/** The ConfigMap's config, with changes a deployment of the example makes (actuation, the KEDA token). */
function clusterConfig(changes: (raw: { targets: Record<string, unknown>[] } & Record<string, unknown>) => void = () => {}): PrescaleConfig {
  const configMap = deployment.find((d) => d.kind === 'ConfigMap' && d.metadata.name.startsWith('prescale-config-'))!;
  const raw = parseAllDocuments((configMap['data'] as Record<string, string>)['prescale.yaml']!)[0]!.toJS() as { targets: Record<string, unknown>[] } & Record<string, unknown>;
  changes(raw);
  return parseConfig(raw, {});
}

const T0 = Date.UTC(2026, 10, 30, 12);
const plan = (target: string): PublishedPlan => ({
  target,
  at: T0 - 2_000,
  loop: 'plan',
  actuation: 'keda',
  mode: 'predictive',
  plannedReplicas: 11,
  desiredReplicas: 10,
  readyReplicas: 10,
  quantile: 98,
  podLeadMs: 90_000,
  predictedNow: { at: T0 - 300_000, median: 1_800, quantile: 2_050 },
  predictedAhead: { at: T0, median: 1_900, quantile: 2_150 },
  forecastIssuedAt: T0 - 60_000,
  rule: 'forecast P98 2150 / 200 per replica',
});

describe('deploy/examples', () => {
  const servers: Server[] = [];
  afterAll(() => Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve())))));

  it('KEDA: the trigger reads hpaReplicas of the scaled target from a route Prescale serves, with the Secret as bearer token', async () => {
    const scaledObject = one(keda, 'ScaledObject');
    const auth = one(keda, 'TriggerAuthentication');
    const secret = one(keda, 'Secret');
    const spec = scaledObject.spec as { scaleTargetRef: { kind: string; name: string }; minReplicaCount: number; maxReplicaCount: number; triggers: { type: string; metricType: string; authenticationRef: { name: string }; metadata: Record<string, string> }[] };
    const [trigger] = spec.triggers;
    expect(spec.triggers).toHaveLength(1);
    expect([trigger!.type, trigger!.metricType, trigger!.metadata['targetValue'], trigger!.metadata['authMode']]).toEqual(['metrics-api', 'AverageValue', '1', 'bearer']);
    // Credentials: ScaledObject -> TriggerAuthentication (same namespace) -> Secret key, as parameter "token".
    expect(trigger!.authenticationRef.name).toBe(auth.metadata.name);
    expect(auth.metadata.namespace).toBe(scaledObject.metadata.namespace);
    const ref = (auth.spec as { secretTargetRef: { parameter: string; name: string; key: string }[] }).secretTargetRef;
    expect(ref).toEqual([{ parameter: 'token', name: secret.metadata.name, key: 'token' }]);
    expect(secret.metadata.namespace).toBe(scaledObject.metadata.namespace);
    const token = (secret['stringData'] as Record<string, string>)['token']!;

    // The url: the api Service's http port, and the KEDA route for the target the ScaledObject scales.
    const url = new URL(trigger!.metadata['url']!);
    const service = deployment.find((d) => d.kind === 'Service' && `${d.metadata.name}.${d.metadata.namespace}.svc` === url.hostname);
    expect(service, url.hostname).toBeDefined();
    const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
    expect((service!.spec as { ports: { name: string; port: number }[] }).ports.find((p) => p.port === port)?.name).toBe('http');
    const [, namespace, name] = /^\/api\/keda\/([^/]+)\/([^/]+)$/.exec(url.pathname) ?? [];
    expect([namespace, name]).toEqual([scaledObject.metadata.namespace, spec.scaleTargetRef.name]);

    // Prescale as the example says to run it: actuation keda, a read token equal to the Secret's.
    const config = clusterConfig((raw) => {
      raw.targets = raw.targets.map((t) => (t['name'] === name && t['namespace'] === namespace ? { ...t, actuation: 'keda' } : t));
      raw['api'] = { tokens: [{ name: 'keda', scopes: ['read'], token }] };
    });
    const target = config.targets.find((t) => t.namespace === namespace && t.name === name)!;
    expect(target.kind).toBe(spec.scaleTargetRef.kind);
    expect([spec.minReplicaCount, spec.maxReplicaCount]).toEqual([target.minReplicas, target.maxReplicas]);
    const plans = createMemoryPublishedPlanStore();
    await plans.put(plan(`${namespace}/${name}`));
    const published = startPublishedCache(plans, { refreshMs: 60_000 });
    await published.refresh();
    published.stop();
    const clock = new ReplayClock(T0);
    const server = createServer(createApp({ config, clock, logger: silentLogger, store: createMemoryStore(), state: createMemoryStateStore(), cluster: SimulatedCluster.fromConfig(clock, config), calendar: createMemoryCalendarStore(), published }));
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const local = `http://127.0.0.1:${(server.address() as AddressInfo).port}${url.pathname}`;
    expect((await fetch(local)).status).toBe(401);
    const response = await fetch(local, { headers: { authorization: `Bearer ${token}` } });
    expect(response.status).toBe(200);
    // 11 planned at 10 replicas: hpaReplicas reads 12, which KEDA's HPA (tolerance 0.1) acts on.
    expect(kedaMetricValue(await response.text(), trigger!.metadata['valueLocation']!)).toEqual({ value: 12, quantity: '12.000' });
  });

  it('HPA: the external metric is served and its selector picks exactly the scaled target', () => {
    const autoscaler = one(hpa, 'HorizontalPodAutoscaler');
    const spec = autoscaler.spec as {
      scaleTargetRef: { kind: string; name: string };
      minReplicas: number;
      maxReplicas: number;
      metrics: { type: string; external: { metric: { name: string; selector: { matchLabels: Record<string, string> } }; target: { type: string; averageValue: string } } }[];
      behavior: { scaleDown: { stabilizationWindowSeconds: number } };
    };
    expect(spec.metrics).toHaveLength(1);
    const { metric, target } = spec.metrics[0]!.external;
    expect(spec.metrics[0]!.type).toBe('External');
    expect(METRIC_NAMES).toContain(metric.name);
    expect(target).toEqual({ type: 'AverageValue', averageValue: '1' });
    expect(spec.behavior.scaleDown.stabilizationWindowSeconds).toBeLessThanOrEqual(60);

    const config = clusterConfig();
    const namespace = autoscaler.metadata.namespace!;
    const scaled = config.targets.find((t) => t.namespace === namespace && t.name === spec.scaleTargetRef.name)!;
    expect(scaled, `${namespace}/${spec.scaleTargetRef.name} is a configured target`).toBeDefined();
    expect(scaled.kind).toBe(spec.scaleTargetRef.kind);
    expect([spec.minReplicas, spec.maxReplicas]).toEqual([scaled.minReplicas, scaled.maxReplicas]);
    // The HPA controller sends matchLabels as a labelSelector query: k=v,...
    const selectorText = Object.entries(metric.selector.matchLabels).map(([k, v]) => `${k}=${v}`).join(',');
    const published = new Map([[`${namespace}/${scaled.name}`, plan(`${namespace}/${scaled.name}`)]]);
    const list = externalMetricValues(namespace, metric.name, parseLabelSelector(selectorText), selectorText, {
      targets: config.targets.map((t) => ({ namespace: t.namespace, name: t.name, kind: t.kind, quantile: t.quantile })),
      plans: published,
      now: T0,
      staleAfterMs: 45_000,
      hpaTolerance: config.externalMetrics.hpaTolerance,
    });
    expect(list.items).toHaveLength(1); // the HPA sums items: one, the target's own
    expect(list.items[0]!.metricLabels).toMatchObject({ target: scaled.name, namespace });
    expect(list.items[0]!.value).toBe('12'); // 11 planned at 10 replicas, published past the default tolerance
  });
});
