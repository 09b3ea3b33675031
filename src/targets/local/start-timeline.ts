/**
 * When each step of the supervisor's start happened, ms since epoch, kept in
 * `.msx/state.json` so a slow `msx up` can be taken apart (bench/up prints
 * it as the critical path). Steps not reached yet are absent.
 */
export interface StartTimeline {
  /** The supervisor's process began, before its code loaded. */
  readonly processStartedAt: number;
  /** Its code loaded and the manifest in hand: the session opens. */
  sessionOpenedAt?: number;
  /** The trace collector and every embedded database's server accept connections (the engines may still be opening). */
  infrastructureListeningAt?: number;
  /** Every embedded database engine is open. */
  enginesOpenAt?: number;
  /** Every instance is ready. */
  readyAt?: number;
  /** Per instance id, its first start. */
  readonly instances: Record<string, InstanceTimeline>;
}

export interface InstanceTimeline {
  spawnedAt: number;
  /** Its code loaded; it waits at its start gate (absent for a runtime without the gate). */
  loadedAt?: number;
  /** Let through the gate: the services it calls are ready, and its database open. */
  releasedAt?: number;
  readyAt?: number;
}

/** A timeline beginning when this process did. */
export function newStartTimeline(): StartTimeline {
  return { processStartedAt: Math.round(performance.timeOrigin), instances: {} };
}
