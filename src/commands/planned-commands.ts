import { Command } from 'commander';
import { CliError } from '../errors/cli-error.js';

/**
 * Commands whose names are part of msx's shape but whose work has not landed
 * yet. Each answers plainly that it is not available, with exit code 1, so a
 * script never mistakes it for success.
 */
const PLANNED = [
  { name: 'up', args: '[services...]', summary: 'run the system on this machine (native processes by default, or docker compose)', arrives: 'the local operations work (issue 5)' },
  { name: 'down', args: '', summary: 'stop the running system; data stays unless --volumes', arrives: 'the local operations work (issue 5)' },
  { name: 'ps', args: '', summary: 'list running instances: pid, port, state, readiness, restarts, CPU, memory', arrives: 'the local operations work (issue 5)' },
  { name: 'logs', args: '[services...]', summary: 'show and follow logs of every instance, filtered by level, text or trace id', arrives: 'the local operations work (issue 5)' },
  { name: 'scale', args: '<service=count...>', summary: 'change how many instances of a service run, without a restart', arrives: 'the local operations work (issue 5)' },
  { name: 'metrics', args: '[service]', summary: 'requests per second, errors, latency percentiles, in-flight, memory per service', arrives: 'the tracing and metrics work (issue 5)' },
  { name: 'trace', args: '[id]', summary: 'list recent traces, or draw one as a waterfall across services', arrives: 'the tracing and metrics work (issue 5)' },
  { name: 'token', args: '', summary: 'print a user token the system\'s gateway accepts', arrives: 'the local operations work (issue 5)' },
  { name: 'build', args: '[services...]', summary: 'build container images of the services', arrives: 'the container targets work' },
  { name: 'deploy', args: '', summary: 'deploy the system to the current Kubernetes context', arrives: 'the Kubernetes target work' },
  { name: 'render', args: '<target>', summary: 'write the compose file or Kubernetes manifests of the system', arrives: 'the container targets work' },
  { name: 'upgrade', args: '', summary: 'replace the runtime of an existing system without touching its code', arrives: 'the runtime upgrade work' },
] as const;

export function plannedCommands(): Command[] {
  return PLANNED.map((planned) => {
    const command = new Command(planned.name)
      .description(`${planned.summary} (not available yet)`)
      .allowUnknownOption()
      .allowExcessArguments()
      .helpOption('-h, --help', 'show help')
      .addHelpText('after', `\nNot available yet: it arrives with ${planned.arrives}.`)
      .action(() => {
        throw new CliError(`msx ${planned.name} is not available yet in this version of msx`, {
          exitCode: 1,
          hint: `it arrives with ${planned.arrives}; see msx --help for what works today`,
        });
      });
    if (planned.args) command.arguments(planned.args.replace(/<(.+)>/, '[$1]'));
    return command;
  });
}
