import { pino, type Logger } from 'pino';

export type { Logger };

/** Structured JSON logs on stdout; level from PRESCALE_LOG_LEVEL (default info). */
export function createLogger(name = 'prescale', level = process.env['PRESCALE_LOG_LEVEL'] ?? 'info'): Logger {
  return pino({ name, level, base: { service: name }, timestamp: pino.stdTimeFunctions.isoTime });
}

/** A logger that writes nothing: for tests and pure helpers that accept an optional logger. */
export const silentLogger: Logger = pino({ level: 'silent' });
