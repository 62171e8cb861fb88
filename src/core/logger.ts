import pinoModule from 'pino';
import type { Logger } from 'pino';
import { LOG_REDACT_PATHS, scrubSecrets } from './secrets.js';

export type { Logger };

const pino = pinoModule.pino;

/** Errors as pino writes them, with secrets (registered values, URL passwords) scrubbed from message and stack. */
function scrubbedError(error: Error): ReturnType<typeof pinoModule.stdSerializers.err> {
  const serialized = pinoModule.stdSerializers.err(error);
  serialized.message = scrubSecrets(serialized.message);
  if (typeof serialized.stack === 'string') serialized.stack = scrubSecrets(serialized.stack);
  return serialized;
}

function options(name: string, level: string) {
  return {
    name,
    level,
    base: { service: name },
    timestamp: pinoModule.stdTimeFunctions.isoTime,
    // Secret fields never reach a log line, and error messages are scrubbed of secret values (core/secrets.ts).
    redact: { paths: LOG_REDACT_PATHS, censor: '[redacted]' },
    serializers: { err: scrubbedError },
  };
}

/** Structured JSON logs on stdout; level from PRESCALE_LOG_LEVEL (default info). */
export function createLogger(name = 'prescale', level = process.env['PRESCALE_LOG_LEVEL'] ?? 'info'): Logger {
  return pino(options(name, level));
}

/** JSON logs to a file, for commands whose console shows progress instead (the demo). */
export function createFileLogger(file: string, name = 'prescale', level = process.env['PRESCALE_LOG_LEVEL'] ?? 'info'): Logger {
  return pino(options(name, level), pinoModule.destination({ dest: file, sync: true, mkdir: true }));
}

/** A logger that writes nothing: for tests and pure helpers that accept an optional logger. */
export const silentLogger: Logger = pino({ level: 'silent' });
