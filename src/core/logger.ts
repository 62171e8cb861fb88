import pinoModule from 'pino';
import type { Logger } from 'pino';

export type { Logger };

const pino = pinoModule.pino;

function options(name: string, level: string) {
  return { name, level, base: { service: name }, timestamp: pinoModule.stdTimeFunctions.isoTime };
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
