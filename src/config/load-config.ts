import { readFileSync } from 'node:fs';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import type { ZodError } from 'zod';
import { InputError } from '../core/errors.js';
import { configSchema, type PrescaleConfig } from './schema.js';

/** Environment variables that override the file (secrets and addresses never need to live in YAML). */
export const ENV_OVERRIDES: Record<string, string[]> = {
  PRESCALE_INFLUX_URL: ['influx', 'url'],
  PRESCALE_INFLUX_DATABASE: ['influx', 'database'],
  PRESCALE_INFLUX_USERNAME: ['influx', 'username'],
  PRESCALE_INFLUX_PASSWORD: ['influx', 'password'],
  PRESCALE_INFLUX_TOKEN: ['influx', 'token'],
  PRESCALE_INFLUX_ORG: ['influx', 'org'],
  PRESCALE_INFLUX_BUCKET: ['influx', 'bucket'],
  PRESCALE_REDIS_URL: ['redis', 'url'],
  PRESCALE_REDIS_PREFIX: ['redis', 'prefix'],
  /** Comma-separated "host:port" seed nodes of a Redis Cluster (redis.cluster). */
  PRESCALE_REDIS_CLUSTER: ['redis', 'cluster'],
  PRESCALE_HTTP_HOST: ['http', 'host'],
  PRESCALE_HTTP_PORT: ['http', 'port'],
  PRESCALE_EXTERNAL_METRICS_HOST: ['externalMetrics', 'host'],
  PRESCALE_EXTERNAL_METRICS_PORT: ['externalMetrics', 'port'],
  PRESCALE_KUBE_MODE: ['kubernetes', 'mode'],
  KUBECONFIG: ['kubernetes', 'kubeconfig'],
};

/** Renders zod issues as one line per field: `targets[0].capacityPerReplica: expected number, got string`. */
export function formatConfigIssues(error: ZodError, source: string): string {
  const lines = error.issues.map((issue) => {
    const path = issue.path.reduce<string>((acc, part) => (typeof part === 'number' ? `${acc}[${part}]` : acc ? `${acc}.${part}` : part), '');
    const detail = issue.code === 'unrecognized_keys' ? `unknown key(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}` : issue.message;
    return `  ${path || '(root)'}: ${detail}`;
  });
  return `invalid configuration in ${source}:\n${lines.join('\n')}`;
}

/**
 * Sets a field for an environment override, creating missing sections. A section the file gives as
 * something other than an object (`influx: 5`) is left alone, so the schema still reports it instead of
 * the override silently replacing it.
 */
function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    if (node[key] === undefined) node[key] = {};
    const next = node[key];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) return;
    node = next as Record<string, unknown>;
  }
  node[path[path.length - 1]!] = value;
}

/** Validates an already-parsed document plus env overrides. Throws InputError listing every bad field. */
export function parseConfig(document: unknown, env: NodeJS.ProcessEnv = process.env, source = 'config'): PrescaleConfig {
  const raw = (typeof document === 'object' && document !== null ? structuredClone(document) : document) as Record<string, unknown>;
  if (typeof raw === 'object' && raw !== null) {
    for (const [variable, path] of Object.entries(ENV_OVERRIDES)) {
      const value = env[variable];
      if (value === undefined || value === '') continue;
      setPath(raw, path, path[1] === 'port' ? Number(value) : value);
    }
  }
  const result = configSchema.safeParse(raw);
  if (!result.success) throw new InputError(formatConfigIssues(result.error, source));
  return result.data;
}

/** Reads and validates a YAML config file. */
export function loadConfig(file: string, env: NodeJS.ProcessEnv = process.env): PrescaleConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new InputError(`cannot read config file: ${(error as Error).message}`, file, { cause: error });
  }
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch (error) {
    const where = error instanceof YAMLParseError && error.linePos ? `${file}:${error.linePos[0].line}` : file;
    throw new InputError(`not valid YAML: ${(error as Error).message.split('\n')[0]}`, where, { cause: error });
  }
  return parseConfig(document, env, file);
}
