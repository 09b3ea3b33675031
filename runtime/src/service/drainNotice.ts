/**
 * Tells the process's supervisor (`msx up`, over the IPC channel it spawned
 * the instance with) that this instance is draining, so it leaves the
 * discovery registry before its listener closes — also when the SIGTERM
 * came from outside (`kill`, an operator, an orchestrator) rather than
 * from the supervisor.
 *
 * The supervisor answers with how much of the drain delay is still needed:
 * the time readers need to see the registry without this instance, or 0 if
 * it had taken the instance out already (a scale-down, `msx down`). Without
 * a supervisor (Kubernetes, compose: they remove the instance on their
 * own) there is no channel, and the whole delay applies.
 */

/** Instance → supervisor. */
export interface DrainingMessage {
  readonly type: 'msx:draining';
}

/** Supervisor → instance: the instance is out of the registry; wait `delayMs` more before closing the listener. */
export interface DrainAckMessage {
  readonly type: 'msx:drain-ack';
  readonly delayMs: number;
}

/**
 * Announces draining and waits for the supervisor's answer, at most
 * `timeoutMs`. Resolves with the delay the supervisor asks for, or
 * `undefined` without a supervisor channel or answer.
 */
export function announceDraining(timeoutMs: number): Promise<number | undefined> {
  if (typeof process.send !== 'function' || !process.connected || timeoutMs <= 0) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    const done = (value: number | undefined) => {
      clearTimeout(timer);
      process.removeListener('message', onMessage);
      process.removeListener('disconnect', onDisconnect);
      resolve(value);
    };
    const onMessage = (message: unknown) => {
      const ack = message as Partial<DrainAckMessage> | null;
      if (ack?.type === 'msx:drain-ack' && typeof ack.delayMs === 'number' && ack.delayMs >= 0) done(ack.delayMs);
    };
    const onDisconnect = () => done(undefined);
    const timer = setTimeout(() => done(undefined), timeoutMs);
    process.on('message', onMessage);
    process.once('disconnect', onDisconnect);
    const notice: DrainingMessage = { type: 'msx:draining' };
    try {
      process.send!(notice, undefined, {}, (error) => {
        if (error) done(undefined);
      });
    } catch {
      done(undefined);
    }
  });
}
