import { Command, CommanderError, Help } from 'commander';
import { COMMAND_INDEX, type CommandEntry } from './commands/command-index.js';
import { invokedCommandName } from './commands/invoked-command.js';
import { plannedCommands } from './commands/planned-commands.js';
import { CliError } from './errors/cli-error.js';
import { ENVIRONMENT_VARIABLE } from './manifest/environments.js';
import { noSpaceCliError } from './errors/no-space.js';
import { MSX_VERSION } from './package-root.js';
import { errColour } from './ui/colour.js';

export { handleOutputError } from './ui/output-closed.js';

/**
 * The msx program, with the real definition (options, help, action) of the
 * commands in `load` and a stand-in that only names and describes each
 * other one: enough for `msx --help`, suggestions and dispatch, without
 * loading their code. `main` loads the one command argv runs.
 */
export async function buildProgram(load: 'all' | ((entry: CommandEntry) => boolean)): Promise<Command> {
  const standInTerms = new Map<Command, string>();
  const program = new Command('msx')
    .description('Scaffold and operate Node.js microservice systems from one manifest, msx.yaml.')
    .version(MSX_VERSION, '-V, --version')
    .option('-C, --cwd <dir>', 'run as if msx was started in <dir>')
    .option('--env <name>', "environment of msx.yaml to use (environments:), e.g. staging (default: the deployment's, else the target's default environment)")
    .showSuggestionAfterError(true)
    .configureHelp({ sortSubcommands: false, showGlobalOptions: true, subcommandTerm: (command) => standInTerms.get(command) ?? new Help().subcommandTerm(command) })
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
  // Imported when a command runs (it reads msx.yaml with the YAML parser), not for --help.
  program.hook('preAction', async (_program, actionCommand) => (await import('./commands/environment-selection.js')).selectEnvironment(actionCommand));

  const commands = await Promise.all(COMMAND_INDEX.map(async (entry) => {
    if (load === 'all' || load(entry)) return entry.load();
    const standIn = new Command(entry.name).description(entry.summary).allowUnknownOption().allowExcessArguments();
    standIn.action(() => {
      throw new Error(`msx ${entry.name} ran without its definition loaded`);
    });
    standInTerms.set(standIn, entry.term);
    return standIn;
  }));
  for (const command of [...commands, ...plannedCommands()]) program.addCommand(command);

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
    const standIns = await buildProgram(() => false);
    const invoked = invokedCommandName(standIns, argv);
    const program = invoked === undefined ? standIns : await buildProgram((entry) => entry.name === invoked);
    await program.parseAsync([...argv], { from: 'user' });
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
