import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { createTwoFilesPatch } from 'diff';
import { execa, type ResultPromise } from 'execa';
import { CliError } from '../errors/cli-error.js';
import { loadManifest, MANIFEST_FILE } from '../manifest/load-manifest.js';
import { colour } from '../ui/colour.js';
import { info, printJson } from '../ui/output.js';
import { AppliedChanges, UpgradeInterrupted } from '../upgrade/apply-changes.js';
import { derivedOutputs, rerender } from '../upgrade/derived-outputs.js';
import { uncommittedChanges } from '../upgrade/git-state.js';
import { planUpgrade, type FileChange, type UpgradePlan } from '../upgrade/upgrade-plan.js';
import { workingDir } from './command-context.js';

interface UpgradeOptions {
  dryRun?: boolean;
  force?: boolean;
  install?: boolean;
  json?: boolean;
}

/** Exit code of an upgrade stopped by Ctrl-C (128 + SIGINT), after everything was put back. */
const INTERRUPTED_EXIT = 130;

export function upgradeCommand(): Command {
  return new Command('upgrade')
    .description('move this system to this msx: new runtime, regenerated msx-owned files, migrated msx.yaml; never touches your code')
    .option('--dry-run', 'show the plan and the diff of every file it would change; change nothing')
    .option('-f, --force', 'upgrade although the git tree has uncommitted changes')
    .option('--no-install', 'skip the npm install at the end (run it yourself)')
    .option('--json', 'print the plan (with --dry-run) or what changed as JSON')
    .addHelpText('after', `
Examples:
  $ msx upgrade --dry-run            # the plan and every diff; writes nothing
  $ msx upgrade                      # do it (refuses on uncommitted changes)
  $ msx upgrade --force --no-install # on a dirty tree; npm install later

What changes: vendor/msx-runtime-*.tgz and the @msx/runtime entry of each
service's package.json; every file msx owns (msx generate lists them); the
system's recorded msx version; msx.yaml only when its format changed, with
your comments kept; then npm install. Your services' src/, tests and
migrations are never touched.

An owned file you edited stops the upgrade, with its name. Keep the change
by listing the file under keep: in msx.yaml (msx then leaves it to you), or
move it into msx.yaml; or delete the file and msx writes it anew.

All or nothing: an error or Ctrl-C puts every file back as it was.`)
    .action(async (options: UpgradeOptions, command: Command) => {
      const root = workingDir(command);
      if (!existsSync(join(root, MANIFEST_FILE))) loadManifest(root); // says there is no msx.yaml, and what to do
      const plan = planUpgrade(root);

      if (options.dryRun) {
        printPlan(plan, Boolean(options.json), options.install !== false);
        if (plan.edited.length > 0) throw editedFilesError(plan);
        return;
      }
      if (plan.edited.length > 0) throw editedFilesError(plan);
      if (!options.force) {
        const dirty = await uncommittedChanges(root);
        if (dirty.length > 0) {
          throw new CliError(`the git tree has ${dirty.length} uncommitted change${dirty.length === 1 ? '' : 's'}`, {
            exitCode: 1,
            details: [...dirty.slice(0, 10), ...(dirty.length > 10 ? [`… and ${dirty.length - 10} more`] : [])],
            hint: 'commit or stash them first, so the upgrade is one reviewable diff; or pass --force',
          });
        }
      }
      await runUpgrade(root, plan, options);
    });
}

function editedFilesError(plan: UpgradePlan): CliError {
  const first = plan.edited[0]!.path;
  return new CliError(`${plan.edited.length === 1 ? `${first} was` : `${plan.edited.length} msx-owned files were`} changed by hand; msx upgrade stopped and changed nothing`, {
    exitCode: 1,
    details: plan.edited.map((file) => `${file.path} (${file.role})`),
    hint: `to keep your change, list the file under keep: in msx.yaml (e.g. keep: [${first}]) and msx leaves it to you, or move the change into msx.yaml; to drop it, delete the file and run msx upgrade again`,
  });
}

function changeKind(change: FileChange): 'create' | 'update' | 'delete' {
  if (change.before === undefined) return 'create';
  return change.after === undefined ? 'delete' : 'update';
}

const isText = (buffer: Buffer | undefined): boolean => buffer === undefined || !buffer.subarray(0, 8000).includes(0);

function printPlan(plan: UpgradePlan, json: boolean, install: boolean): void {
  if (json) {
    printJson({
      from: plan.from,
      to: plan.to,
      manifestVersion: plan.manifestVersion,
      migrations: plan.migrations,
      changes: plan.changes.map((change) => ({
        path: change.path,
        change: changeKind(change),
        why: change.why,
        ...(isText(change.before) && isText(change.after) ? { diff: diffOf(change) } : { bytes: change.after?.length ?? 0 }),
      })),
      edited: plan.edited,
      notes: plan.notes,
      install,
      rerender: plan.derived.map((o) => ({ path: o.path, command: `msx ${o.command.join(' ')}` })),
    });
    return;
  }
  info(`${colour.bold('msx upgrade')} ${plan.from} → ${plan.to} ${colour.dim('(dry run: nothing is written)')}`);
  if (plan.manifestVersion.from !== plan.manifestVersion.to) info(`  msx.yaml format ${plan.manifestVersion.from} → ${plan.manifestVersion.to}`);
  for (const migration of plan.migrations) info(`  migration ${migration.version}: ${migration.description}`);
  if (plan.changes.length === 0) info('  no file changes: the system is already what this msx writes');
  for (const change of plan.changes) {
    info(`\n${colour.bold(changeKind(change))} ${change.path} ${colour.dim(`— ${change.why}`)}`);
    if (isText(change.before) && isText(change.after)) process.stdout.write(diffOf(change));
    else info(colour.dim(`  binary, ${change.after?.length ?? change.before?.length ?? 0} bytes`));
  }
  if (install) info(`\nthen: npm install`);
  for (const output of plan.derived) info(`then: msx ${output.command.join(' ')} (re-renders ${output.path})`);
  for (const note of plan.notes) info(`${colour.dim('note')} ${note}`);
}

function diffOf(change: FileChange): string {
  return createTwoFilesPatch(`a/${change.path}`, `b/${change.path}`, change.before?.toString('utf8') ?? '', change.after?.toString('utf8') ?? '', undefined, undefined, { context: 3 });
}

/**
 * A test hook: `MSX_UPGRADE_PAUSE=<step>` holds the upgrade at that step
 * (`write`: after the first file; `install`: before npm install; `summary`:
 * after it) until a signal arrives, so a test can interrupt each step
 * deterministically.
 */
async function pauseFor(step: string, interrupted: () => boolean): Promise<void> {
  if (process.env.MSX_UPGRADE_PAUSE !== step) return;
  process.stderr.write(`msx upgrade: paused at ${step}\n`);
  while (!interrupted()) await new Promise((resolve) => setTimeout(resolve, 20));
}

async function runUpgrade(root: string, planned: UpgradePlan, options: UpgradeOptions): Promise<void> {
  let plan = planned;
  const applied = new AppliedChanges(root);
  let interrupted = false;
  let npm: ResultPromise | undefined;
  let installStarted = false;
  const onSignal = () => {
    if (interrupted) return;
    interrupted = true;
    npm?.kill('SIGINT');
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const stopIfInterrupted = () => { if (interrupted) throw new UpgradeInterrupted(); };
  try {
    // Written one by one so a signal between files is seen; undone together.
    for (const [index, change] of plan.changes.entries()) {
      applied.apply([change], () => interrupted);
      if (index === 0) await pauseFor('write', () => interrupted);
      stopIfInterrupted();
    }
    info(`${colour.green('✔')} wrote ${plan.changes.length} file${plan.changes.length === 1 ? '' : 's'}`);
    await pauseFor('install', () => interrupted);
    stopIfInterrupted();
    if (options.install !== false) {
      info('… npm install');
      installStarted = true;
      npm = execa('npm', ['install', '--no-audit', '--no-fund'], { cwd: root, all: true, reject: false, env: { npm_config_update_notifier: 'false' } });
      const result = await npm;
      stopIfInterrupted();
      if (result.exitCode !== 0) {
        const tail = String(result.all ?? '').trim().split('\n').slice(-15);
        throw new CliError(`npm install failed (exit ${result.exitCode}); every file is back as it was`, {
          exitCode: 1,
          details: tail,
          hint: 'fix what npm reports (network, registry, disk), then run msx upgrade again',
        });
      }
      info(`${colour.green('✔')} npm install`);
    }
    await pauseFor('summary', () => interrupted);
    stopIfInterrupted();
  } catch (error) {
    applied.undo();
    const nodeModulesNote = installStarted ? ' node_modules may already hold the new runtime: run npm install to match the restored lockfile.' : '';
    if (error instanceof UpgradeInterrupted) {
      process.stderr.write(`msx upgrade interrupted: every file is back as it was.${nodeModulesNote}\n`);
      process.exitCode = INTERRUPTED_EXIT;
      return;
    }
    if (error instanceof CliError && nodeModulesNote) {
      throw new CliError(error.message, { ...error.options, exitCode: error.exitCode, details: [...(error.options.details ?? []), nodeModulesNote.trim()] });
    }
    throw error;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  // compose.yaml and the Kubernetes folder, when the system has them: rendered anew by this msx.
  const { manifest } = loadManifest(root);
  for (const output of derivedOutputs(root, manifest)) {
    const result = await rerender(root, output);
    if (result.ok) info(`${colour.green('✔')} re-rendered ${output.path} (msx ${output.command.join(' ')})`);
    else plan = { ...plan, notes: [...plan.notes, `could not re-render ${output.path} (msx ${output.command.join(' ')}): ${result.message}; run that command after fixing what it says`] };
  }
  printSummary(plan, options);
}

function printSummary(plan: UpgradePlan, options: UpgradeOptions): void {
  const counts = { create: 0, update: 0, delete: 0 };
  for (const change of plan.changes) counts[changeKind(change)] += 1;
  if (options.json) {
    printJson({ from: plan.from, to: plan.to, migrations: plan.migrations, changes: plan.changes.map((c) => ({ path: c.path, change: changeKind(c), why: c.why })), notes: plan.notes, installed: options.install !== false });
    return;
  }
  info(`\n${colour.green('✔')} upgraded from msx ${plan.from} to ${plan.to}: ${counts.update} updated, ${counts.create} created, ${counts.delete} deleted`);
  for (const change of plan.changes) info(`  ${changeKind(change).padEnd(6)} ${change.path} ${colour.dim(`— ${change.why}`)}`);
  for (const migration of plan.migrations) info(`  migration ${migration.version}: ${migration.description}`);
  if (plan.notes.length > 0) info('\nRead:');
  for (const note of plan.notes) info(`  - ${note}`);
  info(`\nNext: ${options.install === false ? 'npm install && ' : ''}npm run build && npm test; review with git diff, then commit.`);
}
