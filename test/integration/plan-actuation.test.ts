/**
 * Actuation modes through the plan processor, with scaling state and published plans in real Redis and the
 * status route reading them back: hpa and keda modes publish and never patch; direct mode steps aside with
 * mode `conflict` when an HPA or ScaledObject scales the workload (and acts again once it is gone and the
 * cached listing expired); a reactive breach in hpa mode raises the published value in the same tick.
 * The simulated cluster plays the Kubernetes side (test/integration/kube-actuation.test.ts does it on the
 * strict fake API server); a thin wrapper counts its scale and list calls.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createApp } from '../../src/api/create-app.js';
import type { AutoscalerInfo, ClusterActuator } from '../../src/cluster/cluster.js';
import { SimulatedCluster } from '../../src/cluster/simulated-cluster.js';
import { parseConfig } from '../../src/config/load-config.js';
import { ReplayClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import { connectRedis } from '../../src/core/redis.js';
import { createMemoryStore } from '../../src/metrics/memory-store.js';
import { startPublishedCache } from '../../src/publish/published-cache.js';
import { createRedisPublishedPlanStore } from '../../src/publish/published-plan-store.js';
import { PLANNED_REPLICAS_METRIC } from '../../src/scaling/actuation.js';
import { createMemoryCalendarStore } from '../../src/scaling/memory-calendar-store.js';
import { createRedisStateStore } from '../../src/state/state-store.js';
import { AUTOSCALER_CHECK_TTL_MS } from '../../jobs/autoscaler-lookup.js';
import { testJobDeps } from '../support/job-deps.js';
import { planProcessor } from '../../jobs/processors/plan.js';
import type { JobPayload } from '../../jobs/queues.js';

const T0 = Date.UTC(2026, 10, 23, 10); // a Monday, 10:00 UTC
const STEP = 300_000;
const WEB = { kind: 'Deployment', namespace: 'shop', name: 'web' };
const webTarget = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' };
const webHpa = (externalMetrics: string[] = []): AutoscalerInfo => ({ kind: 'HorizontalPodAutoscaler', namespace: 'shop', name: 'web-hpa', scaleTargetRef: webTarget, externalMetrics });
const webScaledObject: AutoscalerInfo = { kind: 'ScaledObject', namespace: 'shop', name: 'web', scaleTargetRef: webTarget };
const kedaHpa: AutoscalerInfo = { kind: 'HorizontalPodAutoscaler', namespace: 'shop', name: 'keda-hpa-web', scaleTargetRef: webTarget, externalMetrics: ['s0-metric-api-plannedReplicas'] };

interface StatusBody {
  targets: { id: string; mode: string; actuation: string; conflict: { autoscalers: { kind: string; namespace: string; name: string }[]; reason: string } | null; actuationWarnings: string[] }[];
}

describe('actuation modes in the plan job (real Redis state and published plans)', () => {
  let redis: Redis;
  const prefix = `plan-actuation-${process.pid}-${Date.now()}`;
  const servers: Server[] = [];

  beforeAll(async () => {
    redis = await connectRedis(inject('redisUrl'));
  });

  afterAll(async () => {
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
  });

  function setup(actuation: 'direct' | 'hpa' | 'keda', options: { forecastOnly?: boolean; extraTargets?: string[] } = {}) {
    const target = (name: string) => ({ name, namespace: 'shop', load: { measurement: 'http', field: 'rps', tags: { app: name } }, capacityPerReplica: 100, minReplicas: 2, maxReplicas: 50, podStartup: '90s', actuation, forecastOnly: options.forecastOnly ?? false });
    const config = parseConfig({ targets: [target('web'), ...(options.extraTargets ?? []).map(target)] }, {});
    const clock = new ReplayClock(T0);
    const sim = SimulatedCluster.fromConfig(clock, config, { replicas: { 'shop/web': 5 } });
    const calls = { scale: 0, list: 0 };
    // The simulated cluster, counting what the job asks of it.
    const cluster: ClusterActuator = {
      getWorkload: (ref) => sim.getWorkload(ref),
      scaleWorkload: async (ref, replicas) => {
        calls.scale += 1;
        await sim.scaleWorkload(ref, replicas);
      },
      restartWorkload: (ref, reason) => sim.restartWorkload(ref, reason),
      getNodePool: (pool) => sim.getNodePool(pool),
      scaleNodePool: (pool, nodes) => sim.scaleNodePool(pool, nodes),
      listAutoscalers: async (namespace) => {
        calls.list += 1;
        return sim.listAutoscalers(namespace);
      },
    };
    const store = createMemoryStore();
    const unique = `${prefix}-${Math.random().toString(36).slice(2)}`;
    const state = createRedisStateStore(redis, unique);
    const published = createRedisPublishedPlanStore(redis, unique);
    const deps = testJobDeps(config, clock, {
      store,
      state,
      cluster,
      published,
    });
    const tick = planProcessor(deps);
    const run = (loop: 'plan' | 'reactive' = 'plan', name = 'web') => tick({ data: { at: clock.now(), target: `shop/${name}`, loop } } as Job<JobPayload<'plan'>>);
    const live = (rps: number) => store.writePoints([{ measurement: 'http', tags: { app: 'web' }, fields: { rps }, time: Math.floor(clock.now() / STEP) * STEP }]);
    // A trained, trusted model and a flat forecast of 400 rps (80% band 350..450, 95% band 300..500): 6-7 replicas.
    const trust = async () => {
      await state.setModelInfo({ target: 'shop/web', kind: 'hw', description: 'ets(A,N,A)[288]', version: 1, trainedAt: T0 - 3_600_000, trainedUntil: T0, scores: {}, backtestMase: 0.5, naiveMase: 1, historyDays: 20, requiredHistoryDays: 2, notes: [] });
      const n = 24;
      await store.writeForecast({ target: 'shop/web', issuedAt: T0 - STEP, model: 'ets(A,N,A)[288]', startMs: Math.floor(T0 / STEP) * STEP, stepMs: STEP, mean: Array(n).fill(400), intervals: [{ level: 80, lower: Array(n).fill(350), upper: Array(n).fill(450) }, { level: 95, lower: Array(n).fill(300), upper: Array(n).fill(500) }] });
      await live(380);
      // 10:03:30: the 10:05 step is within the lead, so the forecast sizes (as in plan-job.test.ts).
      clock.advanceTo(T0 + 210_000);
    };
    const lastDecision = async () => (await store.readDecisions('shop/web', T0, clock.now() + 1)).at(-1)!;
    const status = async (): Promise<StatusBody['targets'][number]> => {
      const cache = startPublishedCache(published);
      try {
        await cache.refresh();
        const server = createServer(createApp({ config, clock, logger: silentLogger, store, state, cluster, calendar: createMemoryCalendarStore(), published: cache }));
        servers.push(server);
        await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
        const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/api/status`);
        expect(response.status).toBe(200);
        return ((await response.json()) as StatusBody).targets.find((t) => t.id === 'shop/web')!;
      } finally {
        cache.stop();
      }
    };
    const replicas = async () => (await sim.getWorkload(WEB)).desiredReplicas;
    return { sim, calls, clock, store, state, published, run, live, trust, lastDecision, status, replicas };
  }

  it('hpa mode never patches: the plan is published for the HPA and the decision says so', async () => {
    const { sim, calls, run, trust, published, lastDecision, replicas, status } = setup('hpa');
    sim.setAutoscalers([webHpa([PLANNED_REPLICAS_METRIC])]);
    await trust();
    const result = await run();
    expect(result.to).toBeGreaterThanOrEqual(6);
    expect(result).toMatchObject({ mode: 'predictive', applied: false, published: true });
    expect(calls.scale).toBe(0);
    expect(await replicas()).toBe(5);
    expect(await published.get('shop/web')).toMatchObject({ actuation: 'hpa', mode: 'predictive', plannedReplicas: result.to, desiredReplicas: 5 });
    const decision = await lastDecision();
    expect(decision).toMatchObject({ actuation: 'hpa', published: true, applied: false, previousReplicas: 5, desiredReplicas: result.to });
    expect(decision.notes).toContain(`published for the HPA (external metric ${PLANNED_REPLICAS_METRIC})`);
    expect(await status()).toMatchObject({ mode: 'predictive', actuation: 'hpa', conflict: null, actuationWarnings: [] });
  });

  it('hpa mode without an HPA that reads the metric still publishes, and warns in the decision and status', async () => {
    const { sim, calls, run, trust, lastDecision, status } = setup('hpa');
    sim.setAutoscalers([webHpa()]); // a CPU HPA: it never sees the plan
    await trust();
    expect((await run()).published).toBe(true);
    expect(calls.scale).toBe(0);
    const warning = `HorizontalPodAutoscaler shop/web-hpa does not read the external metric ${PLANNED_REPLICAS_METRIC}: the published plan does not reach it`;
    expect((await lastDecision()).notes).toContain(warning);
    expect((await status()).actuationWarnings).toEqual([warning]);
  });

  it('keda mode never patches: the plan is published for KEDA', async () => {
    const { sim, calls, run, trust, published, lastDecision, replicas } = setup('keda');
    sim.setAutoscalers([webScaledObject, kedaHpa]);
    await trust();
    const result = await run();
    expect(result).toMatchObject({ applied: false, published: true });
    expect(calls.scale).toBe(0);
    expect(await replicas()).toBe(5);
    expect(await published.get('shop/web')).toMatchObject({ actuation: 'keda', plannedReplicas: result.to });
    const decision = await lastDecision();
    expect(decision).toMatchObject({ actuation: 'keda', published: true, applied: false, mode: 'predictive' });
    expect(decision.notes).toContain('published for KEDA (metrics-api scaler)');
    expect(decision.notes).not.toContain('conflict');
  });

  it('a forecast-only target in hpa mode records its plan but does not count it as published', async () => {
    const { sim, run, trust, lastDecision } = setup('hpa', { forecastOnly: true });
    sim.setAutoscalers([webHpa([PLANNED_REPLICAS_METRIC])]);
    await trust();
    expect(await run()).toMatchObject({ mode: 'forecast-only', applied: false, published: false });
    expect((await lastDecision()).notes).toContain('forecast-only: not published');
  });

  it('direct mode with an HPA on the workload: conflict, no patch, and the decision and status say why', async () => {
    const { sim, calls, run, trust, published, lastDecision, replicas, status } = setup('direct');
    sim.setAutoscalers([webHpa()]);
    await trust();
    const result = await run();
    expect(result.to).toBeGreaterThanOrEqual(6);
    expect(result).toMatchObject({ mode: 'conflict', applied: false, published: false });
    expect(calls.scale).toBe(0);
    expect(await replicas()).toBe(5);
    const reason = "conflict: HorizontalPodAutoscaler shop/web-hpa also scales Deployment shop/web; set actuation: hpa to let it apply Prescale's plan";
    const decision = await lastDecision();
    expect(decision).toMatchObject({ mode: 'conflict', actuation: 'direct', applied: false, published: false });
    expect(decision.notes!.startsWith(reason)).toBe(true);
    expect((await published.get('shop/web'))?.mode).toBe('conflict');
    expect(await status()).toMatchObject({
      mode: 'conflict',
      actuation: 'direct',
      conflict: { autoscalers: [{ kind: 'HorizontalPodAutoscaler', namespace: 'shop', name: 'web-hpa' }], reason },
    });
  });

  it('direct mode with a KEDA ScaledObject: conflict naming the ScaledObject, suggesting actuation: keda', async () => {
    const { sim, calls, run, trust, lastDecision, status } = setup('direct');
    sim.setAutoscalers([webScaledObject, kedaHpa]);
    await trust();
    expect((await run()).mode).toBe('conflict');
    expect(calls.scale).toBe(0);
    const reason = "conflict: ScaledObject shop/web also scales Deployment shop/web; set actuation: keda to let it apply Prescale's plan";
    expect((await lastDecision()).notes!.startsWith(reason)).toBe(true);
    const shown = await status();
    expect(shown.conflict?.reason).toBe(reason);
    expect(shown.conflict?.autoscalers.map((a) => `${a.kind} ${a.name}`)).toEqual(['ScaledObject web', 'HorizontalPodAutoscaler keda-hpa-web']);
  });

  it('the conflict ends once the HPA is gone and the cached listing expired (one list per TTL)', async () => {
    const { sim, calls, clock, run, trust, live, replicas, status } = setup('direct');
    sim.setAutoscalers([webHpa()]);
    await trust();
    const firstAt = clock.now();
    expect((await run()).mode).toBe('conflict');
    sim.setAutoscalers([]);
    // Within the TTL the cached listing still shows the HPA: no list call, no patch.
    for (const at of [15_000, 30_000, 45_000, AUTOSCALER_CHECK_TTL_MS - 1]) {
      clock.advanceTo(firstAt + at);
      await live(380);
      expect((await run()).mode).toBe('conflict');
    }
    expect(calls).toEqual({ scale: 0, list: 1 });
    clock.advanceTo(firstAt + AUTOSCALER_CHECK_TTL_MS);
    const result = await run();
    expect(result).toMatchObject({ mode: 'predictive', applied: true });
    expect(calls).toEqual({ scale: 1, list: 2 });
    expect(await replicas()).toBe(result.to);
    expect(await status()).toMatchObject({ mode: 'predictive', conflict: null });
  });

  it('one listing serves every target of a namespace within the TTL', async () => {
    const { calls, run } = setup('direct', { extraTargets: ['api', 'cart'] });
    await run('plan', 'web');
    await run('plan', 'api');
    await run('reactive', 'cart');
    expect(calls.list).toBe(1);
  });

  it('a listing that could not be completed (403) is a warning; direct mode still patches', async () => {
    const { sim, calls, run, trust, lastDecision, status } = setup('direct');
    sim.setAutoscalers([], ['HorizontalPodAutoscaler: 403 Forbidden: cannot list horizontalpodautoscalers']);
    await trust();
    expect(await run()).toMatchObject({ mode: 'predictive', applied: true });
    expect(calls.scale).toBe(1);
    const warning = 'could not check every autoscaler (HorizontalPodAutoscaler: 403 Forbidden: cannot list horizontalpodautoscalers): patching as configured (actuation: direct)';
    expect((await lastDecision()).notes).toContain(warning);
    expect((await status()).actuationWarnings).toEqual([warning]);
  });

  it('hpa mode: a reactive breach raises the published count in the same tick; a quiet reactive tick never lowers it', async () => {
    const { sim, calls, clock, run, trust, live, published, store } = setup('hpa');
    sim.setAutoscalers([webHpa([PLANNED_REPLICAS_METRIC])]);
    await trust();
    const planned = (await run('plan')).to;
    expect((await published.get('shop/web'))?.plannedReplicas).toBe(planned);
    clock.advanceBy(5_000);
    await live(1_200); // far above the 95% bound; the HPA has not applied the plan yet (spec.replicas 5)
    const reactive = await run('reactive');
    expect(reactive).toMatchObject({ mode: 'reactive', published: true, applied: false });
    expect(reactive.to).toBeGreaterThan(planned);
    const after = await published.get('shop/web');
    expect(after).toMatchObject({ loop: 'reactive', at: clock.now(), plannedReplicas: reactive.to });
    expect(calls.scale).toBe(0);
    // The next reactive tick sees no breach: it keeps the published count instead of falling back to spec.replicas.
    clock.advanceBy(5_000);
    await live(380);
    const quiet = await run('reactive');
    expect(quiet.to).toBe(reactive.to);
    expect((await published.get('shop/web'))?.plannedReplicas).toBe(reactive.to);
    const last = (await store.readDecisions('shop/web', clock.now(), clock.now() + 1))[0]!;
    expect(last.notes).toContain(`held at ${reactive.to}, published at ${new Date(clock.now() - 5_000).toISOString()}`);
  });
});
