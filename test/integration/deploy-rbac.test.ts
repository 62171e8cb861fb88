/**
 * The RBAC that deploy/ grants is exactly what the code uses, derived rather than kept by hand: every adapter that
 * talks to the Kubernetes API runs against the strict fake API server (test/support/fake-kube-api.ts), through each
 * path it has (actuator reads, scale with a conflict and its re-read, rolling restarts, all four node-pool drivers,
 * the other-autoscaler listing, the metrics collector, the lead-time observer, leader election from create to
 * release with the fence read, the front-proxy CA ConfigMap read of the external metrics API). Every recorded
 * request becomes (apiGroup, resource[/subresource], verb, namespace, name), and is compared with the rules the
 * rendered overlay binds to the prescale service account (`kubectl kustomize deploy/overlays/ha`):
 * - every request is allowed by some rule (a ClusterRole anywhere, a Role in its namespace, resourceNames honoured);
 * - every granted (group, resource, verb) is used by some request, except the documented GRANTED_UNUSED.
 * A new source file that imports @kubernetes/client-node must be classified below (exercised here or making no
 * API calls), so a new caller cannot slip past the derivation.
 *
 * Left out: targets of a custom kind with a /scale subresource need a rule the operator adds (rbac.yaml shows it);
 * the last test shows the derivation names exactly that rule as missing.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { parseConfig } from '../../src/config/load-config.js';
import type { PrescaleConfig } from '../../src/config/schema.js';
import { REPO_ROOT } from '../../src/core/paths.js';
import { requestHeaderLoader } from '../../src/external-metrics/request-header-source.js';
import { KubeActuator } from '../../src/kube/kube-actuator.js';
import { createKubeAdapters } from '../../src/kube/kube-adapters.js';
import { explicitKubeConfig } from '../../src/kube/kube-config.js';
import { DEFAULT_RESOURCE_TYPES, FakeKubeApi, kubeTime, type RecordedRequest } from '../support/fake-kube-api.js';
import { deployment, hpa, node, pod, scaledObject } from '../support/kube-objects.js';
import { kustomize, type KubeObject } from '../support/kustomize.js';

type Rule = { apiGroups: string[]; resources: string[]; verbs: string[]; resourceNames?: string[] };

/** What the API server's authorizer sees of a request. */
interface Access {
  group: string;
  /** `deployments`, or `deployments/scale` for a subresource. */
  resource: string;
  verb: string;
  namespace?: string;
  name?: string;
}

/** Granted but not exercised, with the reason. None today: a grant nobody uses is removed. */
const GRANTED_UNUSED: { access: string; why: string }[] = [];

/**
 * Source files that import @kubernetes/client-node. EXERCISED ones make API calls and run in this test; the
 * others use only its types, KubeConfig or ApiException.
 */
const EXERCISED = ['src/kube/kube-actuator.ts', 'src/kube/autoscalers.ts', 'src/kube/kube-clients.ts', 'src/kube/lead-times.ts', 'src/kube/leader-election.ts', 'src/kube/metrics-collector.ts', 'src/external-metrics/request-header-source.ts'];
const NO_API_CALLS = ['src/kube/kube-config.ts', 'src/kube/kube-request.ts', 'src/kube/node-pools.ts', 'src/kube/workloads.ts', 'src/external-metrics/server.ts'];

/**
 * kube-apiserver's bootstrap Role kube-system/extension-apiserver-authentication-reader (not ours, so not checked for
 * unused verbs): get, list, watch on that one ConfigMap.
 */
const AUTH_READER_RULES: Rule[] = [{ apiGroups: [''], resources: ['configmaps'], resourceNames: ['extension-apiserver-authentication'], verbs: ['get', 'list', 'watch'] }];

/** Maps a recorded request to what RBAC authorizes: method -> verb, path -> group, resource, namespace, name. */
function accessOf(request: Pick<RecordedRequest, 'method' | 'path' | 'query'>): Access {
  const parts = request.path.split('/').filter(Boolean).map(decodeURIComponent);
  let group: string;
  let rest: string[];
  if (parts[0] === 'api') [group, rest] = ['', parts.slice(2)];
  else if (parts[0] === 'apis') [group, rest] = [parts[1]!, parts.slice(3)];
  else throw new Error(`not a resource path: ${request.path}`);
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3) [namespace, rest] = [rest[1], rest.slice(2)];
  const [resource, name, subresource] = rest;
  if (!resource) throw new Error(`no resource in ${request.path}`);
  const verbs: Record<string, string> = { POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: name ? 'delete' : 'deletecollection' };
  const verb = request.method === 'GET' ? (name ? 'get' : request.query['watch'] === 'true' ? 'watch' : 'list') : verbs[request.method];
  if (!verb) throw new Error(`no verb for ${request.method}`);
  return { group, resource: subresource ? `${resource}/${subresource}` : resource, verb, ...(namespace ? { namespace } : {}), ...(name ? { name } : {}) };
}

const describeAccess = (a: Access) => `${a.group || 'core'}/${a.resource}:${a.verb}${a.namespace ? ` in ${a.namespace}` : ''}${a.name ? ` (${a.name})` : ''}`;

function ruleAllows(rule: Rule, access: Access): boolean {
  if (!rule.apiGroups.includes(access.group) || !rule.resources.includes(access.resource) || !rule.verbs.includes(access.verb)) return false;
  // resourceNames cannot grant create or list: those requests carry no name.
  return !rule.resourceNames?.length || (access.name !== undefined && rule.resourceNames.includes(access.name));
}

interface Grants {
  /** Bound cluster-wide (ClusterRoleBinding -> ClusterRole). */
  cluster: Rule[];
  /** Bound in one namespace (RoleBinding -> Role), ours. */
  namespaced: { namespace: string; rules: Rule[] }[];
  /** Bound in one namespace to a role we do not own. */
  external: { namespace: string; rules: Rule[] }[];
}

/** The rules the rendered objects bind to ServiceAccount prescale/prescale. */
function grantsOf(objects: KubeObject[]): Grants {
  const isOurs = (b: KubeObject) => (b['subjects'] as { kind: string; name: string; namespace?: string }[]).some((s) => s.kind === 'ServiceAccount' && s.name === 'prescale' && s.namespace === 'prescale');
  const roleRef = (b: KubeObject) => b['roleRef'] as { kind: string; name: string };
  const grants: Grants = { cluster: [], namespaced: [], external: [] };
  for (const binding of objects.filter((o) => o.kind === 'ClusterRoleBinding' && isOurs(o))) {
    const role = objects.find((o) => o.kind === 'ClusterRole' && o.metadata.name === roleRef(binding).name);
    expect(role, `ClusterRole ${roleRef(binding).name}`).toBeDefined();
    grants.cluster.push(...(role!['rules'] as Rule[]));
  }
  for (const binding of objects.filter((o) => o.kind === 'RoleBinding' && isOurs(o))) {
    const namespace = binding.metadata.namespace!;
    const role = objects.find((o) => o.kind === roleRef(binding).kind && o.metadata.name === roleRef(binding).name && (o.kind === 'ClusterRole' || o.metadata.namespace === namespace));
    if (role) grants.namespaced.push({ namespace, rules: role['rules'] as Rule[] });
    else {
      expect(roleRef(binding).name, 'the only role bound that the manifests do not define').toBe('extension-apiserver-authentication-reader');
      grants.external.push({ namespace, rules: AUTH_READER_RULES });
    }
  }
  return grants;
}

function allowed(grants: Grants, access: Access): boolean {
  return grants.cluster.some((r) => ruleAllows(r, access)) || [...grants.namespaced, ...grants.external].some((g) => g.namespace === access.namespace && g.rules.some((r) => ruleAllows(r, access)));
}

/** Each (group, resource, verb) our own roles grant, with the namespace it holds in (cluster-wide: undefined). */
function grantedTriples(grants: Grants): { rule: Rule; group: string; resource: string; verb: string; namespace?: string }[] {
  const out: { rule: Rule; group: string; resource: string; verb: string; namespace?: string }[] = [];
  const add = (rules: Rule[], namespace?: string) => {
    for (const rule of rules) for (const group of rule.apiGroups) for (const resource of rule.resources) for (const verb of rule.verbs) out.push({ rule, group, resource, verb, ...(namespace ? { namespace } : {}) });
  };
  add(grants.cluster);
  for (const g of grants.namespaced) add(g.rules, g.namespace);
  return out;
}

const T0 = Date.parse('2026-11-27T10:00:00Z');
let fake: FakeKubeApi;
let rendered: KubeObject[];
let deployed: PrescaleConfig;

/** A config with every target kind and node-pool driver the ClusterRole provides for, and the deployed Lease. */
function exerciseConfig(extraTargets: Record<string, unknown>[] = []): PrescaleConfig {
  const target = (name: string, kind: string) => ({ name, namespace: 'shop', kind, load: { measurement: 'http_requests', field: 'requests' }, capacityPerReplica: 100, maxReplicas: 20, nodePool: 'general', podRequests: { cpu: 0.5, memoryMiB: 512 } });
  const pool = (name: string, driver: Record<string, unknown>, nodeSelector?: Record<string, string>) => ({ name, allocatable: { cpu: 4, memoryMiB: 16384 }, maxNodes: 10, driver, ...(nodeSelector ? { nodeSelector } : {}) });
  return parseConfig({
    kubernetes: { mode: 'in-cluster', leaseName: deployed.kubernetes.leaseName, leaseNamespace: deployed.kubernetes.leaseNamespace },
    targets: [target('web', 'Deployment'), target('db', 'StatefulSet'), ...extraTargets],
    nodePools: [
      pool('general', { type: 'placeholder', namespace: 'prescale', deployment: 'capacity-placeholder' }, { pool: 'general' }),
      pool('buffered', { type: 'capacity-buffer', namespace: 'prescale', buffer: 'headroom' }, { pool: 'buffered' }),
      pool('capi', { type: 'cluster-api', namespace: 'capi-system', machineDeployment: 'workers' }, { pool: 'capi' }),
      pool('karp', { type: 'karpenter-static', nodePool: 'static' }),
    ],
  }, {});
}

beforeAll(async () => {
  rendered = await kustomize('overlays/ha');
  const configMap = rendered.find((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('prescale-config'))!;
  deployed = parseConfig(parseAllDocuments((configMap['data'] as Record<string, string>)['prescale.yaml']!)[0]!.toJS(), {});

  fake = await FakeKubeApi.start({ resourceTypes: [...DEFAULT_RESOURCE_TYPES, { group: '', version: 'v1', resource: 'configmaps', kind: 'ConfigMap', namespaced: true }] });
  fake.seed(deployment({ namespace: 'shop', name: 'web', replicas: 2 }));
  fake.seed(deployment({ namespace: 'shop', name: 'db', replicas: 1 }, 'StatefulSet'));
  fake.seed(deployment({ namespace: 'prescale', name: 'capacity-placeholder', replicas: 0, labels: { app: 'placeholder' } }));
  fake.seed(pod({ namespace: 'shop', name: 'web-1', labels: { app: 'web' }, phase: 'Running', createdAt: T0 - 120_000, readyAt: T0 - 60_000, nodeName: 'n1' }));
  fake.seed(pod({ namespace: 'shop', name: 'db-0', labels: { app: 'db' }, phase: 'Pending', unschedulable: true, createdAt: T0 - 30_000 }));
  for (const [name, labels] of [['n1', { pool: 'general' }], ['n2', { pool: 'buffered' }], ['n3', { pool: 'capi' }], ['n4', { 'karpenter.sh/nodepool': 'static' }]] as const) {
    fake.seed(node({ name, labels, ready: true, createdAt: T0 - 600_000, readyAt: T0 - 400_000 }));
    fake.seed({ apiVersion: 'metrics.k8s.io/v1beta1', kind: 'NodeMetrics', metadata: { name }, timestamp: kubeTime(T0), window: '20s', usage: { cpu: '1', memory: '4Gi' } });
  }
  fake.seed({ apiVersion: 'metrics.k8s.io/v1beta1', kind: 'PodMetrics', metadata: { name: 'web-1', namespace: 'shop', labels: { app: 'web' } }, timestamp: kubeTime(T0), window: '15s', containers: [{ name: 'app', usage: { cpu: '250m', memory: '256Mi' } }] });
  fake.seed({ apiVersion: 'autoscaling.x-k8s.io/v1alpha1', kind: 'CapacityBuffer', metadata: { name: 'headroom', namespace: 'prescale' }, spec: { replicas: 1 } });
  fake.seed({ apiVersion: 'cluster.x-k8s.io/v1beta1', kind: 'MachineDeployment', metadata: { name: 'workers', namespace: 'capi-system' }, spec: { replicas: 2 }, status: { replicas: 2, selector: 'pool=capi' } });
  fake.seed({ apiVersion: 'karpenter.sh/v1', kind: 'NodePool', metadata: { name: 'static' }, spec: { replicas: 1 } });
  fake.seed(hpa({ namespace: 'shop', name: 'other', target: { name: 'other' } }));
  fake.seed(scaledObject({ namespace: 'shop', name: 'queue', target: { name: 'queue' } }));
  fake.seed({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace: 'kube-system', name: 'extension-apiserver-authentication' }, data: { 'requestheader-client-ca-file': 'PEM', 'requestheader-allowed-names': '["front-proxy-client"]' } });
}, 60_000);

afterAll(async () => {
  await fake?.close();
});

/** Runs every adapter through every path it has; returns the requests it made. */
async function exerciseEverything(config: PrescaleConfig): Promise<RecordedRequest[]> {
  const before = fake.requests.length;
  const explicit = { server: fake.url, token: fake.token };
  const adapters = createKubeAdapters(config, { identity: 'prescale-worker-0', explicit });
  // Leader election: create (the Lease does not exist yet), renew, the fence's read before an apply, release.
  expect(await adapters.elector.tryAcquireOrRenew()).toBe(true);
  expect(await adapters.elector.tryAcquireOrRenew()).toBe(true);
  expect((await adapters.elector.fence()).held).toBe(true);
  // The actuator, with fast retries so the conflict path (re-read /scale, patch again) runs quickly.
  const actuator = new KubeActuator({ kubeConfig: explicitKubeConfig(explicit), targets: config.targets, nodePools: config.nodePools, retry: { baseDelayMs: 1, maxDelayMs: 5 } });
  for (const target of config.targets) {
    const ref = { kind: target.kind, namespace: target.namespace, name: target.name };
    await actuator.getWorkload(ref);
    if (target.kind === 'Deployment' || target.kind === 'StatefulSet') {
      // As the controller would: the last change rolled out (a restart is refused during a rollout).
      fake.update('apps/v1', target.kind, target.namespace, target.name, (o) => {
        const replicas = (o['spec'] as { replicas: number }).replicas;
        o['status'] = { observedGeneration: (o['metadata'] as { generation: number }).generation, replicas, updatedReplicas: replicas, readyReplicas: replicas, availableReplicas: replicas };
      });
      await actuator.restartWorkload(ref, 'rbac derivation');
    }
    fake.inject({ method: 'PATCH', path: `/${target.name}/scale`, status: 409 });
    const outcome = await actuator.scaleWorkload(ref, 3);
    expect(outcome.attempts).toBe(2);
  }
  for (const pool of config.nodePools) {
    await actuator.getNodePool(pool.name);
    await actuator.scaleNodePool(pool.name, 3);
  }
  const listing = await actuator.listAutoscalers('shop');
  expect(listing.unchecked).toEqual([]);
  expect(listing.autoscalers.map((a) => a.name).sort()).toEqual(['other', 'queue']);
  // The collect job, the plan job's measured lead times.
  expect((await adapters.collector.collect()).length).toBeGreaterThan(0);
  for (const target of config.targets) await adapters.leadTimes.podStartupSamples({ kind: target.kind, namespace: target.namespace, name: target.name });
  for (const pool of config.nodePools) await adapters.leadTimes.nodeProvisioningSamples(pool.name);
  // The external metrics API's front-proxy settings (kube-system ConfigMap).
  expect((await requestHeaderLoader(deployed.externalMetrics, explicitKubeConfig(explicit))()).allowedNames).toEqual(['front-proxy-client']);
  await adapters.elector.stop();
  expect(fake.get('coordination.k8s.io/v1', 'Lease', config.kubernetes.leaseNamespace, config.kubernetes.leaseName)?.['spec']).toMatchObject({ holderIdentity: '' });
  return fake.requests.slice(before);
}

describe('RBAC derived from the requests the code makes (strict fake API server)', () => {
  let requests: RecordedRequest[];
  let accesses: Access[];

  beforeAll(async () => {
    requests = await exerciseEverything(exerciseConfig());
    accesses = requests.map(accessOf);
  }, 60_000);

  it('the exercise ran: every request was answered as planned (404 only for the Lease before it existed, 409 only where injected)', () => {
    const unexpected = requests.filter((r) => r.status >= 300 && !(r.status === 404 && r.method === 'GET' && r.path.includes('/leases/')) && r.status !== 409);
    expect(unexpected.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([]);
    expect(requests.filter((r) => r.status === 409)).toHaveLength(2);
  });

  it('accessOf maps methods and paths as the API server authorizes them', () => {
    expect(accessOf({ method: 'PATCH', path: '/apis/apps/v1/namespaces/shop/deployments/web/scale', query: {} })).toEqual({ group: 'apps', resource: 'deployments/scale', verb: 'patch', namespace: 'shop', name: 'web' });
    expect(accessOf({ method: 'GET', path: '/api/v1/pods', query: { fieldSelector: 'spec.nodeName=n1' } })).toEqual({ group: '', resource: 'pods', verb: 'list' });
    expect(accessOf({ method: 'GET', path: '/api/v1/namespaces/shop/pods', query: { watch: 'true' } })).toMatchObject({ verb: 'watch', namespace: 'shop' });
    expect(accessOf({ method: 'POST', path: '/apis/coordination.k8s.io/v1/namespaces/prescale/leases', query: {} })).toEqual({ group: 'coordination.k8s.io', resource: 'leases', verb: 'create', namespace: 'prescale' });
    expect(accessOf({ method: 'PUT', path: '/apis/karpenter.sh/v1/nodepools/static', query: {} })).toEqual({ group: 'karpenter.sh', resource: 'nodepools', verb: 'update', name: 'static' });
  });

  it('every request the code makes is allowed by the rendered RBAC', () => {
    const grants = grantsOf(rendered);
    const missing = [...new Set(accesses.filter((a) => !allowed(grants, a)).map(describeAccess))];
    expect(missing).toEqual([]);
  });

  it('every verb the rendered RBAC grants is used by the code (no grant beyond need)', () => {
    const grants = grantsOf(rendered);
    const unused = grantedTriples(grants)
      .filter((t) => !accesses.some((a) => a.group === t.group && a.resource === t.resource && a.verb === t.verb && (t.namespace === undefined || a.namespace === t.namespace) && ruleAllows(t.rule, a)))
      .map((t) => `${t.group || 'core'}/${t.resource}:${t.verb}${t.namespace ? ` in ${t.namespace}` : ''}`);
    expect([...new Set(unused)].sort()).toEqual(GRANTED_UNUSED.map((g) => g.access).sort());
  });

  it('what the code uses, in one list (the derivation in full)', () => {
    const used = [...new Set(accesses.map((a) => `${a.group || 'core'}/${a.resource}:${a.verb}`))].sort();
    expect(used).toEqual([
      'apps/deployments/scale:get', 'apps/deployments/scale:patch', 'apps/deployments:get', 'apps/deployments:patch',
      'apps/statefulsets/scale:get', 'apps/statefulsets/scale:patch', 'apps/statefulsets:get', 'apps/statefulsets:patch',
      'autoscaling.x-k8s.io/capacitybuffers:get', 'autoscaling.x-k8s.io/capacitybuffers:patch', 'autoscaling/horizontalpodautoscalers:list',
      'cluster.x-k8s.io/machinedeployments/scale:patch', 'cluster.x-k8s.io/machinedeployments:get',
      'coordination.k8s.io/leases:create', 'coordination.k8s.io/leases:get', 'coordination.k8s.io/leases:update',
      'core/configmaps:get', 'core/nodes:list', 'core/pods:list',
      'karpenter.sh/nodepools:get', 'karpenter.sh/nodepools:patch', 'keda.sh/scaledobjects:list',
      'metrics.k8s.io/nodes:list', 'metrics.k8s.io/pods:list',
    ]);
  });

  it('every source file that imports @kubernetes/client-node is exercised here or makes no API calls', () => {
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) walk(path);
        else if (entry.name.endsWith('.ts') && /from '@kubernetes\/client-node'/.test(readFileSync(path, 'utf8'))) files.push(relative(REPO_ROOT, path));
      }
    };
    for (const dir of ['src', 'jobs']) walk(join(REPO_ROOT, dir));
    expect(files.sort()).toEqual([...EXERCISED, ...NO_API_CALLS].sort());
  });

  it('a target of a custom kind needs exactly the /scale rule rbac.yaml shows in a comment (the derivation names what is missing)', async () => {
    fake.seed({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', metadata: { name: 'checkout', namespace: 'shop' }, spec: { replicas: 2 }, status: { replicas: 2, selector: 'app=checkout' } });
    const config = exerciseConfig([{ name: 'checkout', namespace: 'shop', kind: 'argoproj.io/v1alpha1/rollouts', load: { measurement: 'http_requests', field: 'requests' }, capacityPerReplica: 100, maxReplicas: 20, nodePool: 'general', podRequests: { cpu: 0.5, memoryMiB: 512 } }]);
    const grants = grantsOf(rendered);
    const missing = [...new Set((await exerciseEverything(config)).map(accessOf).filter((a) => !allowed(grants, a)).map((a) => `${a.group}/${a.resource}:${a.verb}`))].sort();
    expect(missing).toEqual(['argoproj.io/rollouts/scale:get', 'argoproj.io/rollouts/scale:patch']);
    const rbac = readFileSync(join(REPO_ROOT, 'deploy', 'base', 'rbac.yaml'), 'utf8');
    expect(rbac).toMatch(/# - apiGroups: \["argoproj\.io"\]\n\s*#\s+resources: \["rollouts\/scale"\]\n\s*#\s+verbs: \["get", "patch"\]/);
  });
});
