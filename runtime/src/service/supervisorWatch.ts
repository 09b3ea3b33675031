import { Socket } from 'node:net';

/**
 * The environment variable through which a supervisor (msx's local target)
 * names the file descriptor of a pipe it holds open for the instance's whole
 * life. The instance never reads data from it; it only waits for the end.
 */
export const SUPERVISOR_FD_VARIABLE = 'MSX_SUPERVISOR_FD';

/** Longest an instance keeps running after its supervisor is gone, ms: a drain that hangs must not leave it running. */
export const SUPERVISOR_LOST_EXIT_BOUND_MS = 20_000;

/**
 * Makes the instance stop when its supervisor dies. An instance without its
 * supervisor is worse than none: nobody restarts it, `msx ps` and `msx down`
 * lose track of it, it keeps its port so the next `msx up` fails, and the
 * embedded databases it used lived inside the supervisor. The kernel closes
 * the supervisor's end of the pipe however it dies (SIGKILL included), so
 * the end of the pipe is a death notice no signal can skip.
 *
 * On that notice the instance sends itself SIGTERM, so whatever shutdown it
 * installed (the service kit's or the gateway's drain) runs as for a `msx
 * down`, and exits after `SUPERVISOR_LOST_EXIT_BOUND_MS` at the latest. The
 * pipe is unreferenced, so it never keeps a finished process alive. Without
 * the variable (a service run by hand, by compose, by Kubernetes) it does
 * nothing.
 */
export function watchSupervisor(env: NodeJS.ProcessEnv = process.env, onLost: () => void = stopSelf): void {
  const raw = env[SUPERVISOR_FD_VARIABLE];
  if (raw === undefined || raw === '') return;
  const fd = Number(raw);
  if (!Number.isInteger(fd) || fd < 3) return;
  // Children of this process (a worker it spawns) must not watch a pipe that is not theirs.
  delete env[SUPERVISOR_FD_VARIABLE];
  let pipe: Socket;
  try {
    pipe = new Socket({ fd, readable: true, writable: false });
  } catch {
    return; // not open: started by something that set the variable without the pipe
  }
  let lost = false;
  const onEnd = (): void => {
    if (lost) return;
    lost = true;
    onLost();
  };
  pipe.on('data', () => {}); // nothing is sent; reading is what notices the end
  pipe.once('end', onEnd);
  pipe.once('close', onEnd);
  pipe.on('error', onEnd);
  pipe.unref();
}

function stopSelf(): void {
  // Output goes to pipes the dead supervisor read: a failed write must not cut the drain short.
  process.stdout.on('error', () => {});
  process.stderr.on('error', () => {});
  setTimeout(() => process.exit(SUPERVISOR_LOST_EXIT_CODE), SUPERVISOR_LOST_EXIT_BOUND_MS).unref();
  process.kill(process.pid, 'SIGTERM');
}

/** Exit code when the drain after losing the supervisor did not finish in time (EX_SOFTWARE is not it: nothing is wrong with the code). */
const SUPERVISOR_LOST_EXIT_CODE = 1;
