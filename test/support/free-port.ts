import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/**
 * Where the kernel hands out ports to `listen(0)` and outgoing connections
 * (Linux: 32768–60999). A port chosen for msx.yaml must come from below it:
 * a port that a `listen(0)` just returned and released is the very kind the
 * kernel hands to the next `listen(0)` — another test's supervisor, dashboard
 * or client socket — and two test files then fought over one port.
 */
function ephemeralLow(): number {
  try {
    const [low] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    return low !== undefined && Number.isInteger(low) ? low : 32_768;
  } catch {
    return 32_768;
  }
}

const HIGH = Math.min(32_000, ephemeralLow());
const LOW = Math.max(1_024, HIGH - 12_000);
/** Ports this process handed out already: a test asks for several before any of them is bound. */
const given = new Set<number>();

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/**
 * A TCP port on 127.0.0.1 that was free a moment ago, chosen at random below
 * the ephemeral range so nothing else on the machine is given it meanwhile
 * (test files run in parallel processes; the random choice keeps them apart).
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 500; attempt++) {
    const port = LOW + Math.floor(Math.random() * (HIGH - LOW));
    if (given.has(port)) continue;
    if (await canListen(port)) {
      given.add(port);
      return port;
    }
  }
  throw new Error(`no free port found between ${LOW} and ${HIGH}`);
}
