import type { Command } from 'commander';

/**
 * Every top-level command of msx, in the order `msx --help` lists them: the
 * one table the CLI registers from. Each command's module (its options, help
 * and action, and through them dockerode, the Kubernetes client, the schema
 * validators...) is imported only when that command runs or shows its own
 * help, so `msx --help` and every command pay for their own code alone.
 *
 * `term` and `summary` are what `msx --help` shows for a command it has not
 * loaded; test/cli/command-index.test.ts checks that they say exactly what
 * the command's module says.
 */
export interface CommandEntry {
  readonly name: string;
  /** The command's line in `msx --help`: name, `[options]` when it has any, its arguments. */
  readonly term: string;
  readonly summary: string;
  readonly load: () => Promise<Command>;
}

export const COMMAND_INDEX: readonly CommandEntry[] = [
  {
    name: 'new',
    term: 'new [options] <dir>',
    summary: 'scaffold a new system: msx.yaml, a gateway, services, tests, secrets',
    load: async () => (await import('./new.js')).newCommand(),
  },
  {
    name: 'add',
    term: 'add',
    summary: 'add something to the system in this folder',
    load: async () => (await import('./add-service.js')).addCommand(),
  },
  {
    name: 'config',
    term: 'config [options]',
    summary: 'validate msx.yaml and print it resolved: every default filled in, as msx runs it',
    load: async () => (await import('./config.js')).configCommand(),
  },
  {
    name: 'generate',
    term: 'generate [options]',
    summary: 'regenerate every file msx derives from msx.yaml and the services\' contracts (the gateway\'s routes module, typed clients, msx.schema.json); --check only reports',
    load: async () => (await import('./generate.js')).generateCommand(),
  },
  {
    name: 'doctor',
    term: 'doctor [options]',
    summary: 'show what this machine offers msx: Node, Docker, compose, Kubernetes, RabbitMQ, PostgreSQL, Redis',
    load: async () => (await import('./doctor.js')).doctorCommand(),
  },
  {
    name: 'up',
    term: 'up [options] [services...]',
    summary: 'run the system, in dependency order, until every instance is ready: locally as supervised native processes (default), or on compose',
    load: async () => (await import('./up.js')).upCommand(),
  },
  {
    name: 'deploy',
    term: 'deploy [options]',
    summary: 'deploy the system to Kubernetes: server-side apply of what msx.yaml says now, prune, wait for the rollouts',
    load: async () => (await import('./deploy.js')).deployCommand(),
  },
  {
    name: 'down',
    term: 'down [options]',
    summary: 'stop the running system gracefully; data stays unless --volumes',
    load: async () => (await import('./down.js')).downCommand(),
  },
  {
    name: 'ps',
    term: 'ps [options]',
    summary: 'list running instances: state, readiness, restarts, uptime, CPU, memory, URL, and what the target adds (pid and port locally, container on compose)',
    load: async () => (await import('./ps.js')).psCommand(),
  },
  {
    name: 'logs',
    term: 'logs [options] [services...]',
    summary: 'show and follow logs of every instance, filtered by service, time, level, text or trace id',
    load: async () => (await import('./logs.js')).logsCommand(),
  },
  {
    name: 'scale',
    term: 'scale [options] <service=count...>',
    summary: 'change how many instances of a service run, without a restart; scale-down drains first',
    load: async () => (await import('./scale.js')).scaleCommand(),
  },
  {
    name: 'restart',
    term: 'restart [options] <instance|service...>',
    summary: 'restart instances one at a time, each drained first and ready again before the next',
    load: async () => (await import('./restart.js')).restartCommand(),
  },
  {
    name: 'token',
    term: 'token [options]',
    summary: 'print a user token the system\'s gateway accepts, for trying the API by hand',
    load: async () => (await import('./token.js')).tokenCommand(),
  },
  {
    name: 'trace',
    term: 'trace [options] [id]',
    summary: 'list recent traces, or draw one as a waterfall across services',
    load: async () => (await import('./trace.js')).traceCommand(),
  },
  {
    name: 'metrics',
    term: 'metrics [options] [service]',
    summary: 'requests per second, errors, latency percentiles, in-flight, memory and consumer lag per service',
    load: async () => (await import('./metrics.js')).metricsCommand(),
  },
  {
    name: 'alerts',
    term: 'alerts [options] [service]',
    summary: 'the alert rules of each service (error rate, p99 latency, consumer lag, dead letters, stuck sagas, restarts), evaluated over a scrape window: ok, pending or firing',
    load: async () => (await import('./alerts.js')).alertsCommand(),
  },
  {
    name: 'dashboard',
    term: 'dashboard [options]',
    summary: 'the running system in a browser: map, instances, logs, traces, metrics, events and sagas',
    load: async () => (await import('./dashboard.js')).dashboardCommand(),
  },
  {
    name: 'openapi',
    term: 'openapi [options] [service]',
    summary: "the OpenAPI 3.1 documents of the services' contracts (src/contract.ts) and of the gateway's public API",
    load: async () => (await import('./openapi.js')).openapiCommand(),
  },
  {
    name: 'contracts',
    term: 'contracts',
    summary: "keep the services' APIs backward compatible: compare each contract with the one committed in contracts/",
    load: async () => (await import('./contracts.js')).contractsCommand(),
  },
  {
    name: 'upgrade',
    term: 'upgrade [options]',
    summary: 'move this system to this msx: new runtime, regenerated msx-owned files, migrated msx.yaml; never touches your code',
    load: async () => (await import('./upgrade.js')).upgradeCommand(),
  },
  {
    name: 'build',
    term: 'build [options] [services...]',
    summary: 'build a container image of each service (the gateway included) through the Docker engine; unchanged ones are not rebuilt',
    load: async () => (await import('./build.js')).buildCommand(),
  },
  {
    name: 'render',
    term: 'render',
    summary: 'write what a target runs as its own files (compose.yaml, Kubernetes manifests), from msx.yaml as it is now',
    load: async () => (await import('./render.js')).renderCommand(),
  },
];
