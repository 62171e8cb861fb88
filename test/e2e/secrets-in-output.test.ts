/**
 * No secret in logs or error answers, checked on the real service process (src/main.ts through tsx) with
 * secrets set the ways people set them: API and external-metrics tokens in the config file, the InfluxDB
 * password and token in the environment, a password inside the Redis URL and inside the InfluxDB URL. Debug
 * logging is on. The failing paths are exercised and stdout, stderr and every response body are searched for
 * each secret (as is, base64 in a Basic header, URL-encoded):
 *   1. a running service: wrong, missing and under-scoped tokens on the API and the external metrics API,
 *      bad bodies, a read that fails because InfluxDB refuses the credentials (a stand-in InfluxDB answering
 *      401 behind the store), and a clean shutdown;
 *   2. InfluxDB refusing the credentials at start (the process exits 1 naming the problem);
 *   3. InfluxDB configured with credentials inside its URL (fetch refuses such URLs: the message used to
 *      repeat the URL);
 *   4. a config file with an invalid field next to the secrets.
 * Left out: the container (deploy tests) and secrets the process never reads (token files are read as files).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request as undiciRequest } from 'undici';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { REPO_ROOT } from '../../src/core/paths.js';
import { freePort } from '../support/ports.js';
import { startService } from '../support/service-process.js';

const SECRETS = {
  apiToken: 'api-admin-S3CRET-token-4f9a1c',
  readToken: 'api-reader-S3CRET-token-8d2b7e',
  metricsToken: 'ext-metrics-S3CRET-token-5a6c0f',
  influxPassword: 'influx-S3CRET-pass-71be',
  influxToken: 'influx-S3CRET-token-c93d',
  redisPassword: 'redis-S3CRET-pass-2e8f',
};

/** Every spelling in which a secret could show up. */
function leaks(text: string): string[] {
  const found: string[] = [];
  for (const [name, secret] of Object.entries(SECRETS)) {
    const forms = [secret, encodeURIComponent(secret), Buffer.from(secret).toString('base64'), Buffer.from(`prescale:${secret}`).toString('base64')];
    if (forms.some((f) => text.includes(f))) found.push(name);
  }
  return found;
}

/** A proxy to the real influxd that, once `refuse()` is called, answers every request as InfluxDB 1.x does for wrong credentials. */
async function switchableInflux(target: string): Promise<{ url: string; refuse(): void; close(): Promise<void> }> {
  let refusing = false;
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (refusing) {
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"authorization failed"}');
      return;
    }
    const upstream = await fetch(target + req.url, { method: req.method, headers: { 'content-type': req.headers['content-type'] ?? 'text/plain' }, ...(chunks.length > 0 ? { body: Buffer.concat(chunks) } : {}) });
    res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/json' }).end(Buffer.from(await upstream.arrayBuffer()));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, refuse: () => void (refusing = true), close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** A stand-in InfluxDB that refuses every request as InfluxDB 1.x does when the credentials are wrong. */
async function refusingInflux(): Promise<{ url: string; authorizations: string[]; close(): Promise<void> }> {
  const authorizations: string[] = [];
  const server: Server = createServer((req, res) => {
    authorizations.push(req.headers.authorization ?? '');
    req.resume();
    res.writeHead(401, { 'content-type': 'application/json', 'x-influxdb-error': 'authorization failed' }).end('{"error":"authorization failed"}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, authorizations, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

let dir: string;
const prefix = `secrets-test-${process.pid}`;

function writeConfig(name: string, extra = ''): string {
  const file = join(dir, name);
  writeFileSync(
    file,
    `api:
  tokens:
    - { name: admin, scopes: [read, write], token: ${SECRETS.apiToken} }
    - { name: reader, scopes: [read], token: ${SECRETS.readToken} }
externalMetrics:
  enabled: true
  port: 0
  tokens:
    - { name: hpa, scopes: [read], token: ${SECRETS.metricsToken} }
influx:
  database: secrets_test
  username: prescale
targets:
  - name: web
    namespace: shop
    load: { measurement: http, field: rps }
    capacityPerReplica: 100
    maxReplicas: 10
${extra}`,
  );
  return file;
}

function baseEnv(influxUrl: string): Record<string, string> {
  const redis = new URL(inject('redisUrl'));
  redis.password = SECRETS.redisPassword;
  return {
    PRESCALE_INFLUX_URL: influxUrl,
    PRESCALE_INFLUX_PASSWORD: SECRETS.influxPassword,
    PRESCALE_REDIS_URL: redis.toString(),
    PRESCALE_REDIS_PREFIX: prefix,
    PRESCALE_ROLES: 'api',
    PRESCALE_LOG_LEVEL: 'debug',
    PRESCALE_MODELS_DIR: join(dir, 'models'),
  };
}

/** Runs the service until it exits by itself (a failed start); its whole output and exit code. */
function runToExit(env: Record<string, string>, args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'src', 'main.ts'), ...args], { cwd: REPO_ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'prescale-secrets-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('no secret in logs or error answers', () => {
  it('a running service answers and logs failures without any secret', async () => {
    // The real influxd behind a proxy that starts refusing the credentials once the service runs.
    const influx = await switchableInflux(inject('influxUrl'));
    const port = await freePort();
    const service = await startService({ ...baseEnv(influx.url), PRESCALE_HTTP_PORT: String(port) }, [`--config=${writeConfig('running.yaml')}`]);
    const bodies: string[] = [];
    try {
      const base = `http://127.0.0.1:${port}`;
      const call = async (method: string, path: string, headers: Record<string, string> = {}, body?: string) => {
        const response = await fetch(base + path, { method, headers, ...(body !== undefined ? { body } : {}) });
        const text = await response.text();
        bodies.push(text);
        return response.status;
      };
      const entry = JSON.stringify({ targets: ['shop/web'], effect: { kind: 'floor', replicas: 3 }, start: '2026-11-27T09:00', end: '2026-11-27T10:00' });
      expect(await call('GET', '/api/status')).toBe(401);
      expect(await call('GET', '/api/status', { authorization: `Bearer ${SECRETS.apiToken}x` })).toBe(401);
      expect(await call('GET', '/api/status', { authorization: `Basic ${Buffer.from(`prescale:${SECRETS.apiToken}`).toString('base64')}` })).toBe(401);
      expect(await call('POST', '/api/calendar', { authorization: `Bearer ${SECRETS.readToken}`, 'content-type': 'application/json' }, entry)).toBe(403);
      expect(await call('POST', '/api/calendar', { authorization: `Bearer ${SECRETS.apiToken}`, 'content-type': 'application/json' }, `{"title": "${SECRETS.influxPassword}`)).toBe(400);
      expect(await call('POST', '/api/calendar', { authorization: `Bearer ${SECRETS.apiToken}`, 'content-type': 'text/plain' }, 'x')).toBe(415);
      expect(await call('GET', '/api/targets/shop/web/load', { authorization: `Bearer ${SECRETS.apiToken}` })).toBe(200);
      influx.refuse();
      // InfluxDB refusing the credentials is not worth a retry: 500, with what failed.
      expect(await call('GET', '/api/targets/shop/web/load', { authorization: `Bearer ${SECRETS.apiToken}` })).toBe(500);
      expect(bodies.at(-1)).toMatch(/authentication failed/);
      // The external metrics API over TLS: no token, a wrong one, then the right one.
      const metricsUrl = /"external metrics API listening".*?"address":"(https:[^"]+)"|"address":"(https:[^"]+)".*?"external metrics API listening"/.exec(service.output());
      const https = metricsUrl?.[1] ?? metricsUrl?.[2];
      expect(https).toMatch(/^https:/);
      const tls = new Agent({ connect: { rejectUnauthorized: false } });
      for (const authorization of [undefined, `Bearer ${SECRETS.metricsToken}-wrong`, `Bearer ${SECRETS.apiToken}`]) {
        const answer = await undiciRequest(`${https}/apis/external.metrics.k8s.io/v1beta1/namespaces/shop/prescale-planned-replicas`, { dispatcher: tls, headers: authorization ? { authorization } : {} });
        bodies.push(await answer.body.text());
        expect(answer.statusCode).toBe(401);
      }
      await tls.close();
    } finally {
      expect(await service.stop()).toBe(0);
      await influx.close();
    }
    // The secrets were in effect (a typo would make this test pass vacuously): the right token works.
    expect(service.output()).toContain('"prescale started"');
    expect(leaks(bodies.join('\n')), 'response bodies').toEqual([]);
    expect(leaks(service.output()), service.output().slice(-3_000)).toEqual([]);
  }, 120_000);

  it('InfluxDB refusing the credentials at start: exit 1 naming the problem, no secret', async () => {
    const influx = await refusingInflux();
    try {
      const { code, output } = await runToExit({ ...baseEnv(influx.url), PRESCALE_INFLUX_TOKEN: SECRETS.influxToken }, [`--config=${writeConfig('refused.yaml')}`]);
      expect(code).toBe(1);
      expect(output).toMatch(/authentication failed/);
      expect(leaks(output), output).toEqual([]);
    } finally {
      await influx.close();
    }
  }, 90_000);

  it('credentials inside the InfluxDB URL: sent as Basic auth, the failure names the server without them', async () => {
    const influx = await refusingInflux();
    try {
      const withCredentials = influx.url.replace('http://', `http://prescale:${SECRETS.influxPassword}@`);
      const { code, output } = await runToExit(baseEnv(withCredentials), [`--config=${writeConfig('url.yaml')}`]);
      expect(code).toBe(1);
      expect(output).toMatch(/authentication failed/);
      expect(output).toContain(influx.url.replace('http://', ''));
      expect(influx.authorizations).toContain(`Basic ${Buffer.from(`prescale:${SECRETS.influxPassword}`).toString('base64')}`);
      expect(leaks(output), output).toEqual([]);
    } finally {
      await influx.close();
    }
  }, 90_000);

  it('a config file with an invalid field next to the secrets: the error names the field, no secret', async () => {
    const { code, output } = await runToExit(baseEnv(inject('influxUrl')), [`--config=${writeConfig('bad.yaml', 'step: 0\nhttp: { port: 99999 }\n')}`]);
    expect(code).toBe(1);
    expect(output).toMatch(/http\.port/);
    expect(output).toMatch(/step/);
    expect(leaks(output), output).toEqual([]);
  }, 90_000);
});
