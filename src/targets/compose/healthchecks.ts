import type { ComposeHealthcheck } from './compose-spec.js';

/**
 * Healthchecks use only what each image has: node for msx's services (no
 * curl in a slim Node image), the servers' own clients for the
 * infrastructure, and wget for Prometheus (its official image is busybox).
 * Intervals are short so `up` is not slower than the services; the start
 * period covers migrations and RabbitMQ's boot without counting failures.
 */
function check(test: string[], options: Partial<Omit<ComposeHealthcheck, 'test'>> = {}): ComposeHealthcheck {
  // A generous timeout: a check that starts a process (node, pg_isready) can take seconds on a loaded
  // machine, and a timed-out check counts as a failure; a healthy service answers in milliseconds anyway.
  return { test, interval: '3s', timeout: '10s', retries: 5, start_period: '60s', ...options };
}

/** GET /ready on the service's port with node's own fetch: healthy on 2xx. */
export function nodeHealthcheck(port: number): ComposeHealthcheck {
  const script = `fetch('http://127.0.0.1:${port}/ready',{signal:AbortSignal.timeout(8000)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))`;
  return check(['CMD', 'node', '-e', script]);
}

/** Ready when the real server accepts TCP connections (the image's init-time server listens on a socket only). */
export function postgresHealthcheck(user: string, database: string): ComposeHealthcheck {
  return check(['CMD', 'pg_isready', '-q', '-h', '127.0.0.1', '-p', '5432', '-U', user, '-d', database], { interval: '2s' });
}

/**
 * Healthy once the AMQP listener accepts connections. `rabbitmq-diagnostics ping`
 * answers as soon as the Erlang node runs, which was measured 10 s before port
 * 5672 opened: services that waited for "healthy" then failed to connect.
 */
export function rabbitmqHealthcheck(): ComposeHealthcheck {
  return check(['CMD', 'rabbitmq-diagnostics', '-q', 'check_port_connectivity'], { timeout: '20s' });
}

/** PING with the password from the container's environment (REDISCLI_AUTH keeps it off the command line). */
export function redisHealthcheck(passwordVariable: string): ComposeHealthcheck {
  return check(['CMD-SHELL', `REDISCLI_AUTH="$$${passwordVariable}" redis-cli ping | grep -q PONG`], { interval: '2s' });
}

/** An HTTP endpoint that answers 200 when ready, fetched with wget. */
export function wgetHealthcheck(url: string): ComposeHealthcheck {
  return check(['CMD', 'wget', '-q', '-O', '/dev/null', url]);
}
