/**
 * The manifests in deploy/ are parsed and checked for the invariants that matter: least-privilege RBAC that
 * still covers every call src/kube makes, an APIService that points at a real Service port, a config that
 * the real schema accepts, and placeholder pods the cluster autoscaler will act on.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import * as keda from '@kubernetes-models/keda/keda.sh/v1alpha1';
import * as core from 'kubernetes-models/v1';
import * as apps from 'kubernetes-models/apps/v1';
import * as apiregistration from 'kubernetes-models/apiregistration.k8s.io/v1';
import * as autoscaling from 'kubernetes-models/autoscaling/v2';
import * as policy from 'kubernetes-models/policy/v1';
import * as rbacModels from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import * as scheduling from 'kubernetes-models/scheduling.k8s.io/v1';
import { parseConfig } from '../../src/config/load-config.js';
import { REPO_ROOT } from '../../src/core/paths.js';

type Doc = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string }; [key: string]: unknown };
type Rule = { apiGroups: string[]; resources: string[]; verbs: string[]; resourceNames?: string[] };

function load(file: string): Doc[] {
  const docs = parseAllDocuments(readFileSync(join(REPO_ROOT, 'deploy', file), 'utf8'));
  for (const doc of docs) expect(doc.errors, `${file}: ${doc.errors.map((e) => e.message).join('; ')}`).toEqual([]);
  return docs.map((d) => d.toJS() as Doc).filter(Boolean);
}

const rbac = load('rbac.yaml');
const app = load('deployment.yaml');
const apiService = load('apiservice.yaml');
const placeholder = load('placeholder-pause.yaml');
const all = [...rbac, ...app, ...apiService, ...placeholder];
const find = (docs: Doc[], kind: string, name: string) => docs.find((d) => d.kind === kind && d.metadata.name === name);

/** What a role grants, as "group/resource:verb" strings. */
function grants(rules: Rule[]): Set<string> {
  const out = new Set<string>();
  for (const r of rules) for (const g of r.apiGroups) for (const res of r.resources) for (const v of r.verbs) out.add(`${g}/${res}:${v}`);
  return out;
}

describe('deploy manifests', () => {
  it('every document names its apiVersion, kind and name; namespaced objects live in prescale', () => {
    const clusterScoped = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'APIService', 'PriorityClass']);
    for (const doc of all) {
      expect(doc.apiVersion, JSON.stringify(doc.metadata)).toBeTruthy();
      expect(doc.metadata?.name).toMatch(/^[a-z0-9.-]+$/);
      // The one exception: reading the front-proxy CA needs a RoleBinding next to its Role in kube-system.
      const home = doc.kind === 'RoleBinding' && (doc['roleRef'] as { name?: string } | undefined)?.name === 'extension-apiserver-authentication-reader' ? 'kube-system' : 'prescale';
      if (!clusterScoped.has(doc.kind)) expect(doc.metadata.namespace, `${doc.kind} ${doc.metadata.name}`).toBe(home);
    }
  });

  it('RBAC: no wildcard verbs or dangerous verbs, no secrets, no whole-object writes on workloads', () => {
    for (const doc of [...rbac, ...apiService].filter((d) => d.kind === 'ClusterRole' || d.kind === 'Role')) {
      for (const rule of doc['rules'] as Rule[]) {
        expect(rule.verbs).not.toContain('*');
        for (const verb of rule.verbs) expect(['escalate', 'bind', 'impersonate', 'delete', 'deletecollection']).not.toContain(verb);
        expect(rule.resources).not.toContain('secrets');
        expect(rule.apiGroups).not.toContain('*');
        if (rule.resources.includes('*')) expect(rule.apiGroups).toEqual(['external.metrics.k8s.io']);
      }
    }
    const cluster = grants((find(rbac, 'ClusterRole', 'prescale')!['rules'] as Rule[]));
    // HPAs and ScaledObjects are only read: Prescale never changes another autoscaler.
    expect([...cluster].filter((g) => /^(autoscaling\/horizontalpodautoscalers|keda\.sh\/scaledobjects):/.test(g)).sort()).toEqual([
      'autoscaling/horizontalpodautoscalers:get', 'autoscaling/horizontalpodautoscalers:list', 'keda.sh/scaledobjects:get', 'keda.sh/scaledobjects:list',
    ]);
    for (const resource of ['deployments', 'statefulsets']) {
      expect(cluster.has(`apps/${resource}:update`)).toBe(false);
      expect(cluster.has(`apps/${resource}:create`)).toBe(false);
    }
  });

  it('RBAC covers every call the Kubernetes adapters make', () => {
    const cluster = grants((find(rbac, 'ClusterRole', 'prescale')!['rules'] as Rule[]));
    // src/kube/kube-actuator.ts, metrics-collector.ts, lead-times.ts
    const needed = [
      'apps/deployments:get', 'apps/statefulsets:get', 'apps/deployments:patch', 'apps/statefulsets:patch',
      'apps/deployments/scale:get', 'apps/deployments/scale:patch', 'apps/statefulsets/scale:get', 'apps/statefulsets/scale:patch',
      '/pods:list', '/nodes:list', 'metrics.k8s.io/pods:list', 'metrics.k8s.io/nodes:list',
      'autoscaling.x-k8s.io/capacitybuffers:get', 'autoscaling.x-k8s.io/capacitybuffers:patch',
      'cluster.x-k8s.io/machinedeployments:get', 'cluster.x-k8s.io/machinedeployments/scale:patch',
      'karpenter.sh/nodepools:get', 'karpenter.sh/nodepools:patch',
      // src/kube/autoscalers.ts: other writers of replicas, listed, never written.
      'autoscaling/horizontalpodautoscalers:list', 'keda.sh/scaledobjects:list',
    ];
    expect(needed.filter((n) => !cluster.has(n))).toEqual([]);
    // Leases only in Prescale's namespace, only the verbs leader-election.ts uses.
    const role = find(rbac, 'Role', 'prescale-leader-election')!;
    const leaseRules = role['rules'] as Rule[];
    expect(new Set(leaseRules.flatMap((r) => r.verbs))).toEqual(new Set(['get', 'create', 'update']));
    expect([...cluster].some((g) => g.startsWith('coordination.k8s.io/'))).toBe(false);
    const config = parseConfig(parseDocument(app), {});
    expect(leaseRules.find((r) => r.verbs.includes('update'))?.resourceNames).toEqual([config.kubernetes.leaseName]);
    expect(role.metadata.namespace).toBe(config.kubernetes.leaseNamespace);
    // Bindings point at the service account the pods run as.
    for (const binding of rbac.filter((d) => d.kind.endsWith('Binding'))) expect(binding['subjects']).toEqual([{ kind: 'ServiceAccount', name: 'prescale', namespace: 'prescale' }]);
  });

  it('the APIService registers external.metrics.k8s.io/v1beta1 on a real Service port', () => {
    const service = apiService.find((d) => d.kind === 'APIService')!;
    expect(service.apiVersion).toBe('apiregistration.k8s.io/v1');
    expect(service.metadata.name).toBe('v1beta1.external.metrics.k8s.io');
    const spec = service['spec'] as { group: string; version: string; service: { name: string; namespace: string; port: number }; insecureSkipTLSVerify?: boolean; caBundle?: string };
    expect([spec.group, spec.version]).toEqual(['external.metrics.k8s.io', 'v1beta1']);
    expect(spec.insecureSkipTLSVerify === true || !!spec.caBundle).toBe(true);
    const target = find(app, 'Service', spec.service.name)!;
    expect(target.metadata.namespace).toBe(spec.service.namespace);
    const port = (target['spec'] as { ports: { port: number; targetPort: string; name: string }[] }).ports.find((p) => p.port === spec.service.port);
    expect(port?.targetPort).toBe('https');
    const api = find(app, 'Deployment', 'prescale-api')!;
    const containerPorts = (api['spec'] as { template: { spec: { containers: { ports: { name: string }[] }[] } } }).template.spec.containers[0]!.ports.map((p) => p.name);
    expect(containerPorts).toContain('https');
  });

  it('roles: api runs 2 replicas; each Deployment runs one known role as the prescale service account', () => {
    const roles: Record<string, number> = {};
    for (const deployment of app.filter((d) => d.kind === 'Deployment')) {
      const spec = deployment['spec'] as { replicas: number; selector: { matchLabels: Record<string, string> }; template: { metadata: { labels: Record<string, string> }; spec: { serviceAccountName: string; containers: { env: { name: string; value?: string }[] }[] } } };
      expect(spec.template.spec.serviceAccountName).toBe('prescale');
      expect(spec.template.metadata.labels).toMatchObject(spec.selector.matchLabels);
      const role = spec.template.spec.containers[0]!.env.find((e) => e.name === 'PRESCALE_ROLES')?.value ?? '';
      expect(['api', 'worker', 'scheduler']).toContain(role);
      roles[role] = spec.replicas;
    }
    expect(roles).toEqual({ api: 2, worker: expect.any(Number), scheduler: 1 });
  });

  it('the ConfigMap holds a config the real schema accepts, for an in-cluster run', () => {
    const config = parseConfig(parseDocument(app), {});
    expect(config.kubernetes.mode).toBe('in-cluster');
    expect(config.http.host).toBe('0.0.0.0');
  });

  it('placeholder pods: low priority the cluster autoscaler still acts on, the Deployment the config drives', () => {
    const priority = placeholder.find((d) => d.kind === 'PriorityClass')!;
    expect(priority['value']).toBeLessThan(0);
    expect(priority['value']).toBeGreaterThanOrEqual(-10); // CA's default --expendable-pods-priority-cutoff
    expect(priority['globalDefault']).toBe(false);
    const deployment = placeholder.find((d) => d.kind === 'Deployment')!;
    const spec = deployment['spec'] as { replicas: number; template: { spec: { priorityClassName: string; nodeSelector: Record<string, string>; containers: { image: string }[] } } };
    expect(spec.template.spec.priorityClassName).toBe(priority.metadata.name);
    expect(spec.replicas).toBe(0);
    expect(spec.template.spec.containers[0]!.image).toMatch(/^registry\.k8s\.io\/pause:/);
    const config = parseConfig(parseDocument(app), {});
    const pool = config.nodePools.find((p) => p.driver.type === 'placeholder')!;
    expect(pool.driver).toEqual({ type: 'placeholder', namespace: deployment.metadata.namespace, deployment: deployment.metadata.name });
    expect(spec.template.spec.nodeSelector).toEqual(pool.nodeSelector);
  });

  it('every manifest in deploy/ and deploy/examples/ passes the Kubernetes v1.33 and KEDA v2.10 schemas (kubernetes-models)', () => {
    // Structural only (unknown fields and bad names pass); the semantic checks are the tests above and deploy-examples.test.ts.
    const models: Record<string, Record<string, unknown>> = { v1: core, 'apps/v1': apps, 'apiregistration.k8s.io/v1': apiregistration, 'autoscaling/v2': autoscaling, 'policy/v1': policy, 'rbac.authorization.k8s.io/v1': rbacModels, 'scheduling.k8s.io/v1': scheduling, 'keda.sh/v1alpha1': keda };
    const files = [...readdirSync(join(REPO_ROOT, 'deploy')).filter((f) => f.endsWith('.yaml')), ...readdirSync(join(REPO_ROOT, 'deploy', 'examples')).map((f) => `examples/${f}`)];
    expect(files).toEqual(expect.arrayContaining(['examples/keda-scaledobject.yaml', 'examples/hpa-external-metric.yaml']));
    for (const file of files) {
      for (const doc of load(file)) {
        const Model = models[doc.apiVersion]?.[doc.kind] as (new (data: unknown) => { validate(): void }) | undefined;
        expect(Model, `${file}: no schema for ${doc.apiVersion} ${doc.kind}`).toBeDefined();
        expect(() => new Model!(doc).validate(), `${file}: ${doc.kind} ${doc.metadata.name}`).not.toThrow();
      }
    }
  });

  it('the Dockerfile builds on node:20-slim, keeps optional dependencies and runs src/main.ts through tsx', () => {
    const dockerfile = readFileSync(join(REPO_ROOT, 'deploy', 'Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/^FROM node:20-slim$/m);
    expect(dockerfile).toMatch(/RUN npm ci\b/);
    expect(dockerfile.split('\n').filter((l) => l.startsWith('RUN')).join('\n')).not.toMatch(/--omit=optional/);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^CMD \["node", "--import", "tsx", "src\/main\.ts"\]$/m);
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    expect(pkg.dependencies['tsx']).toBeTruthy(); // --omit=dev keeps it
  });
});

function parseDocument(docs: Doc[]): unknown {
  const configMap = find(docs, 'ConfigMap', 'prescale-config')!;
  const [only] = parseAllDocuments((configMap['data'] as Record<string, string>)['prescale.yaml']!);
  return only!.toJS();
}
