import { STARTUP_EXIT_CODES } from './exitCodes.js';
import { StartupError } from './StartupError.js';

/**
 * The HTTP server could not bind its address (port in use, permission
 * denied, bad host). The exit code says which (75 in use, 77 not permitted,
 * 1 otherwise), so a supervisor can say what to do without reading the text.
 */
export class ListenError extends StartupError {
  /** The system error code, e.g. `EADDRINUSE`, when Node gave one. */
  readonly code: string | undefined;
  readonly host: string;
  readonly port: number;

  constructor(service: string, host: string, port: number, cause: NodeJS.ErrnoException) {
    const reason = cause.code === 'EADDRINUSE' ? 'address already in use' : cause.code === 'EACCES' ? 'permission denied' : cause.message;
    super(service, `${service}: cannot listen on ${host}:${port}: ${reason}`, listenExitCode(cause.code), { cause });
    this.name = 'ListenError';
    this.code = cause.code;
    this.host = host;
    this.port = port;
  }
}

function listenExitCode(code: string | undefined): number {
  if (code === 'EADDRINUSE') return STARTUP_EXIT_CODES.portInUse;
  if (code === 'EACCES') return STARTUP_EXIT_CODES.listenNotPermitted;
  return 1;
}
