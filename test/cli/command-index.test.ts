import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildProgram } from '../../src/cli.js';
import { COMMAND_INDEX } from '../../src/commands/command-index.js';
import { invokedCommandName } from '../../src/commands/invoked-command.js';
import { msx } from '../support/msx.js';

// msx loads only the command it runs; `msx --help` shows the other commands
// from COMMAND_INDEX. These tests hold the index to what the commands say.

test('msx --help, from the index alone, is the help of the program with every command loaded', async () => {
  const full = await buildProgram('all');
  full.configureOutput({ getOutHelpWidth: () => 80, getErrHelpWidth: () => 80 });
  const lazy = await msx(['--help'], { env: { COLUMNS: '80' } });
  assert.equal(lazy.exitCode, 0, lazy.stderr);
  // helpInformation() is the help without the examples added after it.
  assert.equal(lazy.stdout.slice(0, full.helpInformation().length), full.helpInformation());
  assert.match(lazy.stdout, /Examples:/);
});

test('each index entry loads the command it names', async () => {
  for (const entry of COMMAND_INDEX) {
    const command = await entry.load();
    assert.equal(command.name(), entry.name);
    assert.equal(command.description(), entry.summary, `${entry.name}: summary`);
  }
});

test('the command argv runs is found past the program\'s own options', async () => {
  const program = await buildProgram(() => false);
  const cases: [string[], string | undefined][] = [
    [['deploy', '--dry-run'], 'deploy'],
    [['-C', 'shop', 'render', 'kubernetes'], 'render'],
    [['--cwd', 'ps', 'logs'], 'logs'],
    [['--cwd=shop', 'ps'], 'ps'],
    [['-Cshop', 'scale', 'orders=3'], 'scale'],
    [['help', 'deploy'], 'deploy'],
    [['-C', 'x', 'help', 'trace'], 'trace'],
    [['help'], undefined],
    [['--help'], undefined],
    [[], undefined],
    [['doctr'], 'doctr'],
  ];
  for (const [argv, expected] of cases) assert.equal(invokedCommandName(program, argv), expected, argv.join(' '));
});

test('msx help <command> and msx -C <dir> <command> --help show the command\'s full help', async () => {
  const viaHelp = await msx(['help', 'deploy']);
  assert.equal(viaHelp.exitCode, 0, viaHelp.stderr);
  assert.match(viaHelp.stdout, /--dry-run/);
  assert.match(viaHelp.stdout, /Examples:/);
  const viaCwd = await msx(['-C', '/', 'render', 'kubernetes', '--help']);
  assert.equal(viaCwd.exitCode, 0, viaCwd.stderr);
  assert.match(viaCwd.stdout, /--include-secrets/);
});

test('every duration flag shows its default with a unit, as a user would type it, never as milliseconds', async () => {
  let checked = 0;
  for (const entry of COMMAND_INDEX) {
    const command = await entry.load();
    for (const sub of [command, ...command.commands]) {
      for (const option of sub.options) {
        if (!option.flags.includes('<duration>') || option.defaultValue === undefined) continue;
        checked += 1;
        assert.match(String(option.defaultValueDescription), /^\d+(\.\d+)?(ms|s|m|h|d)$/, `msx ${sub.name()} ${option.long}: "(default: ${option.defaultValueDescription ?? option.defaultValue})"`);
      }
    }
  }
  assert.ok(checked >= 5, `the duration flags with a default were found (${checked})`);
  const up = await msx(['up', '--help']);
  assert.match(up.stdout, /--timeout <duration>[^-]*\(default: 30s\)/, 'as msx up --help prints it');
});
