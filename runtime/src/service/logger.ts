import { pino, type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from './config.js';

export interface LoggerOptions {
  readonly service: string;
  readonly instance: string;
  readonly level: LogLevel;
  /** Where lines go; default stdout (synchronous, so nothing is lost on `process.exit`). */
  readonly destination?: DestinationStream | undefined;
}

/**
 * The service's root logger: one JSON object per line, with `service` and
 * `instance` on every line and the level as its name (`"level":"info"`), which
 * log shippers read without a lookup table. No pretty printing in the
 * runtime: pipe through `pino-pretty` when reading by eye.
 */
export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level,
      base: { service: options.service, instance: options.instance },
      formatters: { level: (label) => ({ level: label }) },
    },
    options.destination ?? pino.destination({ dest: 1, sync: true }),
  );
}
