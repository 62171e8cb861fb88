import { join } from 'node:path';
import { Option, type Command } from 'commander';
import { loadConfig } from '../config/load-config.js';
import { InputError } from '../core/errors.js';
import { silentLogger } from '../core/logger.js';
import { REPO_ROOT } from '../core/paths.js';
import { createMetricsStore } from '../metrics/create-store.js';
import { ingestTrace } from '../metrics/ingest-trace.js';

function parseTag(value: string, previous: Record<string, string>): Record<string, string> {
  const match = /^([^=]+)=(.*)$/.exec(value);
  if (!match) throw new InputError(`expected key=value, got "${value}"`, '--tag');
  return { ...previous, [match[1]!]: match[2]! };
}

/**
 * `prescale ingest`: loads a `timestamp,value` CSV into the configured InfluxDB (the same code as the ingest
 * job). The file is validated before anything is written.
 */
export function registerIngestCommand(program: Command): void {
  program
    .command('ingest')
    .description('Load a timestamp,value CSV trace into the metrics store of the config (validated before any write)')
    .requiredOption('--series <file>', 'timestamp,value CSV (ISO-8601 timestamps)')
    .requiredOption('--measurement <name>', 'measurement to write, e.g. http_requests')
    .requiredOption('--field <name>', 'field to write, e.g. requests')
    .option('--tag <key=value>', 'a tag for every point (repeatable)', parseTag, {})
    .addOption(new Option('--config <file>', 'Prescale config (InfluxDB address and database)').default(join(REPO_ROOT, 'prescale.yaml')))
    .action(async (opts: { series: string; measurement: string; field: string; tag: Record<string, string>; config: string }) => {
      const config = loadConfig(opts.config);
      const store = createMetricsStore(config.influx, silentLogger);
      try {
        await store.ensureReady();
        const result = await ingestTrace(store, {
          file: opts.series,
          measurement: opts.measurement,
          field: opts.field,
          tags: opts.tag,
          onProgress: (written, total) => void process.stderr.write(`\ringest ${written}/${total} points`),
        });
        process.stderr.write('\n');
        const span = result.first === null ? '' : ` from ${new Date(result.first).toISOString()} to ${new Date(result.last!).toISOString()}`;
        process.stdout.write(`wrote ${result.points} points to ${config.influx.url} (${opts.measurement}.${opts.field})${span}\n`);
      } finally {
        await store.close();
      }
    });
}
