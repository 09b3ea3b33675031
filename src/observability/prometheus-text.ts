/**
 * A parser for the Prometheus text exposition format (0.0.4), the format
 * `/metrics` of every msx instance serves (prom-client). The npm parsers
 * that exist are unmaintained and untyped; the format is small: `# TYPE`
 * lines, and samples `name{label="value",…} value [timestamp]` with `\\`,
 * `\"` and `\n` escapes in label values and `+Inf`/`-Inf`/`NaN` values.
 */

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

export interface Exposition {
  readonly samples: readonly Sample[];
  /** `# TYPE` of each metric family by family name. */
  readonly types: ReadonlyMap<string, MetricType>;
}

/** A line that is not valid exposition text, with its 1-based number. */
export class PrometheusParseError extends Error {
  override readonly name = 'PrometheusParseError';
  readonly code = 'PROMETHEUS_PARSE_FAILED';
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(`line ${line}: ${message}`);
  }
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;
const TYPES: ReadonlySet<string> = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

export function parseValue(text: string): number {
  if (text === '+Inf' || text === 'Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (text === 'NaN') return NaN;
  const value = Number(text);
  if (text === '' || Number.isNaN(value)) throw new Error(`"${text}" is not a number`);
  return value;
}

/** @throws PrometheusParseError naming the first bad line. */
export function parsePrometheusText(text: string): Exposition {
  const samples: Sample[] = [];
  const types = new Map<string, MetricType>();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    if (line.startsWith('#')) {
      const match = /^#\s*TYPE\s+(\S+)\s+(\S+)/.exec(line);
      if (match !== null && TYPES.has(match[2]!)) types.set(match[1]!, match[2] as MetricType);
      continue;
    }
    try {
      samples.push(parseSample(line));
    } catch (error) {
      throw new PrometheusParseError(i + 1, (error as Error).message);
    }
  }
  return { samples, types };
}

function parseSample(line: string): Sample {
  const name = NAME.exec(line)?.[0];
  if (name === undefined) throw new Error(`expected a metric name, got ${JSON.stringify(line.slice(0, 40))}`);
  let pos = name.length;
  const labels: Record<string, string> = {};
  if (line[pos] === '{') {
    pos++;
    for (;;) {
      while (line[pos] === ' ' || line[pos] === ',') pos++;
      if (line[pos] === '}') {
        pos++;
        break;
      }
      const labelName = LABEL_NAME.exec(line.slice(pos))?.[0];
      if (labelName === undefined) throw new Error(`expected a label name in ${name}`);
      pos += labelName.length;
      while (line[pos] === ' ') pos++;
      if (line[pos] !== '=' || line[pos + 1] !== '"') throw new Error(`expected ="…" after label ${labelName} of ${name}`);
      pos += 2;
      let value = '';
      for (;;) {
        const ch = line[pos];
        if (ch === undefined) throw new Error(`unterminated value of label ${labelName} of ${name}`);
        pos++;
        if (ch === '"') break;
        if (ch === '\\') {
          const next = line[pos++];
          value += next === 'n' ? '\n' : (next ?? '');
        } else value += ch;
      }
      labels[labelName] = value;
    }
  }
  const rest = line.slice(pos).trim().split(/\s+/);
  if (rest.length < 1 || rest.length > 2 || rest[0] === '') throw new Error(`expected a value after ${name}`);
  return { name, labels, value: parseValue(rest[0]!) };
}
