import { Command } from 'commander';
import { CliError } from '../errors/cli-error.js';

/**
 * Commands whose names are part of msx's shape but whose work has not landed
 * yet. Each answers plainly that it is not available, with exit code 1, so a
 * script never mistakes it for success.
 */
const PLANNED: readonly { name: string; args: string; summary: string; arrives: string }[] = [];

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
