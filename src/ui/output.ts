import Table from 'cli-table3';
import { colour, errColour } from './colour.js';

/** Prints data for scripts: stable, indented JSON on stdout. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Prints rows for humans as an aligned table without box drawing noise. */
export function printTable(head: readonly string[], rows: readonly (readonly string[])[]): void {
  const table = new Table({
    head: head.map((h) => colour.bold(h)),
    style: { head: [], border: [], compact: true, 'padding-left': 0, 'padding-right': 2 },
    chars: {
      top: '', 'top-mid': '', 'top-left': '', 'top-right': '',
      bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '',
      left: '', 'left-mid': '', mid: '', 'mid-mid': '',
      right: '', 'right-mid': '', middle: ' ',
    },
  });
  for (const row of rows) table.push([...row]);
  process.stdout.write(`${table.toString()}\n`);
}

export function info(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** A warning for the operator on stderr, as msx.yaml's warnings print: the command goes on. */
export function warn(line: string): void {
  process.stderr.write(`${errColour.yellow('warning')} ${line}\n`);
}
