/**
 * `npm start` as a real process: it starts all roles, answers on its port, and on SIGTERM shuts down cleanly
 * (server, workers, clients) with exit code 0.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { freePort } from '../support/ports.js';
import { startService } from '../support/service-process.js';


describe('prescale process', () => {
  it('serves, then stops cleanly on SIGTERM', async () => {
    const port = await freePort();
    const service = await startService({
      PRESCALE_INFLUX_URL: inject('influxUrl'),
      PRESCALE_INFLUX_DATABASE: 'process_test',
      PRESCALE_REDIS_URL: inject('redisUrl'),
      PRESCALE_REDIS_PREFIX: `process-test-${process.pid}`,
      PRESCALE_HTTP_PORT: String(port),
      PRESCALE_EXTERNAL_METRICS_PORT: '0',
      PRESCALE_MODELS_DIR: join(tmpdir(), `prescale-process-test-models-${process.pid}`),
    });
    const health = (await (await fetch(`http://127.0.0.1:${port}/healthz`)).json()) as { ok: boolean };
    expect(health.ok).toBe(true);
    expect(await service.stop()).toBe(0);
    const output = service.output();
    expect(output).toContain('SIGTERM: shutting down');
    expect(output).toContain('"prescale stopped"');
    // Every log line on stdout is JSON.
    for (const line of output.split('\n').filter((l) => l.startsWith('{'))) expect(() => JSON.parse(line)).not.toThrow();
  }, 90_000);
});
