/**
 * scripts/services.sh status against the real services test/services.ts started (read-only: never starts or stops
 * anything here, so it cannot disturb a developer's services).
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, inject, it } from 'vitest';
import { REPO_ROOT } from '../../src/core/paths.js';
import { freePort } from '../support/ports.js';

function status(env: Record<string, string>) {
  const result = spawnSync('bash', ['scripts/services.sh', 'status'], { cwd: REPO_ROOT, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 20_000 });
  return { code: result.status, out: result.stdout };
}

/** A loopback port nothing listens on (bound, then released). */
const closedPort = freePort;

describe('scripts/services.sh status', () => {
  it('reports both services answering at the configured addresses', () => {
    const redisUrl = inject('redisUrl');
    const influxUrl = inject('influxUrl');
    const { code, out } = status({ PRESCALE_REDIS_URL: redisUrl, PRESCALE_INFLUX_URL: influxUrl });
    const redisAddress = redisUrl.replace('redis://', '');
    const influxAddress = influxUrl.replace('http://', '');
    expect(out).toContain(`redis: answering on ${redisAddress} (not started by services.sh)`);
    expect(out).toContain(`influxdb: answering on ${influxAddress} (not started by services.sh)`);
    expect(code).toBe(0);
  });

  it('says when nothing answers, and exits 3', async () => {
    const [redisPort, influxPort] = [await closedPort(), await closedPort()];
    const { code, out } = status({ PRESCALE_REDIS_URL: `redis://127.0.0.1:${redisPort}`, PRESCALE_INFLUX_URL: `http://127.0.0.1:${influxPort}` });
    expect(out).toContain(`redis: nothing answers on 127.0.0.1:${redisPort}`);
    expect(out).toContain(`influxdb: nothing answers on http://127.0.0.1:${influxPort}/ping`);
    expect(code).toBe(3);
  });
});
