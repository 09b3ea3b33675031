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
