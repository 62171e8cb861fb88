/**
 * Picks the metrics store adapter from `influx.api`: v1 (InfluxQL + /write; InfluxDB 1.x, 2.x compatibility API,
 * 3.x) or v2 (Flux + /api/v2; InfluxDB 2.x). The composition root calls this; nothing else names an adapter.
 */
import type { InfluxConfig } from '../config/schema.js';
import { InputError } from '../core/errors.js';
import { silentLogger, type Logger } from '../core/logger.js';
import { createInfluxV1Store } from './influx-v1.js';
import { createInfluxV2Store } from './influx-v2.js';
import type { MetricsStore } from './metrics-store.js';

export function createMetricsStore(config: InfluxConfig, logger: Logger = silentLogger): MetricsStore {
  if (config.api === 'v2') {
    const missing = (['org', 'bucket', 'token'] as const).filter((key) => !config[key]);
    if (missing.length > 0) {
      throw new InputError(`influx.api v2 needs ${missing.map((k) => `influx.${k}`).join(', ')} (or PRESCALE_INFLUX_${missing[0]!.toUpperCase()})`, `influx.${missing[0]}`);
    }
    return createInfluxV2Store({ url: config.url, org: config.org!, bucket: config.bucket!, token: config.token!, timeoutMs: config.timeout, logger });
  }
  return createInfluxV1Store({
    url: config.url,
    database: config.database,
    username: config.username,
    password: config.password,
    token: config.token,
    timeoutMs: config.timeout,
    logger,
  });
}
