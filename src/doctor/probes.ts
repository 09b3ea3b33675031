import { buildxProbe, composeV1Probe, composeV2Probe, engineProbe } from './container-probes.js';
import { withTimeout, type Probe, type ProbeResult } from './probe.js';
import { AMQP_HEADER, exchangeGreeting, POSTGRES_SSL_REQUEST, REDIS_PING } from './wire-probe.js';

const MIN_NODE = [20, 18] as const;

export const nodeProbe: Probe = async () => {
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  const ok = major > MIN_NODE[0] || (major === MIN_NODE[0] && minor >= MIN_NODE[1]);
  return {
    name: 'Node.js',
    ok,
    detail: `v${process.versions.node}`,
    impact: ok ? 'msx and generated services run here' : `msx needs Node.js ${MIN_NODE.join('.')} or newer: install it before anything else`,
  };
};

export const kubernetesProbe: Probe = async () => {
  const base = { name: 'Kubernetes context' };
  try {
    const { KubeConfig } = await import('@kubernetes/client-node');
    const config = new KubeConfig();
    config.loadFromDefault();
    const context = config.getCurrentContext();
    const cluster = config.getCurrentCluster();
    // Without any kubeconfig the client invents a "loaded-context" pointing at
    // localhost:8080; that is not a cluster anyone configured.
    if (!context || !cluster || context === 'loaded-context' || config.contexts.length === 0) {
      return { ...base, ok: false, detail: 'no current context in kubeconfig', impact: 'msx deploy needs a cluster context (KUBECONFIG or ~/.kube/config); msx render still writes the manifests' };
    }
    return { ...base, ok: true, detail: `${context} → ${cluster.server}`, impact: 'msx deploy can apply the system to this cluster' };
  } catch (error) {
    return { ...base, ok: false, detail: reason(error), impact: 'msx deploy needs a cluster context; msx render still writes the manifests' };
  }
};

function endpoint(envNames: readonly string[], fallback: string): URL {
  const raw = envNames.map((n) => process.env[n]).find(Boolean) ?? fallback;
  try {
    return new URL(raw);
  } catch {
    return new URL(fallback);
  }
}

function wireProbe(options: {
  name: string;
  envNames: readonly string[];
  fallback: string;
  defaultPort: number;
  greeting: Buffer;
  recognise: (answer: Buffer) => string | undefined;
  withIt: string;
  without: string;
}): Probe {
  return async (): Promise<ProbeResult> => {
    const url = endpoint(options.envNames, options.fallback);
    const host = url.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1';
    const port = Number(url.port || options.defaultPort);
    const where = `${host}:${port}${options.envNames.some((n) => process.env[n]) ? '' : ' (default; set ' + options.envNames[0] + ' to change)'}`;
    try {
      const answer = await exchangeGreeting(host, port, options.greeting);
      const seen = options.recognise(answer);
      if (!seen) return { name: options.name, ok: false, detail: `${where} answers, but not as ${options.name}`, impact: options.without };
      return { name: options.name, ok: true, detail: `${where} ${seen}`, impact: options.withIt };
    } catch (error) {
      return { name: options.name, ok: false, detail: `${where}: ${reason(error)}`, impact: options.without };
    }
  };
}

export const rabbitmqProbe = wireProbe({
  name: 'RabbitMQ',
  envNames: ['MSX_BUS_URL', 'RABBITMQ_URL'],
  fallback: 'amqp://127.0.0.1:5672',
  defaultPort: 5672,
  greeting: AMQP_HEADER,
  recognise: (answer) => (answer[0] === 1 ? 'speaks AMQP 0-9-1' : undefined),
  withIt: 'services can use RabbitMQ as their event bus (infrastructure.local.bus: rabbitmq)',
  without: 'the local target uses the embedded bus instead; nothing is lost for development',
});

export const postgresProbe = wireProbe({
  name: 'PostgreSQL',
  envNames: ['DATABASE_URL', 'PGURL'],
  fallback: 'postgres://127.0.0.1:5432',
  defaultPort: 5432,
  greeting: POSTGRES_SSL_REQUEST,
  recognise: (answer) => (answer.length >= 1 && (answer[0] === 0x53 || answer[0] === 0x4e) ? 'speaks the PostgreSQL protocol' : undefined),
  withIt: 'services can use this server (infrastructure.local.database: postgres)',
  without: 'the local target uses the embedded database instead',
});

export const redisProbe = wireProbe({
  name: 'Redis',
  envNames: ['REDIS_URL'],
  fallback: 'redis://127.0.0.1:6379',
  defaultPort: 6379,
  greeting: REDIS_PING,
  recognise: (answer) => (/^(\+PONG|-NOAUTH)/.test(answer.toString('latin1')) ? 'answers PING' : undefined),
  withIt: 'several gateway instances can share one rate-limit budget',
  without: 'rate limits are kept per gateway instance (fine for one instance)',
});

export const ALL_PROBES: readonly Probe[] = [nodeProbe, engineProbe, composeV2Probe, composeV1Probe, buildxProbe, kubernetesProbe, rabbitmqProbe, postgresProbe, redisProbe];

function reason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  if (/ECONNREFUSED/.test(message)) return 'connection refused';
  return message.split('\n')[0]!;
}
