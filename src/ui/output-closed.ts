/**
 * What msx does when the reader of its stdout or stderr goes away (`msx ps |
 * head`, or `msx up | tee log` when Ctrl-C ends tee first): a write fails
 * with EPIPE. For most commands that is the reader's choice and msx just
 * exits. A command that owns processes (a foreground `msx up` supervising
 * instances) must not exit without stopping them, so it registers a keeper
 * here; while one is registered, a closed output calls the keepers instead
 * of exiting, and later writes to the closed stream are dropped.
 */
const keepers = new Set<(stream: 'stdout' | 'stderr') => void>();
const closed = new Set<'stdout' | 'stderr'>();

/** Registers `keeper` until the returned function is called. */
export function onOutputClosed(keeper: (stream: 'stdout' | 'stderr') => void): () => void {
  keepers.add(keeper);
  return () => keepers.delete(keeper);
}

/** Whether the reader of `stream` is gone, so writing to it is pointless. */
export function isOutputClosed(stream: 'stdout' | 'stderr'): boolean {
  return closed.has(stream);
}

/**
 * Called by bin/msx.js for every error on stdout or stderr. Returns false
 * when the error is not a closed output (the caller rethrows it).
 */
export function handleOutputError(stream: 'stdout' | 'stderr', error: NodeJS.ErrnoException): boolean {
  const closedNow = error.code === 'EPIPE' || (closed.has(stream) && error.code === 'ERR_STREAM_DESTROYED');
  if (!closedNow) return false;
  const first = !closed.has(stream);
  closed.add(stream);
  if (keepers.size === 0) process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
  if (first) for (const keeper of [...keepers]) keeper(stream);
  return true;
}
