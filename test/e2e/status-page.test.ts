/** The status page in real Chromium: it renders targets and node pools from /api/status. */
import { createMemoryCalendarStore } from '../../src/scaling/memory-calendar-store.js';
import { startPublishedCache } from '../../src/publish/published-cache.js';
import { createMemoryPublishedPlanStore } from '../../src/publish/published-plan-store.js';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/api/create-app.js';
import { SimulatedCluster } from '../../src/cluster/simulated-cluster.js';
import { parseConfig } from '../../src/config/load-config.js';
import { ReplayClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import { createMemoryStore } from '../../src/metrics/memory-store.js';
import { createMemoryStateStore } from '../../src/state/state-store.js';

const T0 = Date.UTC(2026, 10, 27, 12);

describe('status page (Chromium)', () => {
  let server: Server;
  let browser: Browser;
  let url: string;

  beforeAll(async () => {
    const config = parseConfig(
      {
        targets: [{ name: 'web', namespace: 'shop', load: { measurement: 'http', field: 'rps' }, capacityPerReplica: 100, maxReplicas: 10, nodePool: 'general', podRequests: { cpu: 0.5, memoryMiB: 512 } }],
        nodePools: [{ name: 'general', allocatable: { cpu: 4, memoryMiB: 8192 }, maxNodes: 5, minNodes: 1 }],
      },
      {},
    );
    const clock = new ReplayClock(T0);
    const cluster = SimulatedCluster.fromConfig(clock, config, { replicas: { 'shop/web': 3 }, nodes: { general: 1 } });
    const store = createMemoryStore();
    const state = createMemoryStateStore();
    await state.setScalingState('shop/web', { mode: 'predictive', recommendations: [], changes: [], reactiveUntil: null });
    await state.setModelInfo({ target: 'shop/web', kind: 'hw', description: 'ets(A,N,A)[288]', version: 2, trainedAt: T0, trainedUntil: T0, scores: {}, historyDays: 9, requiredHistoryDays: 2, notes: [] });
    await store.writeDecisions([{ target: 'shop/web', time: T0 - 60_000, mode: 'predictive', rule: 'forecast P90 <b>280</b> / 100 per replica', previousReplicas: 2, desiredReplicas: 3, applied: true, inputs: {} }]);
    server = createServer(createApp({ config, clock, logger: silentLogger, store, state, cluster, calendar: createMemoryCalendarStore(), published: startPublishedCache(createMemoryPublishedPlanStore()) }));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic', '--no-first-run'],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('shows each target with mode, model, replicas and the last rule (escaped), and the node pools', async () => {
    const page = await browser.newPage();
    await page.goto(url);
    const row = page.locator('#targets tr').first();
    await row.waitFor();
    const cells = await row.locator('td').allTextContents();
    expect(cells).toEqual(['shop/web', 'predictive', 'ets(A,N,A)[288]', '3', '3', 'forecast P90 <b>280</b> / 100 per replica']);
    expect(await row.locator('td.mode-predictive').count()).toBe(1);
    expect(await page.locator('#pools tr td').allTextContents()).toEqual(['general', '1', '1', '0']);
    expect(await page.locator('#time').textContent()).toContain('2026-11-27T12:00:00.000Z');
    await page.close();
  });
});
