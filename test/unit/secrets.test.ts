/**
 * core/secrets.ts and the logger's use of it: URL credentials stripped, registered secret values scrubbed,
 * secret fields redacted in real pino output (a file logger, read back).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createFileLogger } from '../../src/core/logger.js';
import { redisAddress } from '../../src/core/redis.js';
import { configSecrets, registerSecrets, scrubSecrets, stripUrlCredentials } from '../../src/core/secrets.js';
import { parseConfig } from '../../src/config/load-config.js';

describe('secrets', () => {
  it('strips user and password from every URL in a text', () => {
    expect(stripUrlCredentials('influxdb at http://admin:p%40ss@10.0.0.1:8086/ping and redis://:pw@r:6379/0')).toBe('influxdb at http://10.0.0.1:8086/ping and redis://r:6379/0');
    expect(stripUrlCredentials('mail me at a@b.c, see https://example.com/a@b')).toBe('mail me at a@b.c, see https://example.com/a@b');
  });

  it('collects the secrets of a config and scrubs them from free text', () => {
    const config = parseConfig(
      {
        api: { tokens: [{ name: 'ops', scopes: ['read'], token: 'unit-secret-api-token-1' }] },
        influx: { url: 'http://u:unit-url-pass@127.0.0.1:8086', password: 'unit-influx-pass', token: 'unit-influx-token' },
        redis: { url: 'redis://:unit-redis-pass@127.0.0.1:6379' },
        targets: [{ name: 'web', load: { measurement: 'm', field: 'f' }, capacityPerReplica: 1, maxReplicas: 2 }],
      },
      {},
    );
    const secrets = configSecrets(config);
    expect(secrets).toEqual(expect.arrayContaining(['unit-secret-api-token-1', 'unit-influx-pass', 'unit-influx-token', 'unit-url-pass', 'unit-redis-pass']));
    registerSecrets(secrets);
    expect(scrubSecrets('token unit-secret-api-token-1 and unit-influx-pass')).toBe('token [redacted] and [redacted]');
  });

  it('a Redis address that is not a URL never repeats a password', () => {
    expect(redisAddress('redis://:pw-in-url@127.0.0.1:6390')).toBe('127.0.0.1:6390');
    expect(redisAddress('not a url :hunter22@host')).not.toContain('hunter22');
  });

  it('the logger redacts secret fields and scrubs error messages', () => {
    const dir = mkdtempSync(join(tmpdir(), 'prescale-log-'));
    try {
      const file = join(dir, 'log.jsonl');
      registerSecrets(['unit-logged-secret-9']);
      const logger = createFileLogger(file, 'test', 'debug');
      logger.info({ token: 'field-secret-1', config: { influx: { password: 'field-secret-2' } }, headers: { authorization: 'Bearer field-secret-3' } }, 'with fields');
      logger.error({ err: new Error('influxdb at http://u:field-secret-4@h:8086 said unit-logged-secret-9') }, 'failed');
      const text = readFileSync(file, 'utf8');
      for (const secret of ['field-secret-1', 'field-secret-2', 'field-secret-3', 'field-secret-4', 'unit-logged-secret-9']) expect(text).not.toContain(secret);
      expect(text).toContain('[redacted]');
      expect(text).toContain('influxdb at http://h:8086');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
