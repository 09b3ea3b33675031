import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** The system has no TypeScript compiler installed (npm install was not run, or typescript was removed). */
export class CompilerMissingError extends Error {
  override readonly name = 'CompilerMissingError';
  constructor(readonly compiler: string) {
    super(`no TypeScript compiler at ${compiler}; run npm install in the system folder`);
  }
}

export interface BuildResult {
  readonly ok: boolean;
  /** One entry per compiler error, continuation lines joined (`services/users/src/routes.ts(5,3): error TS2322: …`). */
  readonly errors: readonly string[];
  readonly durationMs: number;
}

/** A build that takes longer than this is stuck (a watch flag, a huge project): it is killed and reported. */
const BUILD_TIMEOUT_MS = 120_000;

/** The compiler the system itself installed, so a rebuild matches `npm run build`. */
export function compilerPath(root: string): string {
  return join(root, 'node_modules', 'typescript', 'bin', 'tsc');
}

/**
 * Rebuilds one service after its source changed: the only place the local
 * target runs the TypeScript compiler. It runs the system's own `tsc` with
 * this Node, from the system folder.
 *
 * The service's project is compiled with `-p … --noEmitOnError` rather than
 * `tsc -b`: since TypeScript 5.6, build mode writes JavaScript even when the
 * project has errors and refuses `--noEmitOnError`, so a typo would replace
 * `dist/` with a broken build that the next crash restart would run. With
 * `--noEmitOnError` a failed build leaves the previous output untouched.
 * (A service's tsconfig has no project references, so `-p` builds the same
 * files `tsc -b` would, and updates the same `.tsbuildinfo`.)
 */
export function rebuildService(root: string, service: string, timeoutMs = BUILD_TIMEOUT_MS): Promise<BuildResult> {
  const compiler = compilerPath(root);
  if (!existsSync(compiler)) return Promise.reject(new CompilerMissingError(compiler));
  const args = [compiler, '-p', join('services', service, 'tsconfig.json'), '--noEmitOnError', '--pretty', 'false'];
  const startedAt = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    const finish = (code: number | null, spawnError?: Error): void => {
      clearTimeout(timer);
      const durationMs = Date.now() - startedAt;
      if (code === 0) return resolve({ ok: true, errors: [], durationMs });
      const errors = timedOut
        ? [`the build did not finish within ${Math.round(timeoutMs / 1000)}s`]
        : spawnError
          ? [`the compiler could not start: ${spawnError.message}`]
          : compilerErrors(output);
      resolve({ ok: false, errors, durationMs });
    };
    child.once('error', (error) => finish(null, error));
    child.once('close', (code) => finish(code));
  });
}

/**
 * Splits `tsc --pretty false` output into one entry per error: an error
 * starts at a line naming `error TS<n>` and goes on over the indented lines
 * under it (the elaboration of a type mismatch). Output that holds no such
 * line (a crash of the compiler) is returned line by line.
 */
export function compilerErrors(output: string): string[] {
  const lines = output.split(/\r?\n/).filter((line) => line.trim() !== '');
  const errors: string[] = [];
  for (const line of lines) {
    if (/\berror TS\d+:/.test(line)) errors.push(line.trim());
    else if (/^\s/.test(line) && errors.length > 0) errors[errors.length - 1] += ` ${line.trim()}`;
  }
  return errors.length > 0 ? errors : lines.map((line) => line.trim());
}
