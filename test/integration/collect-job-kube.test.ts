/**
 * The collect job as main.ts wires it in a cluster: the runtime built from the config (real Redis, the real
 * influxd 1.6.7 with a database of this file's own), `collect` from the metrics.k8s.io collector of the Kubernetes
 * adapters talking to the strict fake API. The points the job wrote are read back from InfluxDB through a second,
 * fresh store, so they were stored on the server and not only handed to a client.
 *
 * Left out: quantity parsing and pool matching in detail (kube-metrics-collector.test.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Job } from 'bullmq';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { ReplayClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import { createKubeAdapters } from '../../src/kube/kube-adapters.js';
import { createInfluxV1Store } from '../../src/metrics/influx-v1.js';
import { createRuntime, type Runtime } from '../../src/runtime.js';
import { collectProcessor } from '../../jobs/processors/collect.js';
import type { JobPayload } from '../../jobs/queues.js';
import { FakeKubeApi, kubeTime } from '../support/fake-kube-api.js';
import { deployment, node } from '../support/kube-objects.js';

const T0 = Date.parse('2026-11-27T10:00:00Z');
const MIN = 60_000;
let databases = 0;

function podMetrics(name: string, labels: Record<string, string>, at: number, containers: [string, string][]) {
  return {
    apiVersion: 'metrics.k8s.io/v1beta1', kind: 'PodMetrics', metadata: { name, namespace: 'shop', labels }, timestamp: kubeTime(at), window: '15s',
    containers: containers.map(([cpu, memory], i) => ({ name: `c${i}`, usage: { cpu, memory } })),
  };
}

function nodeMetrics(name: string, at: number, cpu: string, memory: string) {
  return { apiVersion: 'metrics.k8s.io/v1beta1', kind: 'NodeMetrics', metadata: { name }, timestamp: kubeTime(at), window: '20s', usage: { cpu, memory } };
}

describe('collect job with the Kubernetes metrics collector (fake API, real InfluxDB)', () => {
  let fake: FakeKubeApi;
  let runtime: Runtime;
  let modelsDir: string;
  let database: string;
  const clock = new ReplayClock(T0);

  beforeEach(async () => {
    fake = await FakeKubeApi.start();
    fake.seed(deployment({ namespace: 'shop', name: 'web', replicas: 2 }));
    fake.seed(podMetrics('web-1', { app: 'web' }, T0, [['250m', '512Mi'], ['750m', '512Mi']]));
    fake.seed(podMetrics('web-2', { app: 'web' }, T0, [['1500m', '2Gi']]));
    fake.seed(podMetrics('batch-1', { app: 'batch' }, T0, [['3', '2Gi']])); // not a target's pod
    fake.seed(node({ name: 'n1', labels: { 'prescale.io/node-pool': 'general' }, ready: true, cpu: '4', memory: '16Gi' }));
    fake.seed(nodeMetrics('n1', T0, '3', '4Gi'));
    database = `it_collect_kube_${process.pid}_${databases++}`;
    const config = parseConfig(
      {
        kubernetes: { mode: 'kubeconfig' },
        influx: { url: inject('influxUrl'), database },
        redis: { url: inject('redisUrl'), prefix: `collect-kube-it-${process.pid}-${databases}` },
        nodePools: [{ name: 'general', driver: { type: 'placeholder', namespace: 'prescale', deployment: 'capacity-placeholder' }, allocatable: { cpu: 4, memoryMiB: 16_384 }, maxNodes: 5 }],
        targets: [{ name: 'web', namespace: 'shop', load: { measurement: 'k8s_pod', field: 'cpu_cores', tags: { workload: 'web' }, aggregate: 'sum' }, capacityPerReplica: 1, minReplicas: 1, maxReplicas: 10, podStartup: '60s' }],
      },
      {},
    );
    // What main.ts does in kubeconfig mode, with the fake API's address instead of a kubeconfig file.
    const kube = createKubeAdapters(config, { clock, logger: silentLogger, identity: 'collect-test', explicit: { server: fake.url, token: fake.token } });
    modelsDir = mkdtempSync(join(tmpdir(), 'prescale-collect-models-'));
    runtime = await createRuntime(config, { clock, logger: silentLogger, cluster: kube.actuator, modelsDir, collect: () => kube.collector.collect(), isLeader: () => true });
  });

  afterEach(async () => {
    const keys = await runtime.redis.keys(`${runtime.deps.config.redis.prefix}*`);
    if (keys.length) await runtime.redis.del(...keys);
    await runtime.close();
    await fake.close();
    rmSync(modelsDir, { recursive: true, force: true });
  });

  const runCollect = (at: number) => collectProcessor(runtime.deps)({ data: { at } } as Job<JobPayload<'collect'>>);
  const readBack = async () => {
    const store = createInfluxV1Store({ url: inject('influxUrl'), database });
    await store.ensureReady();
    return store;
  };

  it('writes pod and node usage from metrics.k8s.io, which reads back from InfluxDB', async () => {
    expect(await runCollect(T0 + 10_000)).toEqual({ points: 3 }); // web-1, web-2 and node n1 (batch-1 is no target's)
    expect(fake.requestsTo('GET', '/apis/metrics.k8s.io/v1beta1/namespaces/shop/pods')).toHaveLength(1);
    expect(fake.requestsTo('GET', '/apis/metrics.k8s.io/v1beta1/nodes')).toHaveLength(1);

    const store = await readBack();
    // The target's load as the forecasters read it: the sum over its pods, 1 + 1.5 cores.
    const load = await store.readSeries({ measurement: 'k8s_pod', field: 'cpu_cores', tags: { workload: 'web' }, from: T0, to: T0 + MIN, stepMs: MIN, aggregate: 'sum' });
    expect(load.values).toEqual([2.5]);
    expect(await store.latest({ measurement: 'k8s_pod', field: 'memory_mib', tags: { pod: 'web-1' }, at: T0 + MIN, lookbackMs: 5 * MIN })).toEqual({ time: T0, value: 1024 });
    expect(await store.latest({ measurement: 'k8s_pod', field: 'cpu_cores', tags: { pod: 'batch-1' }, at: T0 + MIN, lookbackMs: 5 * MIN })).toBeNull();
    expect(await store.latest({ measurement: 'k8s_node', field: 'cpu_utilization', tags: { node: 'n1', pool: 'general' }, at: T0 + MIN, lookbackMs: 5 * MIN })).toEqual({ time: T0, value: 0.75 });
    // The runtime's own reads (what the plan job uses for live load) see the same value.
    expect(await runtime.store.latest({ measurement: 'k8s_pod', field: 'cpu_cores', tags: { pod: 'web-2' }, at: T0 + MIN, lookbackMs: 5 * MIN })).toEqual({ time: T0, value: 1.5 });
    await store.close();
  });

  it('adds a point per collection: a second scrape 30 s later extends the series', async () => {
    await runCollect(T0 + 10_000);
    fake.seed(podMetrics('web-1', { app: 'web' }, T0 + 30_000, [['2', '1Gi']]));
    fake.seed(podMetrics('web-2', { app: 'web' }, T0 + 30_000, [['2', '1Gi']]));
    fake.seed(nodeMetrics('n1', T0 + 30_000, '4', '8Gi'));
    expect(await runCollect(T0 + 40_000)).toEqual({ points: 3 });
    const store = await readBack();
    const load = await store.readSeries({ measurement: 'k8s_pod', field: 'cpu_cores', tags: { workload: 'web' }, from: T0, to: T0 + MIN, stepMs: 30_000, aggregate: 'sum' });
    expect(load.values).toEqual([2.5, 4]);
    await store.close();
  });
});
