/**
 * The ClusterActuator on a real Kubernetes API server (@kubernetes/client-node 1.4).
 *
 * Replicas change only through the scale subresource with a JSON merge patch (so Prescale needs
 * `deployments/scale` patch, never update on whole Deployments); restarts patch the pod template annotation
 * `kubectl.kubernetes.io/restartedAt` as `kubectl rollout restart` does. Node pools are driven per
 * config `nodePools[].driver` (see node-pools.ts). Every call retries per kube-request.ts; every write request,
 * each retry included, first asks the caller's `mayWrite` (WriteOptions: the Lease fence), since the retries
 * (Retry-After, backoff, timeouts) can take longer than the Lease that was checked when the write began.
 *
 * Left out: watching (state is read when asked; a tick is seconds apart), JSON patch and server-side apply.
 */
import { AutoscalingV2Api, PatchStrategy, setHeaderOptions, type AppsV1Api, type CoreV1Api, type CustomObjectsApi, type KubeConfig, type V1Node, type V1Pod } from '@kubernetes/client-node';
import type { AutoscalerListing, ClusterActuator, NodePoolState, ScaleOutcome, WorkloadRef, WorkloadState, WriteOptions } from '../cluster/cluster.js';
import type { NodePoolConfig, TargetConfig } from '../config/schema.js';
import type { Clock } from '../core/clock.js';
import { InputError, ServiceError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { listAutoscalers } from './autoscalers.js';
import { createKubeClients, makeTimedApiClient, readScaleOnce, readWorkloadScale, type KubeClients, type ScaleObject } from './kube-clients.js';
import { callKube, describeRetry, type KubeCallContext, type RetryPolicy } from './kube-request.js';
import { CAPI_AUTOSCALER_ANNOTATIONS, headroomUnitsFor, isWorkloadPod, nodesAskedWithHeadroom, poolNodeSelector } from './node-pools.js';
import { deploymentState, isNodeSchedulable, isPodReady, isUnschedulable, labelSelector, parseWorkloadKind, statefulSetState } from './workloads.js';

export const RESTARTED_AT_ANNOTATION = 'kubectl.kubernetes.io/restartedAt';
export const RESTART_REASON_ANNOTATION = 'prescale.io/restart-reason';

const mergePatch = () => setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

interface CustomObject {
  metadata?: { resourceVersion?: string; annotations?: Record<string, string> };
  spec?: { replicas?: number };
  status?: { replicas?: number };
}

export interface KubeActuatorOptions {
  kubeConfig: KubeConfig;
  /** Targets, for which workloads run on which pool (pending pods count per pool). */
  targets: (Pick<TargetConfig, 'name' | 'namespace' | 'kind' | 'nodePool'> & { forecastOnly?: boolean })[];
  nodePools: (NodePoolConfig & { nodeSelector?: Record<string, string> })[];
  clock?: Clock;
  logger?: Logger;
  retry?: Partial<RetryPolicy>;
}

export class KubeActuator implements ClusterActuator {
  private readonly apps: AppsV1Api;
  private readonly core: CoreV1Api;
  private readonly custom: CustomObjectsApi;
  private readonly context: KubeCallContext;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly clients: KubeClients;
  private readonly autoscaling: AutoscalingV2Api;

  constructor(private readonly options: KubeActuatorOptions) {
    this.clients = createKubeClients(options);
    this.autoscaling = makeTimedApiClient(options.kubeConfig, AutoscalingV2Api, this.clients.context.retry.requestTimeoutMs);
    ({ apps: this.apps, core: this.core, custom: this.custom, context: this.context } = this.clients);
    this.clock = this.context.clock;
    this.logger = this.context.logger;
  }

  private call<T>(what: string, operation: () => Promise<T>): Promise<T> {
    return callKube(what, operation, this.context);
  }

  async getWorkload(ref: WorkloadRef): Promise<WorkloadState> {
    const api = parseWorkloadKind(ref.kind);
    const { namespace, name } = ref;
    if (api.kind === 'Deployment') return deploymentState(await this.call(`read deployment ${namespace}/${name}`, () => this.apps.readNamespacedDeployment({ namespace, name })));
    if (api.kind === 'StatefulSet') return statefulSetState(await this.call(`read statefulset ${namespace}/${name}`, () => this.apps.readNamespacedStatefulSet({ namespace, name })));
    const scale = await this.readScale(ref);
    // A custom resource's status varies by kind; its pods (the scale selector) are the common truth.
    const readyReplicas = scale.status?.selector ? (await this.listPods(namespace, scale.status.selector)).filter(isPodReady).length : (scale.status?.replicas ?? 0);
    return { desiredReplicas: scale.spec?.replicas ?? 0, readyReplicas, rolloutInProgress: false };
  }

  /**
   * Patches spec.replicas on /scale. A retry (after a 409, a 5xx, a 429 or a request that got no answer) first
   * reads /scale again and patches only if spec.replicas is not the value yet: an attempt whose answer was lost
   * may have been applied, and a conflict means someone else wrote. Each retry is reported in the outcome.
   * `mayWrite` is asked right before each PATCH (after the wait and the re-read), so a retry never leaves a
   * process that lost the Lease meanwhile; its refusal ends the call unchanged (no further retries).
   */
  async scaleWorkload(ref: WorkloadRef, replicas: number, options: WriteOptions = {}): Promise<ScaleOutcome> {
    if (!Number.isInteger(replicas) || replicas < 0) throw new InputError(`replicas must be an integer >= 0, got ${replicas}`, `${ref.namespace}/${ref.name}`);
    this.refuseIfForecastOnly(ref);
    const api = parseWorkloadKind(ref.kind);
    const { namespace, name } = ref;
    const body = { spec: { replicas } };
    const notes: string[] = [];
    let attempts = 0;
    let alreadyApplied = false;
    await callKube(
      `scale ${ref.kind} ${namespace}/${name} to ${replicas}`,
      async () => {
        attempts += 1;
        if (attempts > 1) {
          const found = (await readScaleOnce(this.clients, ref)).spec?.replicas;
          if (found === replicas) {
            alreadyApplied = true;
            notes.push(`re-read /scale before attempt ${attempts}: already ${replicas}, not patched again`);
            return;
          }
          notes.push(`re-read /scale before attempt ${attempts}: ${found ?? 'unset'}, patching`);
        }
        await options.mayWrite?.();
        if (api.kind === 'Deployment') await this.apps.patchNamespacedDeploymentScale({ namespace, name, body }, mergePatch());
        else if (api.kind === 'StatefulSet') await this.apps.patchNamespacedStatefulSetScale({ namespace, name, body }, mergePatch());
        else await this.custom.patchNamespacedCustomObjectScale({ group: api.group, version: api.version, plural: api.plural, namespace, name, body }, mergePatch());
      },
      this.context,
      (event) => notes.push(describeRetry(event)),
    );
    this.logger.info({ workload: `${namespace}/${name}`, kind: ref.kind, replicas, attempts, alreadyApplied }, 'scaled workload');
    return { attempts, alreadyApplied, notes };
  }

  async restartWorkload(ref: WorkloadRef, reason: string, options: WriteOptions = {}): Promise<void> {
    const api = parseWorkloadKind(ref.kind);
    if (api.kind === 'custom') throw new InputError(`rolling restart is supported for Deployment and StatefulSet, not ${ref.kind}`, `${ref.namespace}/${ref.name}`);
    this.refuseIfForecastOnly(ref);
    const state = await this.getWorkload(ref);
    if (state.rolloutInProgress) throw new ServiceError('kubernetes', this.context.server, `restart of ${ref.namespace}/${ref.name} skipped: a rollout is in progress`, true);
    const { namespace, name } = ref;
    const annotations = { [RESTARTED_AT_ANNOTATION]: new Date(this.clock.now()).toISOString(), [RESTART_REASON_ANNOTATION]: reason.slice(0, 250) };
    const body = { spec: { template: { metadata: { annotations } } } };
    await this.call(`restart ${ref.kind} ${namespace}/${name}`, async () => {
      await options.mayWrite?.();
      if (api.kind === 'Deployment') await this.apps.patchNamespacedDeployment({ namespace, name, body }, mergePatch());
      else await this.apps.patchNamespacedStatefulSet({ namespace, name, body }, mergePatch());
    });
    this.logger.info({ workload: `${namespace}/${name}`, reason }, 'restarted workload');
  }

  async getNodePool(poolName: string): Promise<NodePoolState> {
    const pool = this.pool(poolName);
    const nodes = await this.listNodes(pool);
    const readyNodes = nodes.filter(isNodeSchedulable).length;
    const pendingPods = await this.countPendingPods(poolName);
    const driver = pool.driver;
    let desiredNodes: number;
    switch (driver.type) {
      case 'placeholder': {
        const { units, placeholders } = await this.placeholderState(driver.namespace, driver.deployment);
        desiredNodes = nodesAskedWithHeadroom(await this.nodesUsedByWorkloads(nodes, placeholders), units);
        break;
      }
      case 'capacity-buffer': {
        const buffer = await this.readCapacityBuffer(driver.namespace, driver.buffer);
        desiredNodes = nodesAskedWithHeadroom(await this.nodesUsedByWorkloads(nodes, new Set()), buffer.spec?.replicas ?? 0);
        break;
      }
      case 'cluster-api':
        desiredNodes = (await this.readMachineDeployment(driver.namespace, driver.machineDeployment)).spec?.replicas ?? nodes.length;
        break;
      case 'karpenter-static':
        desiredNodes = (await this.readKarpenterNodePool(driver.nodePool)).spec?.replicas ?? nodes.length;
        break;
      default:
        desiredNodes = nodes.length;
    }
    return { desiredNodes, readyNodes, pendingPods };
  }

  async scaleNodePool(poolName: string, nodes: number, options: WriteOptions = {}): Promise<void> {
    if (!Number.isInteger(nodes) || nodes < 0) throw new InputError(`nodes must be an integer >= 0, got ${nodes}`, `nodePools.${poolName}`);
    const pool = this.pool(poolName);
    const driver = pool.driver;
    switch (driver.type) {
      case 'none':
        this.logger.info({ pool: poolName, nodes }, 'node pool driver "none": planned node count recorded, not applied');
        return;
      case 'simulated':
        throw new InputError('driver "simulated" works only with the simulated cluster', `nodePools.${poolName}.driver`);
      case 'placeholder': {
        const { placeholders } = await this.placeholderState(driver.namespace, driver.deployment);
        const used = await this.nodesUsedByWorkloads(await this.listNodes(pool), placeholders);
        await this.scaleWorkload({ kind: 'Deployment', namespace: driver.namespace, name: driver.deployment }, headroomUnitsFor(nodes, used), options);
        break;
      }
      case 'capacity-buffer': {
        const units = headroomUnitsFor(nodes, await this.nodesUsedByWorkloads(await this.listNodes(pool), new Set()));
        // Re-read inside the retried call so a 409 (someone else changed the buffer) works on fresh state.
        await this.call(`patch capacitybuffer ${driver.namespace}/${driver.buffer}`, async () => {
          const buffer = await this.readCapacityBuffer(driver.namespace, driver.buffer);
          await options.mayWrite?.();
          await this.custom.patchNamespacedCustomObject(
            { ...CAPACITY_BUFFERS, namespace: driver.namespace, name: driver.buffer, body: { metadata: { resourceVersion: buffer.metadata?.resourceVersion }, spec: { replicas: units } } },
            mergePatch(),
          );
        });
        break;
      }
      case 'cluster-api':
        await this.call(`scale machinedeployment ${driver.namespace}/${driver.machineDeployment}`, async () => {
          const md = await this.readMachineDeployment(driver.namespace, driver.machineDeployment);
          this.refuseIfAutoscaled(md, `MachineDeployment ${driver.namespace}/${driver.machineDeployment}`);
          await options.mayWrite?.();
          await this.custom.patchNamespacedCustomObjectScale({ ...MACHINE_DEPLOYMENTS, namespace: driver.namespace, name: driver.machineDeployment, body: { spec: { replicas: nodes } } }, mergePatch());
        });
        break;
      case 'karpenter-static':
        await this.call(`patch karpenter nodepool ${driver.nodePool}`, async () => {
          const nodePool = await this.readKarpenterNodePool(driver.nodePool);
          if (nodePool.spec?.replicas === undefined) {
            throw new ServiceError('kubernetes', this.context.server, `Karpenter NodePool ${driver.nodePool} has no spec.replicas: it is a dynamic pool that Karpenter owns; Prescale never resizes it (use the placeholder or capacity-buffer driver)`, false);
          }
          await options.mayWrite?.();
          await this.custom.patchClusterCustomObject({ ...KARPENTER_NODEPOOLS, name: driver.nodePool, body: { metadata: { resourceVersion: nodePool.metadata?.resourceVersion }, spec: { replicas: nodes } } }, mergePatch());
        });
        break;
    }
    this.logger.info({ pool: poolName, driver: driver.type, nodes }, 'scaled node pool');
  }

  /** HPAs and ScaledObjects in the namespace (see autoscalers.ts for what 403 and 404 mean). */
  listAutoscalers(namespace: string): Promise<AutoscalerListing> {
    return listAutoscalers({ autoscaling: this.autoscaling, custom: this.custom, context: this.context }, namespace);
  }

  /** Defence in depth: the engine never applies a forecast-only target; if it tried, say so loudly. */
  private refuseIfForecastOnly(ref: WorkloadRef): void {
    const target = this.options.targets.find((t) => t.namespace === ref.namespace && t.name === ref.name);
    if (target?.forecastOnly) throw new InputError('target is forecast-only: Prescale plans and records, never applies', `${ref.namespace}/${ref.name}`);
  }

  private refuseIfAutoscaled(object: CustomObject, what: string): void {
    const owned = CAPI_AUTOSCALER_ANNOTATIONS.filter((a) => object.metadata?.annotations?.[a] !== undefined);
    if (owned.length > 0) {
      throw new ServiceError('kubernetes', this.context.server, `${what} is owned by the cluster autoscaler (${owned.join(', ')}); Prescale never resizes it (use the placeholder or capacity-buffer driver)`, false);
    }
  }

  private pool(name: string): KubeActuatorOptions['nodePools'][number] {
    const pool = this.options.nodePools.find((p) => p.name === name);
    if (!pool) throw new InputError(`unknown node pool "${name}"; defined: ${this.options.nodePools.map((p) => p.name).join(', ') || 'none'}`, 'nodePool');
    return pool;
  }

  private readScale(ref: WorkloadRef): Promise<ScaleObject> {
    return readWorkloadScale(this.clients, ref);
  }

  private listPods(namespace: string, selector: string, fieldSelector?: string): Promise<V1Pod[]> {
    return this.call(`list pods ${namespace} ${selector}`, async () => (await this.core.listNamespacedPod({ namespace, labelSelector: selector, fieldSelector })).items);
  }

  private async listNodes(pool: KubeActuatorOptions['nodePools'][number]) {
    const selector = labelSelector(poolNodeSelector(pool));
    return this.call(`list nodes ${selector}`, async () => (await this.core.listNode({ labelSelector: selector })).items);
  }

  /** Unschedulable pods of the pool's targets, found through each target's scale selector. */
  private async countPendingPods(poolName: string): Promise<number> {
    let pending = 0;
    for (const target of this.options.targets.filter((t) => t.nodePool === poolName)) {
      const ref = { kind: target.kind, namespace: target.namespace, name: target.name };
      const selector = (await this.readScale(ref)).status?.selector;
      if (!selector) continue;
      pending += (await this.listPods(target.namespace, selector, 'status.phase=Pending')).filter(isUnschedulable).length;
    }
    return pending;
  }

  /** Placeholder units asked for (spec.replicas) and the placeholder pods (namespace/name) that exist. */
  private async placeholderState(namespace: string, deployment: string): Promise<{ units: number; placeholders: Set<string> }> {
    const scale = await this.readScale({ kind: 'Deployment', namespace, name: deployment });
    const pods = scale.status?.selector ? await this.listPods(namespace, scale.status.selector) : [];
    return { units: scale.spec?.replicas ?? 0, placeholders: new Set(pods.map((p) => `${namespace}/${p.metadata?.name}`)) };
  }

  /** Schedulable nodes running at least one workload pod (placeholders excluded): one list per node. */
  private async nodesUsedByWorkloads(nodes: V1Node[], placeholders: Set<string>): Promise<number> {
    let used = 0;
    for (const node of nodes.filter(isNodeSchedulable)) {
      const name = node.metadata?.name ?? '';
      const pods = await this.call(`list pods on node ${name}`, async () => (await this.core.listPodForAllNamespaces({ fieldSelector: `spec.nodeName=${name}` })).items);
      if (pods.some((p) => isWorkloadPod(p) && !placeholders.has(`${p.metadata?.namespace}/${p.metadata?.name}`))) used += 1;
    }
    return used;
  }

  private readCapacityBuffer(namespace: string, name: string): Promise<CustomObject> {
    return this.call(`read capacitybuffer ${namespace}/${name}`, async () => (await this.custom.getNamespacedCustomObject({ ...CAPACITY_BUFFERS, namespace, name })) as CustomObject);
  }

  private readMachineDeployment(namespace: string, name: string): Promise<CustomObject> {
    return this.call(`read machinedeployment ${namespace}/${name}`, async () => (await this.custom.getNamespacedCustomObject({ ...MACHINE_DEPLOYMENTS, namespace, name })) as CustomObject);
  }

  private readKarpenterNodePool(name: string): Promise<CustomObject> {
    return this.call(`read karpenter nodepool ${name}`, async () => (await this.custom.getClusterCustomObject({ ...KARPENTER_NODEPOOLS, name })) as CustomObject);
  }
}

const CAPACITY_BUFFERS = { group: 'autoscaling.x-k8s.io', version: 'v1alpha1', plural: 'capacitybuffers' };
const MACHINE_DEPLOYMENTS = { group: 'cluster.x-k8s.io', version: 'v1beta1', plural: 'machinedeployments' };
const KARPENTER_NODEPOOLS = { group: 'karpenter.sh', version: 'v1', plural: 'nodepools' };
