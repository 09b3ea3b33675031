/** `msx dashboard --no-open` as a user runs it, in a system's folder: started, its URL read from what it prints, stopped with SIGINT. */
import { execa, type ResultPromise } from 'execa';
import { MSX_BIN, userEnv } from './msx.js';

export interface RunningDashboard {
  /** The URL msx printed, token included. */
  readonly url: string;
  /** http://127.0.0.1:<port> */
  readonly origin: string;
  readonly token: string;
  stop(): Promise<void>;
}

/** `env`: the environment msx runs with (default the user's, {@link userEnv}); a Kubernetes test passes its KUBECONFIG in it. */
export async function startDashboard(root: string, args: string[] = [], env: Record<string, string> = userEnv()): Promise<RunningDashboard> {
  const child: ResultPromise = execa(process.execPath, [MSX_BIN, 'dashboard', '--no-open', '--port', '0', ...args], { cwd: root, env, reject: false, stdin: 'ignore' });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`msx dashboard printed no URL in 60 s: ${output}`)), 60_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const found = /(http:\/\/127\.0\.0\.1:\d+\/\?token=[\da-f]+)/.exec(output);
      if (found) {
        clearTimeout(timer);
        resolve(found[1]!);
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    void child.then((r) => reject(new Error(`msx dashboard exited with ${r.exitCode}: ${output}`)));
  });
  const parsed = new URL(url);
  return {
    url,
    origin: parsed.origin,
    token: parsed.searchParams.get('token')!,
    async stop() {
      child.kill('SIGINT');
      await child;
    },
  };
}
