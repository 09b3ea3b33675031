import { StartupError } from './StartupError.js';

/** The HTTP server could not bind its address (port in use, permission denied, bad host). */
export class ListenError extends StartupError {
  /** The system error code, e.g. `EADDRINUSE`, when Node gave one. */
  readonly code: string | undefined;
  readonly host: string;
  readonly port: number;

  constructor(service: string, host: string, port: number, cause: NodeJS.ErrnoException) {
    const reason = cause.code === 'EADDRINUSE' ? 'address already in use' : cause.code === 'EACCES' ? 'permission denied' : cause.message;
    super(service, `${service}: cannot listen on ${host}:${port}: ${reason}`, 1, { cause });
    this.name = 'ListenError';
    this.code = cause.code;
    this.host = host;
    this.port = port;
  }
}
