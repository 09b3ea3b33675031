import { CliError } from '../errors/cli-error.js';
import { formatPath, type Located } from './diagnostic.js';

/** msx.yaml is malformed or invalid: every problem, located, with exit code 2. */
export class ManifestError extends CliError {
  constructor(
    readonly file: string,
    readonly diagnostics: readonly Located[],
  ) {
    super(`${file} is not valid (${diagnostics.length} problem${diagnostics.length === 1 ? '' : 's'})`, {
      exitCode: 2,
      details: formatDiagnostics(file, diagnostics),
      hint: 'fix the lines above and run the command again (the JSON Schema in msx.schema.json lets editors check the file as you type)',
    });
  }
}

/** `msx.yaml:14:5  services.users.prot: unknown key "prot"`, then its hint indented. */
export function formatDiagnostics(file: string, diagnostics: readonly Located[]): string[] {
  return diagnostics.flatMap((d) => {
    const where = d.path.length > 0 ? `${formatPath(d.path)}: ` : '';
    const lines = [`${file}:${d.line}:${d.column}  ${where}${d.message}`];
    if (d.hint) lines.push(`    ${d.hint}`);
    return lines;
  });
}
