/**
 * Reads live CPU and memory from the Kubernetes resource metrics API (metrics.k8s.io/v1beta1, served by
 * metrics-server) and returns them as points for the metrics store, for clusters where nothing else
 * (Telegraf, Prometheus remote write) writes hardware metrics into InfluxDB.
 *
 * - `k8s_pod`  tags namespace, workload, pod;  fields cpu_cores, memory_mib (summed over containers).
 *   Only the targets' pods, matched by each target's scale selector against the labels metrics-server
 *   copies onto PodMetrics; one list per namespace.
 * - `k8s_node` tags node, pool;  fields cpu_cores, memory_mib, cpu_utilization, memory_utilization
 *   (usage / allocatable, 0..1). Nodes outside every configured pool get pool "unpooled".
 * Point times are the metrics' own timestamps (the end of metrics-server's window), not the read time.
 */
import type { CoreV1Api, CustomObjectsApi, KubeConfig, V1Node } from '@kubernetes/client-node';
import type { NodePoolConfig, TargetConfig } from '../config/schema.js';
import type { Clock } from '../core/clock.js';
import { isRetryable } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { MetricPoint } from '../metrics/metrics-store.js';
import { createKubeClients, readWorkloadScale, type KubeClients } from './kube-clients.js';
import { callKube, type KubeCallContext, type RetryPolicy } from './kube-request.js';
import { matchesLabelSelector } from './label-selector.js';
import { poolNodeSelector } from './node-pools.js';
import { BYTES_PER_MIB, parseQuantity } from './quantity.js';
import { toEpochMs } from './workloads.js';

export const K8S_POD_MEASUREMENT = 'k8s_pod';
export const K8S_NODE_MEASUREMENT = 'k8s_node';
export const UNPOOLED = 'unpooled';

interface Usage {
  cpu?: string;
  memory?: string;
}

interface PodMetrics {
  /** metrics-server copies the pod's labels. */
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  timestamp?: string;
  containers?: { name: string; usage?: Usage }[];
}

interface NodeMetrics {
  metadata: { name: string };
  timestamp?: string;
  usage?: Usage;
}

interface MetricsList<T> {
  items?: T[];
}

const METRICS = { group: 'metrics.k8s.io', version: 'v1beta1' };

export interface KubeMetricsCollectorOptions {
  kubeConfig: KubeConfig;
  targets: Pick<TargetConfig, 'name' | 'namespace' | 'kind'>[];
  nodePools: (Pick<NodePoolConfig, 'name' | 'driver'> & { nodeSelector?: Record<string, string> })[];
  clock?: Clock;
  logger?: Logger;
  retry?: Partial<RetryPolicy>;
  /** How long a workload's pod selector is reused before it is read again, ms (default 5 min). */
  selectorTtlMs?: number;
}

export class KubeMetricsCollector {
  private readonly clients: KubeClients;
  private readonly core: CoreV1Api;
  private readonly custom: CustomObjectsApi;
  private readonly context: KubeCallContext;
  private readonly selectors = new Map<string, { selector: string | undefined; at: number }>();
  private readonly selectorTtlMs: number;

  constructor(private readonly options: KubeMetricsCollectorOptions) {
    this.selectorTtlMs = options.selectorTtlMs ?? 300_000;
    this.clients = createKubeClients(options);
    ({ core: this.core, custom: this.custom, context: this.context } = this.clients);
  }

  /** Pod points for every target, then node points for every node. */
  async collect(): Promise<MetricPoint[]> {
    return [...(await this.collectPods()), ...(await this.collectNodes())];
  }

  async collectPods(): Promise<MetricPoint[]> {
    // One list per namespace, matched to targets here: hundreds of targets must not mean hundreds of lists.
    const byNamespace = new Map<string, { target: Pick<TargetConfig, 'name' | 'namespace' | 'kind'>; selector: string }[]>();
    for (const target of this.options.targets) {
      let selector: string | undefined;
      try {
        selector = await this.selectorOf(target);
      } catch (error) {
        // One missing or misconfigured workload must not stop the others' metrics.
        if (isRetryable(error)) throw error;
        this.context.logger.warn({ target: `${target.namespace}/${target.name}`, err: (error as Error).message }, 'skipping pod metrics of target');
        continue;
      }
      if (!selector) continue;
      byNamespace.set(target.namespace, [...(byNamespace.get(target.namespace) ?? []), { target, selector }]);
    }
    const points: MetricPoint[] = [];
    for (const [namespace, targets] of byNamespace) {
      const list = await callKube(`list pod metrics ${namespace}`, async () =>
        (await this.custom.listNamespacedCustomObject({ ...METRICS, plural: 'pods', namespace })) as MetricsList<PodMetrics>,
      this.context);
      for (const item of list.items ?? []) {
        const owner = targets.find((t) => matchesLabelSelector(item.metadata.labels ?? {}, t.selector));
        if (!owner) continue;
        let cpu = 0;
        let memory = 0;
        for (const container of item.containers ?? []) {
          cpu += container.usage?.cpu ? parseQuantity(container.usage.cpu) : 0;
          memory += container.usage?.memory ? parseQuantity(container.usage.memory) : 0;
        }
        points.push({
          measurement: K8S_POD_MEASUREMENT,
          tags: { namespace, workload: owner.target.name, pod: item.metadata.name },
          fields: { cpu_cores: cpu, memory_mib: memory / BYTES_PER_MIB },
          time: this.timeOf(item.timestamp),
        });
      }
    }
    return points;
  }

  async collectNodes(): Promise<MetricPoint[]> {
    const nodes = await callKube('list nodes', async () => (await this.core.listNode({})).items, this.context);
    const byName = new Map(nodes.map((n) => [n.metadata?.name ?? '', n]));
    const list = await callKube('list node metrics', async () => (await this.custom.listClusterCustomObject({ ...METRICS, plural: 'nodes' })) as MetricsList<NodeMetrics>, this.context);
    const points: MetricPoint[] = [];
    for (const item of list.items ?? []) {
      const node = byName.get(item.metadata.name);
      const cpu = item.usage?.cpu ? parseQuantity(item.usage.cpu) : 0;
      const memory = item.usage?.memory ? parseQuantity(item.usage.memory) : 0;
      const fields: Record<string, number> = { cpu_cores: cpu, memory_mib: memory / BYTES_PER_MIB };
      const allocatableCpu = node?.status?.allocatable?.['cpu'] ? parseQuantity(node.status.allocatable['cpu']) : 0;
      const allocatableMemory = node?.status?.allocatable?.['memory'] ? parseQuantity(node.status.allocatable['memory']) : 0;
      if (allocatableCpu > 0) fields['cpu_utilization'] = cpu / allocatableCpu;
      if (allocatableMemory > 0) fields['memory_utilization'] = memory / allocatableMemory;
      points.push({ measurement: K8S_NODE_MEASUREMENT, tags: { node: item.metadata.name, pool: node ? this.poolOf(node) : UNPOOLED }, fields, time: this.timeOf(item.timestamp) });
    }
    return points;
  }

  private poolOf(node: V1Node): string {
    const labels = node.metadata?.labels ?? {};
    const pool = this.options.nodePools.find((p) => Object.entries(poolNodeSelector(p)).every(([k, v]) => labels[k] === v));
    return pool?.name ?? UNPOOLED;
  }

  private timeOf(timestamp: string | undefined): number {
    return toEpochMs(timestamp) ?? this.context.clock.now();
  }

  /** A workload's pod selector, from its scale subresource; cached for selectorTtlMs (selectors rarely change). */
  private async selectorOf(target: Pick<TargetConfig, 'name' | 'namespace' | 'kind'>): Promise<string | undefined> {
    const key = `${target.kind}/${target.namespace}/${target.name}`;
    const now = this.context.clock.now();
    const cached = this.selectors.get(key);
    if (cached && now - cached.at < this.selectorTtlMs) return cached.selector;
    const selector = await this.readSelector(target);
    this.selectors.set(key, { selector, at: now });
    return selector;
  }

  private async readSelector(target: Pick<TargetConfig, 'name' | 'namespace' | 'kind'>): Promise<string | undefined> {
    return (await readWorkloadScale(this.clients, target)).status?.selector;
  }
}
