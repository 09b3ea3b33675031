/**
 * The start gate: how a supervisor (msx's local target) starts every
 * instance's process at once and still starts each service only after the
 * services it calls are ready. Loading a service's code (express, pg, the
 * runtime: about a second of CPU) is most of its start and needs nothing
 * else, so the supervisor spawns every process right away with
 * `MSX_START_GATE=1`; each loads its code, says so (`msx:loaded`) over the
 * IPC channel it was spawned with, and waits for `msx:start` before its
 * start-up function runs (configuration, database, migrations, listen).
 *
 * Asked for rather than sent unasked: a message that reached the instance
 * before it listened would be lost. Without the variable or the channel (a
 * service run by hand, by compose, by Kubernetes) nothing waits.
 */

export const START_GATE_VARIABLE = 'MSX_START_GATE';

/** Instance → supervisor: code loaded, waiting for its turn. */
export interface LoadedMessage {
  readonly type: 'msx:loaded';
}

/** Supervisor → instance: start now. */
export interface StartMessage {
  readonly type: 'msx:start';
}

/** Instance → supervisor: listening; `/ready` is worth asking now. */
export interface ListeningMessage {
  readonly type: 'msx:listening';
}

/**
 * Resolves when the supervisor lets this instance start: at once without a
 * gate; when `msx:start` arrives, or the channel closes (the supervisor is
 * gone: the supervisor watch stops the instance), otherwise. `whileWaiting`
 * runs only when there is a wait, to use it (loading what start-up will load).
 */
export function passStartGate(env: NodeJS.ProcessEnv = process.env, whileWaiting: () => void = () => {}): Promise<void> {
  const gated = env[START_GATE_VARIABLE] === '1';
  // Children of this process (a worker it spawns) are not gated by our supervisor.
  delete env[START_GATE_VARIABLE];
  if (!gated || typeof process.send !== 'function' || !process.connected) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      process.removeListener('message', onMessage);
      process.removeListener('disconnect', done);
      resolve();
    };
    const onMessage = (message: unknown) => {
      if ((message as Partial<StartMessage> | null)?.type === 'msx:start') done();
    };
    process.on('message', onMessage);
    process.once('disconnect', done);
    const loaded: LoadedMessage = { type: 'msx:loaded' };
    try {
      process.send!(loaded, undefined, {}, (error) => {
        if (error) done();
      });
    } catch {
      done();
      return;
    }
    whileWaiting();
  });
}

/** Tells the supervisor, if there is one, that this instance listens, so it asks `/ready` now instead of at its next poll. */
export function announceListening(): void {
  if (typeof process.send !== 'function' || !process.connected) return;
  const message: ListeningMessage = { type: 'msx:listening' };
  try {
    process.send(message, undefined, {}, () => {});
  } catch {
    // channel closed meanwhile: the supervisor's poll finds it
  }
}
