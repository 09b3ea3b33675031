import type { Command } from 'commander';

/**
 * The name of the top-level command `argv` runs, read as commander will read
 * it: the first operand after the program's own options (-C <dir> takes a
 * value, --version does not), or the command `msx help <command>` asks
 * about. Undefined when argv names none (`msx`, `msx --help`, `msx help`).
 *
 * The CLI loads that one command's module before parsing, so this must find
 * the same word commander dispatches on; the option table comes from the
 * program itself, so an option added there is skipped here too.
 */
export function invokedCommandName(program: Command, argv: readonly string[]): string | undefined {
  const operands: string[] = [];
  for (let i = 0; i < argv.length && operands.length < 2; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      operands.push(...argv.slice(i + 1, i + 3));
      break;
    }
    if (arg.startsWith('-') && arg.length > 1) {
      const long = arg.startsWith('--');
      const flag = long ? arg.split('=')[0] : arg.slice(0, 2);
      const option = program.options.find((o) => (long ? o.long === flag : o.short === flag));
      // A value given in the same word (--cwd=dir, -Cdir) needs no skip; an unknown option is commander's to report.
      const valueAttached = long ? arg.includes('=') : arg.length > 2;
      if (option && !valueAttached && (option.required || (option.optional && !argv[i + 1]?.startsWith('-')))) i++;
      continue;
    }
    operands.push(arg);
    if (operands[0] !== 'help') break;
  }
  return operands[0] === 'help' ? operands[1] : operands[0];
}
