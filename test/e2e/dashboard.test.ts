/**
 * The dashboard end to end in real headless Chromium: the demo replays the NASA-HTTP trace (3 days backfilled,
 * 6 hours replayed through the real jobs on real Redis and InfluxDB), then keeps serving while these tests
 * drive the page. Charts are checked by counting what Plot drew against the numbers the API answered; the
 * calendar form is checked against the calendar API (and the store behind it). Screenshots go to
 * test-artifacts/dashboard/ (git-ignored).
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type ConsoleMessage, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Overview, TargetData } from '../../src/dashboard/api.js';
import { REPO_ROOT, tracePath } from '../../src/core/paths.js';
import { runDemo, type DemoSummary } from '../../src/demo/run-demo.js';
import { freePort } from '../support/ports.js';

const ARTIFACTS = join(REPO_ROOT, 'test-artifacts', 'dashboard');
const TARGET = 'shop/web';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Points of a linear path ("M x,y L x,y ..."): one per drawn datum; gaps start a new "M". */
export const pathPoints = (d: string | null): number => (d ?? '').match(/[ML]/g)?.length ?? 0;

describe('dashboard (Chromium, demo replay on real Redis and InfluxDB)', () => {
  let browser: Browser;
  let base: string;
  let release: () => void = () => undefined;
  let demo: Promise<DemoSummary>;
  // Logs and models of this run only: another demo (demo.test.ts, npm run demo) empties the default models folder.
  const work = mkdtempSync(join(tmpdir(), 'prescale-dashboard-'));
  const consoleErrors: string[] = [];

  /** Opens the page and returns the JSON of its first request to `capture` (what the page drew from). */
  const openPage = async <T = TargetData>(hash: string, capture = '/api/dashboard/targets/'): Promise<{ page: Page; data: T }> => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('console', (m: ConsoleMessage) => {
      // A 400 to an invalid calendar entry is the expected answer; Chromium logs every 4xx as a console error.
      if (m.type() === 'error' && !/status of 400/.test(m.text())) consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => consoleErrors.push(e.message));
    const response = page.waitForResponse((r) => r.url().includes(capture));
    await page.goto(`${base}${hash}`);
    const data = (await (await response).json()) as T;
    await page.waitForFunction(() => Number(document.body.dataset['loaded'] ?? 0) >= 1);
    return { page, data };
  };

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    const port = await freePort();
    let serving!: (url: string) => void;
    const ready = new Promise<string>((resolve) => (serving = resolve));
    const done = new Promise<void>((resolve) => (release = resolve));
    demo = runDemo({
      configFile: join(REPO_ROOT, 'prescale.yaml'),
      env: {
        PRESCALE_INFLUX_URL: inject('influxUrl'),
        PRESCALE_INFLUX_DATABASE: `dashboard${process.pid}`,
        PRESCALE_REDIS_URL: inject('redisUrl'),
        PRESCALE_REDIS_PREFIX: `dashboard-test-${process.pid}`,
      },
      trace: tracePath('nasa_http_jul1995_5min.csv'),
      backfillDays: 3,
      replayDays: 0.25,
      httpPort: port,
      logFile: join(work, 'demo.log'),
      modelsDir: join(work, 'models'),
      quiet: true,
      afterReplay: async (_summary, url) => {
        serving(url!);
        await done;
      },
    });
    base = await Promise.race([ready, demo.then(() => Promise.reject(new Error('the demo ended before serving')))]);
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    release();
    await demo;
    rmSync(work, { recursive: true, force: true });
  }, 60_000);

  it('overview: the target with sparkline, mode badge, replicas and last decision; the node pool', async () => {
    const { page, data } = await openPage<Overview>('#/?range=24h', '/api/dashboard/overview');
    const row = page.locator('#overview-rows tr[data-target="shop/web"]');
    await row.waitFor();
    const overview = (await (await fetch(`${base}api/status`)).json()) as { targets: { id: string; mode: string; workload: { desiredReplicas: number; readyReplicas: number } }[] };
    const status = overview.targets.find((t) => t.id === TARGET)!;
    expect(await row.locator('[data-mode]').getAttribute('data-mode')).toBe(status.mode);
    expect(await row.locator('td').nth(2).textContent()).toContain(`${status.workload.readyReplicas} / ${status.workload.desiredReplicas}`);
    // The sparkline draws every non-empty cell of the overview's load series (a day on a coarse grid).
    const values = data.targets.find((t) => t.id === TARGET)!.sparkline.values;
    expect(values.length).toBeGreaterThan(40);
    expect(pathPoints(await row.locator('g[aria-label="sparkline"] path').getAttribute('d'))).toBe(values.filter((v) => v !== null).length);
    expect(await row.locator('td').nth(4).textContent()).toMatch(/→/);
    expect(await page.locator('#pool-rows tr[data-pool="general"] td').first().textContent()).toMatch(/^\d+ \/ \d+$/);
    await page.screenshot({ path: join(ARTIFACTS, 'overview.png'), fullPage: true });
    await page.close();
  });

  it('target page: the charts draw what the API answered', async () => {
    const { page, data } = await openPage('#/target/shop/web?range=24h');
    const d = data;
    const nonNull = (xs: readonly (number | null)[]) => xs.filter((v) => v !== null).length;
    expect(d.to - d.from).toBe(24 * 3_600_000 + 6 * 3_600_000);
    expect(nonNull(d.load.values)).toBeGreaterThan(250);
    expect(await page.locator('#load-chart g[aria-label="actual load"] path').getAttribute('d').then(pathPoints)).toBe(nonNull(d.load.values));
    // The replay ran 6 hours with forecasts every minute: the as-issued line covers most of them.
    expect(d.forecastAsIssued.time.length, `lead ${d.leadMs} ms, ahead ${d.forecastAhead.time.length}, now ${d.now}`).toBeGreaterThan(60);
    expect(await page.locator('#load-chart g[aria-label="forecast as issued"] path').getAttribute('d').then(pathPoints)).toBe(d.forecastAsIssued.time.length);
    expect(d.forecastAsIssued.issuedAt.every((issued, i) => issued <= d.forecastAsIssued.time[i]! - d.leadMs)).toBe(true);
    expect(d.forecastAhead.time.length).toBeGreaterThan(0);
    expect(await page.locator('#load-chart g[aria-label="forecast ahead"] path').getAttribute('d').then(pathPoints)).toBe(d.forecastAhead.time.length);
    expect(await page.locator('#load-chart g[aria-label="80% band as issued"] path').count()).toBe(1);
    // Capacity: a dot per decision that changed replicas, a shaded rect per under-provisioned span.
    const decisions = d.decisions.filter((x) => x.time >= d.from && x.time < d.to);
    expect(decisions.length).toBeGreaterThan(0);
    expect(await page.locator('#capacity-chart g[aria-label="decisions"] circle').count()).toBe(decisions.length);
    expect(await page.locator('#capacity-chart g[aria-label="under-provisioned"] rect').count()).toBe(d.underProvisioned.length);
    expect(await page.locator('#capacity-chart g[aria-label="ready"] path').count()).toBe(1);
    expect(await page.locator('#capacity-chart g[aria-label="planned"] path').count()).toBe(1);
    expect(d.nodePool?.name).toBe('general');
    expect(nonNull(d.nodePool!.ready)).toBeGreaterThan(0);
    expect(await page.locator('#nodes-chart g[aria-label="ready nodes"] path').count()).toBe(1);
    // Text alternatives: the summary table counts the same points.
    const summary = page.locator('#load-chart table.summary tr', { hasText: 'actual load' }).locator('td').first();
    expect(Number(await summary.textContent())).toBe(nonNull(d.load.values));
    // The decision table lists them, newest first; the filters narrow it.
    expect(await page.locator('#decision-rows tr').count()).toBe(Math.min(500, d.decisions.length));
    const modes = new Set(d.decisions.map((x) => x.mode));
    const mode = [...modes][0]!;
    await page.selectOption('#filter-mode', mode);
    expect(await page.locator('#decision-rows tr').count()).toBe(Math.min(500, d.decisions.filter((x) => x.mode === mode).length));
    await page.selectOption('#filter-applied', 'false');
    expect(await page.locator('#decision-rows tr').count()).toBe(d.decisions.filter((x) => x.mode === mode && !x.applied).length);
    // The model panel: champion and a MASE per candidate.
    await expect.poll(() => page.locator('#model-champion').textContent()).toMatch(/\S/);
    expect(await page.locator('#model-scores tbody tr').count()).toBeGreaterThan(1);
    await page.screenshot({ path: join(ARTIFACTS, 'target-24h.png'), fullPage: true });
    await page.close();
  });

  it('a decision marker shows its rule, mode and reason (click and keyboard)', async () => {
    const { page, data } = await openPage('#/target/shop/web?range=24h');
    const decisions = data.decisions.filter((x) => x.time >= data.from && x.time < data.to);
    const last = decisions.length - 1;
    await page.locator('#capacity-chart g[aria-label="decisions"] circle').nth(last).click({ force: true });
    const detail = page.locator('#decision-detail');
    expect(await detail.locator('[data-field="rule"]').textContent()).toBe(`Rule: ${decisions[last]!.rule}`);
    expect(await detail.locator('[data-field="mode"]').textContent()).toBe(decisions[last]!.mode);
    expect(await detail.locator('[data-field="reason"]').textContent()).toBe(`Reason: ${decisions[last]!.notes ?? 'no further notes'}`);
    // Keyboard: focus the first marker and press Enter.
    await page.locator('#capacity-chart g[aria-label="decisions"] circle').first().focus();
    await page.keyboard.press('Enter');
    expect(await detail.locator('[data-field="rule"]').textContent()).toBe(`Rule: ${decisions[0]!.rule}`);
    // Hover: the native tooltip carries the same rule.
    expect(await page.locator('#capacity-chart g[aria-label="decisions"] circle').first().locator('title').textContent()).toContain(decisions[0]!.rule);
    await page.close();
  });

  it('the range picker changes what is drawn and the deep link', async () => {
    const { page, data } = await openPage('#/target/shop/web?range=24h');
    const before = await page.locator('#load-chart g[aria-label="actual load"] path').getAttribute('d').then(pathPoints);
    expect(before).toBe(data.load.values.filter((v) => v !== null).length);
    const next = page.waitForResponse((r) => r.url().includes('/api/dashboard/targets/'));
    await page.selectOption('#range', '6h');
    const six = (await (await next).json()) as TargetData;
    await page.waitForFunction(() => Number(document.body.dataset['loaded'] ?? 0) >= 1);
    expect(page.url()).toContain('#/target/shop/web?range=6h');
    expect(six.to - six.from).toBe(6 * 3_600_000 + 3_600_000 + 30 * 60_000);
    const after = await page.locator('#load-chart g[aria-label="actual load"] path').getAttribute('d').then(pathPoints);
    expect(after).toBe(six.load.values.filter((v) => v !== null).length);
    expect(after).toBeLessThan(before / 3);
    await page.screenshot({ path: join(ARTIFACTS, 'target-6h.png') });
    await page.close();
  });

  it('a calendar entry made through the form appears as a span and in the API; an invalid one shows the field error and stores nothing', async () => {
    const { page, data } = await openPage('#/target/shop/web?range=6h');
    const local = (ms: number) => new Date(ms).toISOString().slice(0, 16);
    const listEntries = async () => ((await (await fetch(`${base}api/calendar?target=${encodeURIComponent(TARGET)}`)).json()) as { entries: { id: string; title: string; effect: { replicas?: number } }[] }).entries;
    expect(await listEntries()).toEqual([]);

    // Invalid: the end before the start. The API's detail for "end" shows next to the End field; nothing is stored.
    await page.fill('#cal-title', 'bad window');
    await page.fill('#cal-replicas', '4');
    await page.fill('#cal-start', local(data.now - 3_600_000));
    await page.fill('#cal-end', local(data.now - 2 * 3_600_000));
    await page.click('#cal-submit');
    const endError = page.locator('[data-error-for="end"]');
    await expect.poll(() => endError.textContent()).toMatch(/must be after start/);
    expect(await page.locator('#cal-end').getAttribute('aria-invalid')).toBe('true');
    expect(await listEntries()).toEqual([]);
    // Invalid replicas: the detail path effect.replicas lands on the Replicas field.
    await page.fill('#cal-end', local(data.now + 1_800_000));
    await page.fill('#cal-replicas', '-3');
    await page.click('#cal-submit');
    await expect.poll(() => page.locator('[data-error-for="effect.replicas"]').textContent()).toMatch(/\S/);
    expect(await endError.textContent()).toBe('');
    expect(await listEntries()).toEqual([]);

    // Valid: a floor of 9 replicas from an hour ago to half an hour ahead.
    await page.fill('#cal-title', 'dashboard test floor');
    await page.fill('#cal-replicas', '9');
    const redrawn = page.waitForResponse((r) => r.url().includes('/api/calendar/occurrences'));
    await page.click('#cal-submit');
    await page.locator('#calendar-rows tr[data-entry]').waitFor();
    await redrawn;
    const entries = await listEntries();
    expect(entries.map((e) => [e.title, e.effect.replicas])).toEqual([['dashboard test floor', 9]]);
    await expect.poll(() => page.locator('#load-chart g[aria-label="calendar"] rect').count()).toBe(1);
    expect(await page.locator('#capacity-chart g[aria-label="calendar"] rect').count()).toBe(1);
    await page.screenshot({ path: join(ARTIFACTS, 'calendar.png'), fullPage: true });

    // Edit through the form (If-Match), then delete: the API follows.
    await page.locator(`#calendar-rows tr[data-entry="${entries[0]!.id}"] button.edit`).click();
    await expect.poll(() => page.locator('#cal-title').inputValue()).toBe('dashboard test floor');
    await page.fill('#cal-replicas', '11');
    await page.click('#cal-submit');
    await expect.poll(async () => (await listEntries())[0]?.effect.replicas).toBe(11);
    page.once('dialog', (dialog) => void dialog.accept());
    await page.locator(`#calendar-rows tr[data-entry="${entries[0]!.id}"] button.delete`).click();
    await expect.poll(async () => (await listEntries()).length).toBe(0);
    await page.close();
  });

  it('the data route takes a window around the server clock (back/ahead) and refuses it mixed with from/to', async () => {
    const around = await fetch(`${base}api/dashboard/targets/shop/web?back=3600000&ahead=1800000`);
    expect(around.status).toBe(200);
    const body = (await around.json()) as TargetData;
    expect([body.now - body.from, body.to - body.now]).toEqual([3_600_000, 1_800_000]);
    // The same window by absolute times answers the same (the second read comes from the settled-past cache).
    const absolute = (await (await fetch(`${base}api/dashboard/targets/shop/web?from=${body.from}&to=${body.to}`)).json()) as TargetData;
    expect(absolute).toEqual(body);
    for (const [query, path] of [
      ['back=3600000&from=0', 'query.back'],
      ['ahead=60000&to=1', 'query.ahead'],
      ['back=-1', 'query.back'],
    ] as const) {
      const refused = await fetch(`${base}api/dashboard/targets/shop/web?${query}`);
      expect(refused.status, query).toBe(400);
      expect(((await refused.json()) as { details: { path: string }[] }).details.map((d) => d.path), query).toContain(path);
    }
    const overview = (await (await fetch(`${base}api/dashboard/overview?back=7200000`)).json()) as Overview;
    expect(overview.now - overview.from).toBe(7_200_000);
  });

  it("what-if on the demo: the panel replays the target's stored day under prescale, HPA and oracle", async () => {
    const { page } = await openPage('#/target/shop/web?range=6h');
    await page.selectOption('#what-if-days', '1');
    const finished = page.waitForResponse(async (r) => r.url().includes('/what-if') && ['done', 'failed'].includes(((await r.json().catch(() => ({}))) as { status?: string }).status ?? ''), { timeout: 170_000 });
    await page.click('#what-if-run');
    const result = (await (await finished).json()) as { status: string; error?: string; result?: { policies: { policy: string; replicaHours: number }[] } };
    expect(result.status, result.error).toBe('done');
    const rows = page.locator('#what-if-table tbody tr');
    await expect.poll(() => rows.count()).toBe(3);
    expect(await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-policy')))).toEqual(result.result!.policies.map((p) => p.policy));
    expect(result.result!.policies.map((p) => p.policy).sort()).toEqual(['hpa', 'oracle', 'prescale']);
    expect(result.result!.policies.every((p) => p.replicaHours > 0)).toBe(true);
    // Demand and one capacity line per policy.
    expect(await page.locator('#what-if-chart g[aria-label^="capacity "] path').count()).toBe(3);
    await page.close();
  }, 180_000);

  it('/metrics on the demo carries the job, queue and write-buffer families (operational sources wired as in main.ts)', async () => {
    const text = await (await fetch(`${base}metrics`)).text();
    expect(text).toMatch(/^prescale_job_duration_seconds_count\{queue="prescale-plan"\} [1-9]/m);
    expect(text).toMatch(/^prescale_queue_jobs\{queue="prescale-plan",state="waiting"\} \d/m);
    expect(text).toMatch(/^prescale_metrics_write_buffer_points 0$/m);
    for (const source of ['events', 'jobs', 'queues']) expect(text).toContain(`prescale_metrics_source_up{source="${source}"} 1`);
    const ready = await fetch(`${base}readyz`);
    expect(ready.status).toBe(200);
  });

  it('logged no console errors', () => {
    expect(consoleErrors).toEqual([]);
  });
});
