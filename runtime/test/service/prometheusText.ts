// A strict reader of the Prometheus text exposition format (0.0.4), enough
// to prove /metrics output is well-formed: every line is a HELP, a TYPE or a
// sample with a valid name, well-quoted labels and a float value.
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const LABEL_NAME = '[a-zA-Z_][a-zA-Z0-9_]*';
const LABEL_VALUE = '"(?:[^"\\\\\\n]|\\\\[\\\\"n])*"';
const LABELS = `\\{(?:${LABEL_NAME}=${LABEL_VALUE}(?:,${LABEL_NAME}=${LABEL_VALUE})*,?)?\\}`;
// Values are read as Go's strconv.ParseFloat reads them (the format's
// definition), which takes NaN and Inf in any case: prom-client writes "Nan".
const VALUE = '(?:[+-]?(?:\\d+\\.?\\d*(?:[eE][+-]?\\d+)?|\\.\\d+(?:[eE][+-]?\\d+)?)|[+-]?[iI][nN][fF]|[nN][aA][nN])';
const SAMPLE = new RegExp(`^(${NAME})(${LABELS})? (${VALUE})(?: -?\\d+)?$`);
const HELP = new RegExp(`^# HELP (${NAME}) .*$`);
const TYPE = new RegExp(`^# TYPE (${NAME}) (counter|gauge|histogram|summary|untyped)$`);
const LABEL_PAIR = new RegExp(`(${LABEL_NAME})=(${LABEL_VALUE})`, 'g');

/** Parses exposition text; throws naming the first malformed line. */
export function parsePrometheusText(text: string): { samples: Sample[]; types: Map<string, string> } {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  lines.forEach((line, index) => {
    if (line === '') return;
    const type = TYPE.exec(line);
    if (type) {
      if (types.has(type[1]!)) throw new Error(`line ${index + 1}: second TYPE for ${type[1]}`);
      types.set(type[1]!, type[2]!);
      return;
    }
    if (HELP.test(line)) return;
    const sample = SAMPLE.exec(line);
    if (!sample) throw new Error(`line ${index + 1} is not valid exposition format: ${JSON.stringify(line)}`);
    const labels: Record<string, string> = {};
    for (const [, key, quoted] of (sample[2] ?? '').matchAll(LABEL_PAIR)) labels[key!] = JSON.parse(quoted!) as string;
    const raw = sample[3]!;
    const lower = raw.toLowerCase();
    const value = lower === 'nan' ? NaN : lower.endsWith('inf') ? (lower.startsWith('-') ? -Infinity : Infinity) : Number(raw);
    samples.push({ name: sample[1]!, labels, value });
  });
  return { samples, types };
}
