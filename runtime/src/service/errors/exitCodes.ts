/**
 * Exit codes of a service that could not start, from sysexits(3), so a
 * supervisor (msx's local target, systemd, an orchestrator's events) tells
 * the causes apart by number rather than by searching the output for text.
 * msx's local target keeps the same table in src/targets/local/startup-exit.ts;
 * change both together.
 *
 * | code | name           | cause                                                  |
 * |------|----------------|--------------------------------------------------------|
 * | 65   | EX_DATAERR     | a migration failed, or an applied one changed          |
 * | 69   | EX_UNAVAILABLE | a dependency (the database) could not be reached        |
 * | 75   | EX_TEMPFAIL    | the port is in use (retrying once it is free works)     |
 * | 77   | EX_NOPERM      | not allowed to listen on the port (below 1024, …)       |
 * | 78   | EX_CONFIG      | the environment fails the configuration schema          |
 * | 1    |                | anything else (a bug: the stack trace is printed)       |
 */
export const STARTUP_EXIT_CODES = {
  migrationFailed: 65,
  dependencyUnavailable: 69,
  portInUse: 75,
  listenNotPermitted: 77,
  config: 78,
} as const;
