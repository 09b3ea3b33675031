// A node:test reporter that prints, once the run ends, the test files that
// took longest (the sum of their top-level tests and suites) and the run's
// wall time, so a CI log says where its minutes went. It writes nothing
// else: node's own reporter still prints every test and the summary lines.
//
// The summary is written synchronously to stderr when the runner starts its
// own summary lines ("tests N"): under --test-force-exit the runner exits
// before its last lines reach a reporter, and before a last yield is written.
import { writeSync } from 'node:fs';

const SHOWN = 15;

export default async function* slowestTestFiles(source) {
  const started = Date.now();
  const perFile = new Map();
  let printed = false;
  const print = () => {
    if (printed) return;
    printed = true;
    const rows = [...perFile].sort((a, b) => b[1] - a[1]).slice(0, SHOWN);
    const cwd = `${process.cwd()}/`;
    let out = `\n# slowest test files (of ${perFile.size}; run took ${Math.round((Date.now() - started) / 1000)} s)\n`;
    for (const [file, ms] of rows) out += `#   ${(ms / 1000).toFixed(0).padStart(5)} s  ${file.startsWith(cwd) ? file.slice(cwd.length) : file}\n`;
    writeSync(2, out);
  };
  for await (const event of source) {
    if (event.type === 'test:diagnostic' && event.data.nesting === 0 && /^tests \d+$/.test(event.data.message)) print();
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const { nesting, file, details } = event.data;
    if (nesting !== 0 || !file) continue;
    perFile.set(file, (perFile.get(file) ?? 0) + (details?.duration_ms ?? 0));
  }
  print();
  yield '';
}
