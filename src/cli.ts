import { Command, CommanderError } from 'commander';
import { addCommand } from './commands/add-service.js';
import { buildCommand } from './commands/build.js';
import { configCommand } from './commands/config.js';
import { deployCommand } from './commands/deploy.js';
import { doctorCommand } from './commands/doctor.js';
import { downCommand } from './commands/down.js';
import { selectEnvironment } from './commands/environment-selection.js';
import { generateCommand } from './commands/generate.js';
import { logsCommand } from './commands/logs.js';
import { metricsCommand } from './commands/metrics.js';
import { newCommand } from './commands/new.js';
import { plannedCommands } from './commands/planned-commands.js';
import { psCommand } from './commands/ps.js';
import { renderCommand } from './commands/render.js';
import { scaleCommand } from './commands/scale.js';
import { tokenCommand } from './commands/token.js';
import { traceCommand } from './commands/trace.js';
import { upCommand } from './commands/up.js';
import { upgradeCommand } from './commands/upgrade.js';
import { CliError } from './errors/cli-error.js';
import { ENVIRONMENT_VARIABLE } from './manifest/environments.js';
import { noSpaceCliError } from './errors/no-space.js';
import { MSX_VERSION } from './package-root.js';
import { errColour } from './ui/colour.js';

export { handleOutputError } from './ui/output-closed.js';

export function buildProgram(): Command {
  const program = new Command('msx')
    .description('Scaffold and operate Node.js microservice systems from one manifest, msx.yaml.')
    .version(MSX_VERSION, '-V, --version')
    .option('-C, --cwd <dir>', 'run as if msx was started in <dir>')
    .option('--env <name>', "environment of msx.yaml to use (environments:), e.g. staging (default: the deployment's, else the target's default environment)")
    .showSuggestionAfterError(true)
    .configureHelp({ sortSubcommands: false, showGlobalOptions: true })
    .addHelpText('after', `
Examples:
  $ msx new demo --services users,orders --yes   # scaffold a system
  $ cd demo && npm install && npm test           # build and test it
  $ msx add service billing                      # grow it
  $ msx config                                   # msx.yaml resolved, as it runs
  $ msx config --env prod                        # ... with environment prod's overrides
  $ msx doctor                                   # what this machine offers

Commands find msx.yaml in the folder they run in or the nearest one above it.
Durations take a unit (500ms, 30s, 10m, 2h, 1d); a bare number means seconds.
Exit codes: 0 ok, 1 failure, 2 usage or configuration error.
Set NO_COLOR=1 to turn colour off.`);

  // Chosen once, before any command reads msx.yaml, and passed on in MSX_ENV (see environment-selection.ts).
  program.hook('preAction', (_program, actionCommand) => selectEnvironment(actionCommand));

  for (const command of [newCommand(), addCommand(), configCommand(), generateCommand(), doctorCommand(), upCommand(), deployCommand(), downCommand(), psCommand(), logsCommand(), scaleCommand(), tokenCommand(), traceCommand(), metricsCommand(), upgradeCommand(), buildCommand(), renderCommand(), ...plannedCommands()]) program.addCommand(command);

  // Usage errors are ours to report (exit code 2), not commander's (exit code 1).
  const exitOverride = (command: Command) => {
    command.exitOverride();
    command.commands.forEach(exitOverride);
  };
  exitOverride(program);
  return program;
}

/** Runs msx with `argv` and returns the exit code. Never throws. */
export async function main(argv: readonly string[]): Promise<number> {
  // The run's environment goes into MSX_ENV (environment-selection.ts); a later run in this process chooses afresh.
  const shellEnvironment = process.env[ENVIRONMENT_VARIABLE];
  try {
    await buildProgram().parseAsync([...argv], { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    return report(error);
  } finally {
    if (shellEnvironment === undefined) delete process.env[ENVIRONMENT_VARIABLE];
    else process.env[ENVIRONMENT_VARIABLE] = shellEnvironment;
  }
}

function report(error: unknown): number {
  if (error instanceof CommanderError) {
    // commander already printed its message (or the help text).
    if (['commander.helpDisplayed', 'commander.version', 'commander.help'].includes(error.code)) return 0;
    if (error.code === 'commander.executeSubCommandAsync') return error.exitCode;
    return 2;
  }
  // A full disk is the machine's state, not a bug: a plain message naming the disk, from any command.
  error = noSpaceCliError(error) ?? error;
  if (error instanceof CliError) {
    process.stderr.write(`${errColour.red('error')} ${error.message}\n`);
    for (const line of error.options.details ?? []) process.stderr.write(`  ${line}\n`);
    if (error.options.hint) process.stderr.write(`${errColour.dim('hint')}  ${error.options.hint}\n`);
    return error.exitCode;
  }
  if (error instanceof Error && error.name === 'ExitPromptError') {
    process.stderr.write('cancelled\n');
    return 130;
  }
  // Anything else is a bug in msx: say so, with the stack only when asked.
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`${errColour.red('internal error')} ${message}\n`);
  if (process.env.MSX_DEBUG) process.stderr.write(`${error instanceof Error ? error.stack : ''}\n`);
  else process.stderr.write(`${errColour.dim('hint')}  this is a bug in msx; run again with MSX_DEBUG=1 for details and report it\n`);
  return 1;
}
