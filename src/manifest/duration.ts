import { InvalidArgumentError, Option } from 'commander';

/**
 * Durations in msx.yaml are written with a unit: `500ms`, `5s`, `1m`, `1h`,
 * `1d`. A bare number is not accepted there (it would be ambiguous in a file
 * that is read by people and by the JSON Schema alike).
 */
export const DURATION = /^(\d+)(ms|s|m|h|d)$/;

/**
 * Durations on the command line: the same units, or a bare number, which
 * means SECONDS (as `sleep`, `timeout` and `docker --time` read it), never
 * milliseconds. Fractions are allowed (`0.5s`, `1.5`).
 */
const FLAG_DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/;

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
type Unit = keyof typeof UNIT_MS;

/** Milliseconds of a duration from msx.yaml (already validated by the schema). */
export function durationMs(text: string): number {
  const match = DURATION.exec(text);
  if (!match) throw new TypeError(`not a duration: ${text}`);
  return Number(match[1]) * UNIT_MS[match[2] as Unit];
}

/** Milliseconds of a duration given on the command line, or undefined when it is none. */
export function parseFlagDuration(text: string): number | undefined {
  const match = FLAG_DURATION.exec(text.trim());
  if (!match) return undefined;
  return Math.round(Number(match[1]) * UNIT_MS[(match[2] ?? 's') as Unit]);
}

/** `90000` → `1m30s`, `1500` → `1.5s`: how msx writes a duration back to the user. */
export function formatDurationMs(ms: number): string {
  if (ms % UNIT_MS.d === 0 && ms >= 2 * UNIT_MS.d) return `${ms / UNIT_MS.d}d`;
  if (ms % UNIT_MS.h === 0 && ms >= UNIT_MS.h) return `${ms / UNIT_MS.h}h`;
  if (ms % UNIT_MS.m === 0 && ms >= UNIT_MS.m) return `${ms / UNIT_MS.m}m`;
  if (ms >= 1000) return `${ms / 1000}s`;
  return `${ms}ms`;
}

export interface DurationFlagBounds {
  /** An example shown when the value is wrong, e.g. `30s`. */
  readonly example: string;
  readonly minMs?: number;
  readonly maxMs?: number;
}

/**
 * A commander argument parser for a duration flag: every command's duration
 * flags go through it, so `30` means 30 seconds everywhere. A bad value is a
 * usage error (exit 2) that echoes the value and shows a valid one.
 */
export function durationFlag(bounds: DurationFlagBounds): (value: string) => number {
  return (value) => {
    const ms = parseFlagDuration(value);
    if (ms === undefined) {
      throw new InvalidArgumentError(`"${value}" is not a duration; write a number with a unit (ms, s, m, h, d), e.g. ${bounds.example} (a bare number means seconds)`);
    }
    if (bounds.minMs !== undefined && ms < bounds.minMs) {
      throw new InvalidArgumentError(`"${value}" is too short: at least ${formatDurationMs(bounds.minMs)}, e.g. ${bounds.example}`);
    }
    if (bounds.maxMs !== undefined && ms > bounds.maxMs) {
      throw new InvalidArgumentError(`"${value}" is too long: at most ${formatDurationMs(bounds.maxMs)}, e.g. ${bounds.example}`);
    }
    return ms;
  };
}

/**
 * A duration flag as commander shows it: parsed by {@link durationFlag}, and
 * its default written with its unit (`(default: 30s)`), never as the
 * milliseconds msx holds it in — which a reader of the help, told that a bare
 * number means seconds, would take for 30,000 seconds.
 */
export function durationOption(flags: string, description: string, bounds: DurationFlagBounds, defaultMs?: number): Option {
  const option = new Option(flags, description).argParser(durationFlag(bounds));
  return defaultMs === undefined ? option : option.default(defaultMs, formatDurationMs(defaultMs));
}

/** The sentence every duration flag's help ends with. */
export const DURATION_HELP = 'Durations take a unit: 500ms, 30s, 10m, 2h, 1d; a bare number means seconds.';
