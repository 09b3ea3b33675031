/** Runs a TypeScript fixture in its own Node process (through tsx) and collects its JSON output lines. */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** How a fixture process ended: an exit code, or the signal that ended it (code null), with what it wrote to stderr. */
export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stderr: string;
}

export interface Child {
  readonly name: string;
  readonly lines: Array<Record<string, unknown>>;
  readonly exited: Promise<Exit>;
  /** Sends SIGTERM unless the process has already ended, and waits for it to end. */
  stop(): Promise<Exit>;
}

/** One line for an assertion message: `exit code 1`, or `signal SIGTERM`, then the fixture's stderr. */
export function describeExit(name: string, exit: Exit): string {
  const how = exit.signal === null ? `exit code ${exit.code}` : `signal ${exit.signal}`;
  return `fixture ${name} ended with ${how}${exit.stderr ? `; stderr:\n${exit.stderr}` : ' and wrote nothing to stderr'}`;
}

export function runFixture(name: string, env: Record<string, string>): Child {
  const file = fileURLToPath(new URL(`./fixtures/${name}.ts`, import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', file], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: Array<Record<string, unknown>> = [];
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  const stdoutDone = new Promise<void>((resolve) => {
    createInterface({ input: child.stdout })
      .on('line', (line) => {
        try {
          lines.push(JSON.parse(line) as Record<string, unknown>);
        } catch {
          stderr += `${line}\n`;
        }
      })
      .on('close', resolve);
  });
  // 'close' rather than 'exit': by then stdout and stderr are fully read, so
  // the lines and stderr an Exit reports are complete.
  const exited = new Promise<Exit>((resolve) => {
    child.on('close', (code, signal) => {
      void stdoutDone.then(() => resolve({ code, signal, stderr }));
    });
  });
  return {
    name,
    lines,
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}
