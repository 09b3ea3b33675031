import type { ChalkInstance } from 'chalk';
import type { LogEntry } from '../targets/target.js';
import { levelName } from './log-line.js';

const PREFIX_COLOURS = ['cyan', 'magenta', 'blue', 'yellow', 'green', 'redBright', 'cyanBright', 'magentaBright', 'blueBright', 'greenBright'] as const;

/** A stable colour per instance, so `users-2` looks the same in every line and every run. */
export function prefixColour(instance: string): (typeof PREFIX_COLOURS)[number] {
  let hash = 0;
  for (const char of instance) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  return PREFIX_COLOURS[hash % PREFIX_COLOURS.length]!;
}

function levelColour(chalk: ChalkInstance, level: number): (text: string) => string {
  if (level >= 50) return chalk.red;
  if (level >= 40) return chalk.yellow;
  if (level >= 30) return chalk.green;
  return chalk.gray;
}

/** Fields worth a place on the line after the message, in this order; the rest follow. */
const KEY_FIELDS = ['method', 'path', 'status', 'durationMs', 'requestId', 'traceId', 'trace_id'];
const HIDDEN_FIELDS = new Set(['route', 'stream', 'source']);

function fieldText(value: unknown): string {
  if (typeof value === 'string') return /\s/.test(value) ? JSON.stringify(value) : value;
  if (value !== null && typeof value === 'object') {
    const error = value as { message?: unknown; type?: unknown };
    if (typeof error.message === 'string') return JSON.stringify(`${typeof error.type === 'string' ? `${error.type}: ` : ''}${error.message}`);
    return JSON.stringify(value);
  }
  return String(value);
}

/**
 * The entry's fields as `method=GET path=/users status=200 …`: the key fields
 * first, in a fixed order, then the rest; what the terminal and the
 * dashboard's Logs page both show after the message.
 */
export function entryFieldsText(entry: LogEntry, keyText: (key: string) => string = (key) => `${key}=`): string {
  const keys = [...KEY_FIELDS.filter((k) => k in entry.fields), ...Object.keys(entry.fields).filter((k) => !KEY_FIELDS.includes(k) && !HIDDEN_FIELDS.has(k))];
  return keys.map((k) => `${keyText(k)}${fieldText(entry.fields[k])}`).join(' ');
}

/**
 * One entry for a person: `12:03:04.512 users-1 │ INFO  request completed
 * method=GET path=/users status=200 …`, the prefix padded to `width` and
 * coloured per instance, the level coloured by severity. Lines from msx
 * itself (restarts, crash loops) are marked `msx:`.
 */
export function formatEntry(entry: LogEntry, chalk: ChalkInstance, width: number): string {
  const time = entry.time ? new Date(entry.time).toISOString().slice(11, 23) : '            ';
  const prefix = chalk[prefixColour(entry.instance)](entry.instance.padEnd(width));
  const level = levelColour(chalk, entry.level)(levelName(entry.level).toUpperCase().padEnd(5));
  const fields = entryFieldsText(entry, (key) => chalk.dim(`${key}=`));
  const msg = entry.fields.source === 'msx' ? `${chalk.bold('msx:')} ${entry.msg}` : entry.msg;
  return `${chalk.dim(time)} ${prefix} ${chalk.dim('│')} ${level} ${msg}${fields ? ` ${fields}` : ''}`;
}
