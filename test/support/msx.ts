import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, type Options } from 'execa';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const MSX_BIN = join(REPO_ROOT, 'bin', 'msx.js');

export interface MsxResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the built msx CLI as a user would: a subprocess, no colour, no terminal. */
export async function msx(args: readonly string[], options: Options = {}): Promise<MsxResult> {
  const result = await execa(process.execPath, [MSX_BIN, ...args], {
    reject: false,
    stdin: 'ignore',
    timeout: 60_000,
    ...options,
    env: { NO_COLOR: '1', ...options.env },
  });
  return { exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr) };
}

/** A fresh temporary folder, removed by the returned cleanup. */
export function tempDir(prefix = 'msx-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * The environment for commands a test runs as a user would. Node's test
 * runner marks its children with NODE_TEST_CONTEXT; a nested `node --test`
 * (a generated system's own tests) would then report to our runner instead
 * of printing, so the mark is removed.
 */
export function userEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) if (value !== undefined && key !== 'NODE_TEST_CONTEXT') env[key] = value;
  return { ...env, NO_COLOR: '1', ...extra };
}
