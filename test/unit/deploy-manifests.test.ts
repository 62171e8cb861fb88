/**
 * deploy/ as it is applied: the overlays (single, ha), each also with the optional APIService component, rendered by
 * the real `kubectl kustomize`, and every rendered object checked
 * - against the Kubernetes v1.33 OpenAPI schemas (kubernetes-models 4.5.1; KEDA v2.10 CRDs for the examples), which
 *   are structural only (unknown fields and bad names pass), so also
 * - against our own invariants: namespaces, the roles each overlay runs, non-root on a read-only root filesystem
 *   with writable volumes exactly where Prescale writes, probes on /healthz and /readyz on every role,
 *   requests and limits, PodDisruptionBudgets, the Service and APIService wiring, a config the real schema
 *   accepts, static RBAC limits, and the placeholder pool the config drives.
 * That the RBAC verbs are exactly the ones the code uses is derived from recorded API requests in
 * test/integration/deploy-rbac.test.ts; the Dockerfile and compose file are in deploy-container.test.ts.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as keda from '@kubernetes-models/keda/keda.sh/v1alpha1';
import * as core from 'kubernetes-models/v1';
import * as apps from 'kubernetes-models/apps/v1';
import * as apiregistration from 'kubernetes-models/apiregistration.k8s.io/v1';
import * as autoscaling from 'kubernetes-models/autoscaling/v2';
import * as policy from 'kubernetes-models/policy/v1';
import * as rbacModels from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import * as scheduling from 'kubernetes-models/scheduling.k8s.io/v1';
import { parseAllDocuments } from 'yaml';
import { parseConfig } from '../../src/config/load-config.js';
import type { PrescaleConfig } from '../../src/config/schema.js';
import { parseQuantity } from '../../src/kube/quantity.js';
import { DEPLOY_DIR, kustomize, kustomizeWith, parseObjects, type KubeObject } from '../support/kustomize.js';

const APISERVICE_COMPONENT = 'components/external-metrics-apiservice';
const LAYOUTS = ['single', 'ha', 'single+apiservice', 'ha+apiservice'] as const;
type Layout = (typeof LAYOUTS)[number];

type Rule = { apiGroups: string[]; resources: string[]; verbs: string[]; resourceNames?: string[] };
type EnvVar = { name: string; value?: string };
type Probe = { httpGet?: { path: string; port: string | number } };
type Mount = { name: string; mountPath: string; readOnly?: boolean };
interface Container {
  name: string;
  image: string;
  env?: EnvVar[];
  ports?: { name?: string; containerPort: number }[];
  startupProbe?: Probe;
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: { allowPrivilegeEscalation?: boolean; readOnlyRootFilesystem?: boolean; privileged?: boolean; runAsNonRoot?: boolean; capabilities?: { drop?: string[]; add?: string[] } };
  volumeMounts?: Mount[];
}
interface PodSpec {
  serviceAccountName?: string;
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number; runAsGroup?: number; fsGroup?: number; seccompProfile?: { type: string } };
  containers: Container[];
  volumes?: { name: string; emptyDir?: unknown; persistentVolumeClaim?: { claimName: string }; configMap?: { name: string } }[];
  topologySpreadConstraints?: { topologyKey: string; whenUnsatisfiable: string; labelSelector: { matchLabels: Record<string, string> } }[];
  affinity?: { podAntiAffinity?: { preferredDuringSchedulingIgnoredDuringExecution?: { podAffinityTerm: { topologyKey: string; labelSelector: { matchLabels: Record<string, string> } } }[]; requiredDuringSchedulingIgnoredDuringExecution?: unknown[] } };
}
interface DeploymentSpec {
  replicas: number;
  selector: { matchLabels: Record<string, string> };
  strategy?: { type: string };
  template: { metadata: { labels: Record<string, string> }; spec: PodSpec };
}

const rendered = {} as Record<Layout, KubeObject[]>;

beforeAll(async () => {
  const [single, ha, singleApi, haApi] = await Promise.all([
    kustomize('overlays/single'),
    kustomize('overlays/ha'),
    kustomizeWith(['overlays/single'], [APISERVICE_COMPONENT]),
    kustomizeWith(['overlays/ha'], [APISERVICE_COMPONENT]),
  ]);
  Object.assign(rendered, { single, ha, 'single+apiservice': singleApi, 'ha+apiservice': haApi });
}, 60_000);

const all = (layout: Layout, kind: string) => rendered[layout].filter((o) => o.kind === kind);
const one = (layout: Layout, kind: string, name: string) => {
  const found = rendered[layout].filter((o) => o.kind === kind && o.metadata.name === name);
  expect(found, `${layout}: ${kind} ${name}`).toHaveLength(1);
  return found[0]!;
};
const spec = <T>(o: KubeObject) => o['spec'] as T;
const env = (c: Container, name: string) => c.env?.find((e) => e.name === name)?.value;
const matches = (selector: Record<string, string>, labels: Record<string, string>) => Object.entries(selector).every(([k, v]) => labels[k] === v);

/** The Prescale Deployments (the ones whose container sets PRESCALE_ROLES), with their roles. */
function prescaleDeployments(layout: Layout): { deployment: KubeObject; spec: DeploymentSpec; container: Container; roles: string[] }[] {
  return all(layout, 'Deployment')
    .map((deployment) => ({ deployment, spec: spec<DeploymentSpec>(deployment) }))
    .filter(({ spec: s }) => s.template.spec.containers.some((c) => env(c, 'PRESCALE_ROLES') !== undefined))
    .map(({ deployment, spec: s }) => {
      expect(s.template.spec.containers, deployment.metadata.name).toHaveLength(1);
      const container = s.template.spec.containers[0]!;
      return { deployment, spec: s, container, roles: env(container, 'PRESCALE_ROLES')!.split(',') };
    });
}

/** The config the ConfigMap mounted by the pods holds, parsed by the real schema (no environment overrides). */
function mountedConfig(layout: Layout): PrescaleConfig {
  const names = new Set(prescaleDeployments(layout).map(({ spec: s }) => s.template.spec.volumes?.find((v) => v.configMap)?.configMap?.name));
  expect(names.size).toBe(1);
  const [name] = [...names];
  expect(name).toMatch(/^prescale-config-[a-z0-9]{10}$/); // the content hash: a config change rolls the pods
  const configMap = one(layout, 'ConfigMap', name!);
  const [doc] = parseAllDocuments((configMap['data'] as Record<string, string>)['prescale.yaml']!);
  return parseConfig(doc!.toJS(), {});
}

const MODELS: Record<string, Record<string, unknown>> = {
  v1: core,
  'apps/v1': apps,
  'apiregistration.k8s.io/v1': apiregistration,
  'autoscaling/v2': autoscaling,
  'policy/v1': policy,
  'rbac.authorization.k8s.io/v1': rbacModels,
  'scheduling.k8s.io/v1': scheduling,
  'keda.sh/v1alpha1': keda,
};

function validateSchema(object: KubeObject, where: string): void {
  const Model = MODELS[object.apiVersion]?.[object.kind] as (new (data: unknown) => { validate(): void }) | undefined;
  expect(Model, `${where}: no schema for ${object.apiVersion} ${object.kind}`).toBeDefined();
  expect(() => new Model!(object).validate(), `${where}: ${object.kind} ${object.metadata.name}`).not.toThrow();
}

describe('deploy/: kustomize overlays rendered by kubectl', () => {
  it('every rendered object, and every example, passes the Kubernetes v1.33 (and KEDA v2.10) schemas', () => {
    for (const layout of LAYOUTS) {
      expect(rendered[layout].length, layout).toBeGreaterThan(10);
      for (const object of rendered[layout]) validateSchema(object, layout);
    }
    const examples = readdirSync(join(DEPLOY_DIR, 'examples')).filter((f) => f.endsWith('.yaml'));
    expect(examples).toEqual(expect.arrayContaining(['keda-scaledobject.yaml', 'hpa-external-metric.yaml']));
    for (const file of examples) for (const object of parseObjects(readFileSync(join(DEPLOY_DIR, 'examples', file), 'utf8'), file)) validateSchema(object, file);
  });

  it('the schemas do reject a broken object (the check above can fail)', () => {
    const deployment = structuredClone(prescaleDeployments('single')[0]!.deployment);
    (deployment['spec'] as Record<string, unknown>)['replicas'] = 'two';
    expect(() => new apps.Deployment(deployment as never).validate()).toThrow(/replicas/);
  });

  it('namespaced objects live in prescale, except the front-proxy CA reader binding next to its Role in kube-system', () => {
    const clusterScoped = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'APIService', 'PriorityClass']);
    for (const layout of LAYOUTS) {
      for (const o of rendered[layout]) {
        expect(o.metadata.name, `${layout} ${o.kind}`).toMatch(/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/);
        const isReader = o.kind === 'RoleBinding' && (o['roleRef'] as { name: string }).name === 'extension-apiserver-authentication-reader';
        const expectedNamespace = clusterScoped.has(o.kind) ? undefined : isReader ? 'kube-system' : 'prescale';
        expect(o.metadata.namespace, `${layout} ${o.kind} ${o.metadata.name}`).toBe(expectedNamespace);
      }
      expect(one(layout, 'Namespace', 'prescale').metadata.labels?.['pod-security.kubernetes.io/enforce']).toBe('restricted');
    }
  });

  it('single runs one pod with every role; ha splits the roles with >= 2 api replicas', () => {
    const single = prescaleDeployments('single');
    expect(single.map((d) => [d.deployment.metadata.name, d.roles.sort(), d.spec.replicas])).toEqual([['prescale', ['api', 'scheduler', 'worker'], 1]]);
    const ha = Object.fromEntries(prescaleDeployments('ha').map((d) => [d.roles.join(','), { name: d.deployment.metadata.name, replicas: d.spec.replicas }]));
    expect(ha).toEqual({ api: { name: 'prescale-api', replicas: 2 }, worker: { name: 'prescale-worker', replicas: 1 }, scheduler: { name: 'prescale-scheduler', replicas: 1 } });
    for (const layout of LAYOUTS) {
      for (const { deployment, spec: s } of prescaleDeployments(layout)) {
        expect(s.template.metadata.labels, deployment.metadata.name).toMatchObject(s.selector.matchLabels);
        expect(s.template.spec.serviceAccountName).toBe('prescale');
      }
      // No two Deployments select each other's pods.
      const deployments = all(layout, 'Deployment').map((d) => spec<DeploymentSpec>(d));
      for (const [i, a] of deployments.entries()) for (const [j, b] of deployments.entries()) if (i !== j) expect(matches(a.selector.matchLabels, b.template.metadata.labels), layout).toBe(false);
    }
  });

  it('ha api: spread over nodes (topology spread DoNotSchedule on hostname, anti-affinity) and zones', () => {
    const api = prescaleDeployments('ha').find((d) => d.roles.includes('api'))!;
    const pod = api.spec.template.spec;
    const labels = api.spec.template.metadata.labels;
    const byKey = Object.fromEntries((pod.topologySpreadConstraints ?? []).map((t) => [t.topologyKey, t]));
    expect(byKey['kubernetes.io/hostname']?.whenUnsatisfiable).toBe('DoNotSchedule');
    expect(byKey['topology.kubernetes.io/zone']?.whenUnsatisfiable).toBe('ScheduleAnyway');
    for (const t of Object.values(byKey)) expect(matches(t.labelSelector.matchLabels, labels)).toBe(true);
    const anti = pod.affinity?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? [];
    expect(anti.map((a) => a.podAffinityTerm.topologyKey)).toEqual(['kubernetes.io/hostname']);
    expect(matches(anti[0]!.podAffinityTerm.labelSelector.matchLabels, labels)).toBe(true);
    // The selectors must not catch the worker or scheduler pods (they would skew the spread).
    for (const other of prescaleDeployments('ha').filter((d) => d.deployment.metadata.name !== api.deployment.metadata.name)) expect(matches(byKey['kubernetes.io/hostname']!.labelSelector.matchLabels, other.spec.template.metadata.labels)).toBe(false);
  });

  it('non-root on a read-only root filesystem, no privilege, every pod (placeholders too)', () => {
    const dockerUser = /^USER (\d+)(?::(\d+))?$/m.exec(readFileSync(join(DEPLOY_DIR, 'Dockerfile'), 'utf8'));
    expect(dockerUser).not.toBeNull();
    for (const layout of LAYOUTS) {
      const prescale = new Set(prescaleDeployments(layout).map((d) => d.deployment.metadata.name));
      for (const deployment of all(layout, 'Deployment')) {
        const pod = spec<DeploymentSpec>(deployment).template.spec;
        const where = `${layout} ${deployment.metadata.name}`;
        expect(pod.securityContext?.runAsNonRoot, where).toBe(true);
        expect(pod.securityContext?.runAsUser, where).toBeGreaterThan(0);
        expect(pod.securityContext?.seccompProfile?.type, where).toBe('RuntimeDefault');
        if (prescale.has(deployment.metadata.name)) {
          // The image's numeric USER, so runAsNonRoot holds whichever of the two sets the user.
          expect(pod.securityContext?.runAsUser, where).toBe(Number(dockerUser![1]));
          expect(pod.securityContext?.runAsGroup, where).toBe(Number(dockerUser![2]));
          expect(pod.securityContext?.fsGroup, where).toBe(Number(dockerUser![2]));
        }
        for (const c of pod.containers) {
          expect(c.securityContext?.allowPrivilegeEscalation, `${where} ${c.name}`).toBe(false);
          expect(c.securityContext?.readOnlyRootFilesystem, `${where} ${c.name}`).toBe(true);
          expect(c.securityContext?.privileged ?? false, `${where} ${c.name}`).toBe(false);
          expect(c.securityContext?.capabilities?.drop, `${where} ${c.name}`).toEqual(['ALL']);
          expect(c.securityContext?.capabilities?.add ?? [], `${where} ${c.name}`).toEqual([]);
        }
      }
    }
  });

  it('writable volumes exactly where Prescale writes: the model store and TMPDIR; the config read-only', () => {
    for (const layout of LAYOUTS) {
      for (const { deployment, spec: s, container, roles } of prescaleDeployments(layout)) {
        const where = `${layout} ${deployment.metadata.name}`;
        const volumes = new Map((s.template.spec.volumes ?? []).map((v) => [v.name, v]));
        const mounts = container.volumeMounts ?? [];
        for (const m of mounts) expect(volumes.has(m.name), `${where}: volume ${m.name}`).toBe(true);
        const writable = mounts.filter((m) => !m.readOnly);
        const modelsDir = env(container, 'PRESCALE_MODELS_DIR');
        const tmp = env(container, 'TMPDIR');
        expect(modelsDir, where).toBe('/var/lib/prescale/models');
        expect(tmp, where).toBe('/tmp');
        expect(writable.map((m) => m.mountPath).sort(), where).toEqual([modelsDir, tmp].sort());
        for (const m of writable) {
          const volume = volumes.get(m.name)!;
          expect(volume.emptyDir !== undefined || volume.persistentVolumeClaim !== undefined, `${where}: ${m.mountPath} is a writable volume`).toBe(true);
        }
        // The pod that trains keeps its models across restarts (PVC, one writer: Recreate); others need no PVC.
        const models = volumes.get(writable.find((m) => m.mountPath === modelsDir)!.name)!;
        if (roles.includes('worker')) {
          expect(models.persistentVolumeClaim?.claimName, where).toBe('prescale-models');
          expect(s.strategy?.type, where).toBe('Recreate');
          expect(s.replicas, where).toBe(1);
          one(layout, 'PersistentVolumeClaim', 'prescale-models');
        } else expect(models.emptyDir, where).toBeDefined();
        const config = mounts.find((m) => m.mountPath === '/etc/prescale');
        expect(config?.readOnly, where).toBe(true);
        expect(volumes.get(config!.name)?.configMap, where).toBeDefined();
        expect(env(container, 'PRESCALE_CONFIG'), where).toBe('/etc/prescale/prescale.yaml');
      }
    }
  });

  it('probes: liveness on /healthz and readiness on /readyz on every role (workers and the scheduler open a probe listener); the HTTPS port only where the api runs', () => {
    for (const layout of LAYOUTS) {
      for (const { deployment, container, roles } of prescaleDeployments(layout)) {
        const where = `${layout} ${deployment.metadata.name}`;
        const portNames = (container.ports ?? []).map((p) => p.name);
        expect(container.livenessProbe?.httpGet?.path, where).toBe('/healthz');
        expect(container.readinessProbe?.httpGet?.path, where).toBe('/readyz');
        expect(container.startupProbe?.httpGet?.path, where).toBe('/healthz');
        for (const probe of [container.livenessProbe, container.readinessProbe, container.startupProbe]) expect(portNames, where).toContain(probe!.httpGet!.port);
        expect(container.ports?.find((p) => p.name === 'http')?.containerPort, where).toBe(mountedConfig(layout).http.port);
        // The external metrics API (HTTPS) is served by the api role only.
        expect(portNames.includes('https'), where).toBe(roles.includes('api'));
      }
    }
  });

  it('requests and limits (cpu and memory) on every container, limits at or above requests', () => {
    for (const layout of LAYOUTS) {
      for (const deployment of all(layout, 'Deployment')) {
        for (const c of spec<DeploymentSpec>(deployment).template.spec.containers) {
          const where = `${layout} ${deployment.metadata.name} ${c.name}`;
          for (const resource of ['cpu', 'memory']) {
            const request = c.resources?.requests?.[resource];
            expect(request, `${where} requests.${resource}`).toBeDefined();
            // The placeholder holds room on a node: a CPU limit there would only throttle a pause container.
            if (resource === 'cpu' && deployment.metadata.name === 'capacity-placeholder') continue;
            const limit = c.resources?.limits?.[resource];
            expect(limit, `${where} limits.${resource}`).toBeDefined();
            expect(parseQuantity(limit!), where).toBeGreaterThanOrEqual(parseQuantity(request!));
          }
        }
      }
    }
  });

  it('PodDisruptionBudgets: each Prescale Deployment has exactly one; the ha api keeps one pod (minAvailable 1 < replicas)', () => {
    for (const layout of LAYOUTS) {
      const budgets = all(layout, 'PodDisruptionBudget').map((p) => ({ name: p.metadata.name, spec: spec<{ minAvailable?: number; maxUnavailable?: number; selector: { matchLabels: Record<string, string> } }>(p) }));
      expect(budgets.length, layout).toBeGreaterThan(0);
      for (const { deployment, spec: s, roles } of prescaleDeployments(layout)) {
        const covering = budgets.filter((b) => matches(b.spec.selector.matchLabels, s.template.metadata.labels));
        expect(covering.map((b) => b.name), `${layout} ${deployment.metadata.name}`).toHaveLength(1); // two PDBs on one pod block every eviction
        const budget = covering[0]!.spec;
        // A budget never blocks a node drain for good: some pod may always go.
        const podsThatMayGo = budget.minAvailable !== undefined ? s.replicas - budget.minAvailable : (budget.maxUnavailable ?? 0);
        expect(podsThatMayGo, `${layout} ${deployment.metadata.name}`).toBeGreaterThanOrEqual(1);
        // The HA api keeps one replica serving through a drain.
        expect(budget.minAvailable, `${layout} ${deployment.metadata.name}`).toBe(layout.startsWith('ha') && roles.includes('api') ? 1 : budget.minAvailable);
      }
    }
  });

  it('the api Service selects exactly the pods that run the api role, on ports they name', () => {
    for (const layout of LAYOUTS) {
      const service = spec<{ selector: Record<string, string>; ports: { name: string; port: number; targetPort: string }[] }>(one(layout, 'Service', 'prescale-api'));
      const selected = all(layout, 'Deployment').filter((d) => matches(service.selector, spec<DeploymentSpec>(d).template.metadata.labels)).map((d) => d.metadata.name);
      const api = prescaleDeployments(layout).filter((d) => d.roles.includes('api'));
      expect(selected.sort(), layout).toEqual(api.map((d) => d.deployment.metadata.name).sort());
      for (const port of service.ports) for (const { container } of api) expect((container.ports ?? []).map((p) => p.name), `${layout} ${port.name}`).toContain(port.targetPort);
    }
  });

  it('the ConfigMap holds a config the real schema accepts, for an in-cluster run reachable through the Service', () => {
    for (const layout of LAYOUTS) {
      const config = mountedConfig(layout);
      expect(config.kubernetes.mode).toBe('in-cluster');
      expect(config.http.host).toBe('0.0.0.0');
      expect(config.externalMetrics.enabled).toBe(true);
      expect(config.externalMetrics.host).toBe('0.0.0.0');
      const api = prescaleDeployments(layout).find((d) => d.roles.includes('api'))!;
      expect(api.container.ports?.find((p) => p.name === 'https')?.containerPort).toBe(config.externalMetrics.port);
    }
  });

  it('the APIService component registers external.metrics.k8s.io/v1beta1 on the Service https port; without it, no APIService', () => {
    for (const layout of ['single', 'ha'] as const) expect(all(layout, 'APIService')).toEqual([]);
    for (const layout of ['single+apiservice', 'ha+apiservice'] as const) {
      const apiService = one(layout, 'APIService', 'v1beta1.external.metrics.k8s.io');
      const s = spec<{ group: string; version: string; service: { name: string; namespace: string; port: number }; insecureSkipTLSVerify?: boolean; caBundle?: string }>(apiService);
      expect([s.group, s.version]).toEqual(['external.metrics.k8s.io', 'v1beta1']);
      expect(s.insecureSkipTLSVerify === true || !!s.caBundle).toBe(true);
      const service = one(layout, 'Service', s.service.name);
      expect(service.metadata.namespace).toBe(s.service.namespace);
      expect(spec<{ ports: { port: number; targetPort: string }[] }>(service).ports.find((p) => p.port === s.service.port)?.targetPort).toBe('https');
      // The HPA controller may read the group.
      const reader = one(layout, 'ClusterRoleBinding', 'prescale-external-metrics-reader');
      expect(reader['subjects']).toEqual([{ kind: 'ServiceAccount', name: 'horizontal-pod-autoscaler', namespace: 'kube-system' }]);
    }
    // The api reads the front-proxy CA whenever externalMetrics is enabled (the default), registered or not.
    for (const layout of LAYOUTS) {
      const binding = one(layout, 'RoleBinding', 'prescale-extension-apiserver-authentication-reader');
      expect(binding['roleRef']).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'extension-apiserver-authentication-reader' });
      expect(binding['subjects']).toEqual([{ kind: 'ServiceAccount', name: 'prescale', namespace: 'prescale' }]);
    }
  });

  it('RBAC: no wildcard or dangerous verbs, no secrets, other autoscalers only listed, bindings to the pods service account', () => {
    for (const layout of LAYOUTS) {
      one(layout, 'ServiceAccount', 'prescale');
      for (const role of [...all(layout, 'ClusterRole'), ...all(layout, 'Role')]) {
        for (const rule of role['rules'] as Rule[]) {
          expect(rule.verbs).not.toContain('*');
          for (const verb of rule.verbs) expect(['escalate', 'bind', 'impersonate', 'delete', 'deletecollection']).not.toContain(verb);
          // Prescale creates nothing but its Lease.
          expect(rule.verbs.includes('create') ? rule.resources : ['leases'], 'Prescale creates nothing but its Lease').toEqual(['leases']);
          expect(rule.resources).not.toContain('secrets');
          expect(rule.apiGroups).not.toContain('*');
          expect(rule.resources.includes('*') ? rule.apiGroups : ['external.metrics.k8s.io'], 'a wildcard resource only for the external metrics the HPA reads').toEqual(['external.metrics.k8s.io']);
        }
      }
      const rules = one(layout, 'ClusterRole', 'prescale')['rules'] as Rule[];
      const autoscalerVerbs = rules.filter((r) => r.resources.some((res) => res === 'horizontalpodautoscalers' || res === 'scaledobjects')).flatMap((r) => r.verbs);
      expect(new Set(autoscalerVerbs)).toEqual(new Set(['list']));
      // Every binding but the HPA controller's read access to the external metrics (the APIService component).
      for (const binding of [...all(layout, 'ClusterRoleBinding'), ...all(layout, 'RoleBinding')].filter((b) => (b['roleRef'] as { name: string }).name !== 'prescale-external-metrics-reader')) {
        expect(binding['subjects'], binding.metadata.name).toEqual([{ kind: 'ServiceAccount', name: 'prescale', namespace: 'prescale' }]);
      }
      const config = mountedConfig(layout);
      const leaseRole = one(layout, 'Role', 'prescale-leader-election');
      expect(leaseRole.metadata.namespace).toBe(config.kubernetes.leaseNamespace);
      expect((leaseRole['rules'] as Rule[]).find((r) => r.verbs.includes('update'))?.resourceNames).toEqual([config.kubernetes.leaseName]);
    }
  });

  it('placeholder pods: low priority the cluster autoscaler still acts on, the Deployment the config drives', () => {
    for (const layout of LAYOUTS) {
      const priority = one(layout, 'PriorityClass', 'prescale-placeholder');
      expect(priority['value']).toBeLessThan(0);
      expect(priority['value']).toBeGreaterThanOrEqual(-10); // CA's default --expendable-pods-priority-cutoff
      expect(priority['globalDefault']).toBe(false);
      const config = mountedConfig(layout);
      const pool = config.nodePools.find((p) => p.driver.type === 'placeholder')!;
      const driver = pool.driver as { namespace: string; deployment: string };
      const deployment = one(layout, 'Deployment', driver.deployment);
      expect(deployment.metadata.namespace).toBe(driver.namespace);
      const s = spec<DeploymentSpec & { template: { spec: PodSpec & { priorityClassName: string; nodeSelector: Record<string, string>; automountServiceAccountToken: boolean } } }>(deployment);
      expect(s.template.spec.priorityClassName).toBe(priority.metadata.name);
      expect(s.replicas).toBe(0);
      expect(s.template.spec.containers[0]!.image).toMatch(/^registry\.k8s\.io\/pause:/);
      expect(s.template.spec.automountServiceAccountToken).toBe(false);
      expect(s.template.spec.nodeSelector).toEqual(pool.nodeSelector);
    }
  });
});
