/** @module Structured logs with pino, always on stderr so stdout stays free for reports and `--json` output. */
import { type Logger, pino } from 'pino';
import pretty from 'pino-pretty';

export type { Logger } from 'pino';

export interface LoggerOptions {
  level: string;
  format: 'json' | 'pretty';
  /** Where lines go; stderr unless a test captures them. */
  destination?: NodeJS.WritableStream;
}

export function createLogger(options: LoggerOptions): Logger {
  const base = { level: options.level, base: { service: 'rounds' } };
  if (options.format === 'pretty') {
    // A synchronous stream, not a worker transport: lines written just before exit are not lost.
    const stream = pretty({
      destination: options.destination ?? process.stderr,
      sync: true,
      colorize: false,
      singleLine: true,
      ignore: 'pid,hostname,service',
      translateTime: 'SYS:HH:MM:ss.l',
    });
    return pino(base, stream);
  }
  return pino(base, options.destination ?? pino.destination({ dest: 2, sync: true }));
}
