/**
 * Keeping secrets (API tokens, the InfluxDB password and token, a password inside the Redis or InfluxDB URL)
 * out of logs and error answers. Three layers, each cheap:
 *   - `LOG_REDACT_PATHS`: fields pino replaces in every log line (core/logger.ts);
 *   - `stripUrlCredentials`: `scheme://user:password@host` -> `scheme://host` in any text (addresses in error
 *     messages are built from configured URLs);
 *   - `registerSecrets` / `scrubSecrets`: the composition root registers the configured secret values once;
 *     error messages that reach a log or an HTTP answer are scrubbed of them (whatever library wrote them).
 * Left out: secrets the process never sees (mounted token files are read, digested and not kept as text).
 */

/** Log fields that may hold a secret, at the top level or one level down (pino redact paths). */
export const LOG_REDACT_PATHS = [
  'password',
  'token',
  'authorization',
  '*.password',
  '*.token',
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
  'req.headers.authorization',
  'config.influx.password',
  'config.influx.token',
  'config.redis.url',
];

const URL_CREDENTIALS = /([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@]*@/gi;

/** Removes `user:password@` from every URL in `text`. */
export function stripUrlCredentials(text: string): string {
  return text.replace(URL_CREDENTIALS, '$1');
}

const secrets = new Set<string>();
/** Shorter values are too likely to occur by chance (and the config refuses tokens under 16 characters). */
const MIN_SECRET_LENGTH = 6;

/** Remembers secret values to scrub from messages; undefined and short values are ignored. */
export function registerSecrets(values: Iterable<string | undefined>): void {
  for (const value of values) if (value !== undefined && value.length >= MIN_SECRET_LENGTH) secrets.add(value);
}

/** Secret values of a config: API and external-metrics tokens, InfluxDB password and token, URL passwords. */
export function configSecrets(config: {
  api: { tokens: { token?: string | undefined }[] };
  externalMetrics: { tokens: { token?: string | undefined }[] };
  influx: { password?: string | undefined; token?: string | undefined; url: string };
  redis: { url: string };
}): string[] {
  const urlPassword = (url: string) => {
    try {
      const parsed = new URL(url);
      return [decodeURIComponent(parsed.password), parsed.password];
    } catch {
      return [];
    }
  };
  return [
    ...config.api.tokens.map((t) => t.token),
    ...config.externalMetrics.tokens.map((t) => t.token),
    config.influx.password,
    config.influx.token,
    ...urlPassword(config.influx.url),
    ...urlPassword(config.redis.url),
  ].filter((s): s is string => s !== undefined && s !== '');
}

/** `text` without URL credentials and without any registered secret value. */
export function scrubSecrets(text: string): string {
  let scrubbed = stripUrlCredentials(text);
  for (const secret of secrets) if (scrubbed.includes(secret)) scrubbed = scrubbed.split(secret).join('[redacted]');
  return scrubbed;
}
