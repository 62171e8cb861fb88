/** A real pino logger whose JSON lines a test can read back (what a user would see in the process's log). */
import { pino } from 'pino';
import type { Logger } from '../../src/core/logger.js';

export interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

export function recordingLogger(level = 'debug'): { logger: Logger; lines: () => LogLine[] } {
  const lines: LogLine[] = [];
  const logger: Logger = pino({ level }, { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) });
  return { logger, lines: () => [...lines] };
}
