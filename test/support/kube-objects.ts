/**
 * Builders of Kubernetes objects for seeding the fake API server (test/support/fake-kube-api.ts), shaped
 * like what the real API server stores. Times are epoch ms and written as metav1.Time (whole seconds).
 */
import { kubeTime } from './fake-kube-api.js';

export interface DeploymentSeed {
  namespace?: string;
  name: string;
  replicas: number;
  readyReplicas?: number;
  /** Defaults to replicas (a finished rollout). */
  updatedReplicas?: number;
  /** status.replicas, defaults to replicas. */
  statusReplicas?: number;
  generation?: number;
  observedGeneration?: number;
  labels?: Record<string, string>;
}

export function deployment(seed: DeploymentSeed, kind: 'Deployment' | 'StatefulSet' = 'Deployment') {
  const labels = seed.labels ?? { app: seed.name };
  const generation = seed.generation ?? 1;
  return {
    apiVersion: 'apps/v1',
    kind,
    metadata: { name: seed.name, namespace: seed.namespace ?? 'default', generation, labels },
    spec: {
      replicas: seed.replicas,
      selector: { matchLabels: labels },
      template: { metadata: { labels }, spec: { containers: [{ name: 'app', image: 'registry.example/app:1' }] } },
    },
    status: {
      observedGeneration: seed.observedGeneration ?? generation,
      replicas: seed.statusReplicas ?? seed.replicas,
      updatedReplicas: seed.updatedReplicas ?? seed.replicas,
      readyReplicas: seed.readyReplicas ?? seed.replicas,
      availableReplicas: seed.readyReplicas ?? seed.replicas,
    },
  };
}

export interface PodSeed {
  namespace?: string;
  name: string;
  labels: Record<string, string>;
  phase: 'Pending' | 'Running' | 'Succeeded' | 'Failed';
  /** Pending and the scheduler found no node. */
  unschedulable?: boolean;
  createdAt?: number;
  /** When the Ready condition became True (Running pods). */
  readyAt?: number;
  nodeName?: string;
  /** Owner kind, e.g. DaemonSet or ReplicaSet. */
  ownerKind?: string;
}

export function pod(seed: PodSeed) {
  const conditions: Record<string, unknown>[] = [];
  if (seed.phase === 'Pending') {
    conditions.push(
      seed.unschedulable
        ? { type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/3 nodes are available: 3 Insufficient cpu.', lastTransitionTime: kubeTime(seed.createdAt ?? 0) }
        : { type: 'PodScheduled', status: 'True', lastTransitionTime: kubeTime(seed.createdAt ?? 0) },
    );
  } else if (seed.phase === 'Running') {
    conditions.push({ type: 'PodScheduled', status: 'True', lastTransitionTime: kubeTime(seed.createdAt ?? 0) });
    conditions.push(seed.readyAt !== undefined ? { type: 'Ready', status: 'True', lastTransitionTime: kubeTime(seed.readyAt) } : { type: 'Ready', status: 'False', reason: 'ContainersNotReady', lastTransitionTime: kubeTime(seed.createdAt ?? 0) });
  }
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: seed.name,
      namespace: seed.namespace ?? 'default',
      labels: seed.labels,
      ...(seed.createdAt !== undefined ? { creationTimestamp: kubeTime(seed.createdAt) } : {}),
      ...(seed.ownerKind ? { ownerReferences: [{ apiVersion: 'apps/v1', kind: seed.ownerKind, name: `${seed.name}-owner`, uid: `${seed.name}-owner-uid`, controller: true }] } : {}),
    },
    spec: { containers: [{ name: 'app', image: 'registry.example/app:1' }], ...(seed.nodeName ? { nodeName: seed.nodeName } : {}) },
    status: { phase: seed.phase, conditions },
  };
}

export interface NodeSeed {
  name: string;
  labels: Record<string, string>;
  ready: boolean;
  unschedulable?: boolean;
  createdAt?: number;
  readyAt?: number;
  /** Allocatable, as the kubelet reports it. */
  cpu?: string;
  memory?: string;
}

export function node(seed: NodeSeed) {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: seed.name, labels: { 'kubernetes.io/hostname': seed.name, ...seed.labels }, ...(seed.createdAt !== undefined ? { creationTimestamp: kubeTime(seed.createdAt) } : {}) },
    spec: seed.unschedulable ? { unschedulable: true } : {},
    status: {
      allocatable: { cpu: seed.cpu ?? '3920m', memory: seed.memory ?? '15150460Ki', pods: '110' },
      capacity: { cpu: '4', memory: '16393220Ki', pods: '110' },
      conditions: [
        { type: 'MemoryPressure', status: 'False', lastTransitionTime: kubeTime(seed.createdAt ?? 0) },
        { type: 'Ready', status: seed.ready ? 'True' : 'False', reason: seed.ready ? 'KubeletReady' : 'KubeletNotReady', lastTransitionTime: kubeTime(seed.readyAt ?? seed.createdAt ?? 0) },
      ],
    },
  };
}

export interface HpaSeed {
  namespace?: string;
  name: string;
  /** What it scales; Deployment (apps/v1) by default. */
  target: { name: string; kind?: string; apiVersion?: string };
  minReplicas?: number;
  maxReplicas?: number;
  /** External metric the HPA reads with an AverageValue target of 1 (Prescale's planned replicas); default none (CPU). */
  externalMetric?: string;
}

/** An autoscaling/v2 HorizontalPodAutoscaler, as `kubectl apply` would store it. */
export function hpa(seed: HpaSeed) {
  const metric = seed.externalMetric
    ? { type: 'External', external: { metric: { name: seed.externalMetric, selector: { matchLabels: { target: `${seed.namespace ?? 'default'}.${seed.target.name}` } } }, target: { type: 'AverageValue', averageValue: '1' } } }
    : { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } };
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: seed.name, namespace: seed.namespace ?? 'default' },
    spec: {
      scaleTargetRef: { apiVersion: seed.target.apiVersion ?? 'apps/v1', kind: seed.target.kind ?? 'Deployment', name: seed.target.name },
      minReplicas: seed.minReplicas ?? 1,
      maxReplicas: seed.maxReplicas ?? 20,
      metrics: [metric],
    },
  };
}

export interface ScaledObjectSeed {
  namespace?: string;
  name: string;
  /** What it scales; KEDA defaults kind to Deployment when left out (as here unless given). */
  target: { name: string; kind?: string; apiVersion?: string };
}

/** A keda.sh/v1alpha1 ScaledObject with one metrics-api trigger. */
export function scaledObject(seed: ScaledObjectSeed) {
  return {
    apiVersion: 'keda.sh/v1alpha1',
    kind: 'ScaledObject',
    metadata: { name: seed.name, namespace: seed.namespace ?? 'default' },
    spec: {
      scaleTargetRef: { name: seed.target.name, ...(seed.target.kind ? { kind: seed.target.kind } : {}), ...(seed.target.apiVersion ? { apiVersion: seed.target.apiVersion } : {}) },
      minReplicaCount: 1,
      maxReplicaCount: 20,
      triggers: [{ type: 'metrics-api', metadata: { url: `http://prescale.prescale.svc:8080/api/keda/${seed.namespace ?? 'default'}/${seed.target.name}`, valueLocation: 'plannedReplicas', targetValue: '1' } }],
    },
  };
}
