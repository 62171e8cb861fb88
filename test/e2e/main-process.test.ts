/**
 * `npm start` as a real process: it starts all roles, answers on its port, and on SIGTERM shuts down cleanly
 * (server, workers, clients) with exit code 0.
 */
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { REPO_ROOT } from '../../src/core/paths.js';
import { freePort } from '../support/ports.js';


describe('prescale process', () => {
  it('serves, then stops cleanly on SIGTERM', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'src', 'main.ts')], {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        PRESCALE_INFLUX_URL: inject('influxUrl'),
        PRESCALE_INFLUX_DATABASE: 'process_test',
        PRESCALE_REDIS_URL: inject('redisUrl'),
        PRESCALE_REDIS_PREFIX: `process-test-${process.pid}`,
        PRESCALE_HTTP_PORT: String(port),
        PRESCALE_EXTERNAL_METRICS_PORT: '0',
        PRESCALE_MODELS_DIR: join(tmpdir(), `prescale-process-test-models-${process.pid}`),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const deadline = Date.now() + 60_000;
    while (!output.includes('"prescale started"')) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`prescale did not start:\n${output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const health = (await (await fetch(`http://127.0.0.1:${port}/healthz`)).json()) as { ok: boolean };
    expect(health.ok).toBe(true);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(output).toContain('SIGTERM: shutting down');
    expect(output).toContain('"prescale stopped"');
    // Every log line on stdout is JSON.
    for (const line of output.split('\n').filter((l) => l.startsWith('{'))) expect(() => JSON.parse(line)).not.toThrow();
  }, 90_000);
});
