import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** A process listening on a port, as far as this machine lets us see. */
export interface PortHolder {
  readonly pid: number;
  readonly command: string;
}

/** A port the supervisor needs is taken. */
export class PortInUseError extends Error {
  override readonly name = 'PortInUseError';
  constructor(readonly port: number, readonly service: string, readonly holder: PortHolder | undefined) {
    super(`port ${port} of ${service} is in use${holder ? ` by pid ${holder.pid} (${holder.command})` : ''}`);
  }
}

/**
 * Socket inodes listening on `port`, from the text of /proc/net/tcp or
 * /proc/net/tcp6: lines of `sl local_address rem_address st … inode`, with
 * the port in hex after the colon and state 0A meaning LISTEN.
 */
export function listeningInodes(procNetTcp: string, port: number): string[] {
  const inodes: string[] = [];
  for (const line of procNetTcp.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 10) continue;
    const local = fields[1]!;
    const state = fields[3]!;
    if (state !== '0A') continue;
    if (Number.parseInt(local.slice(local.lastIndexOf(':') + 1), 16) === port) inodes.push(fields[9]!);
  }
  return inodes;
}

/**
 * Who listens on `port`, on Linux: the socket's inode from /proc/net/tcp*,
 * then the process holding a descriptor to it. Only processes of the same
 * user are visible; elsewhere, or when not found, the answer is undefined
 * and the error still names the port.
 */
export function findPortHolder(port: number): PortHolder | undefined {
  let inodes: string[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    try {
      inodes = inodes.concat(listeningInodes(readFileSync(file, 'utf8'), port));
    } catch {
      // Not Linux, or /proc is not mounted.
    }
  }
  if (inodes.length === 0) return undefined;
  const wanted = new Set(inodes.map((i) => `socket:[${i}]`));
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return undefined;
  }
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue; // another user's process, or gone
    }
    for (const fd of fds) {
      try {
        if (wanted.has(readlinkSync(`/proc/${pid}/fd/${fd}`))) return { pid: Number(pid), command: processCommand(Number(pid)) };
      } catch {
        // closed meanwhile
      }
    }
  }
  return undefined;
}

/** The command line of `pid`, shortened for one line of output. */
export function processCommand(pid: number): string {
  try {
    const text = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
  } catch {
    return 'unknown command';
  }
}
