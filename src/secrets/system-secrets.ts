/**
 * Where a run's secrets come from, for every target and command that needs
 * them: the system's git-ignored `.env`, or with an environment selected
 * (`--env staging`) that environment's own `.env.staging`, or — when
 * msx.yaml says `secrets: environment` for it — msx's own environment
 * variables (a CI job's secrets), so nothing is written to disk at all.
 *
 * A file that is missing or lacks a secret msx.yaml now needs is completed
 * with fresh random values, as `msx new` makes them, by the commands that
 * start or deploy the system (`ensureSystemSecrets`); commands that only
 * read (`msx token`, the dashboard) never write.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CliError } from '../errors/cli-error.js';
import { secretsFileName } from '../manifest/environments.js';
import type { Manifest } from '../manifest/schema.js';
import { envFileText, missingSecrets, parseEnvFile, systemSecrets } from '../scaffold/secrets.js';

export interface SystemSecrets {
  /** Every variable of the source: msx's secrets and whatever else the user keeps there. */
  readonly values: Readonly<Record<string, string>>;
  /** The file they were read from (`.env`, `.env.staging`), relative to the system's folder; undefined for `secrets: environment`. */
  readonly file: string | undefined;
  /** Secrets that were missing and have just been generated into the file. */
  readonly added: readonly string[];
}

/** The secrets file of the environment the manifest was resolved for (`.env` without one); undefined when they come from msx's environment. */
export function secretsFileOf(manifest: Manifest): string | undefined {
  return manifest.environment?.secrets === 'environment' ? undefined : secretsFileName(manifest.environment?.name);
}

/** Reads this run's secrets without writing anything; a missing file reads as empty. */
export function readSystemSecrets(root: string, manifest: Manifest): SystemSecrets {
  const file = secretsFileOf(manifest);
  if (file === undefined) return { values: fromProcessEnvironment(manifest), file, added: [] };
  const path = join(root, file);
  return { values: existsSync(path) ? parseEnvFile(readFileSync(path, 'utf8')) : {}, file, added: [] };
}

/**
 * This run's secrets, every one msx.yaml needs present: missing ones are
 * generated into the file (created 0600 when absent; existing lines kept
 * byte for byte, written through a rename so a crash leaves the old file).
 * With `secrets: environment`, a missing variable is a configuration error
 * naming each one: msx never invents a secret it would have to keep nowhere.
 */
export function ensureSystemSecrets(root: string, manifest: Manifest): SystemSecrets {
  const file = secretsFileOf(manifest);
  if (file === undefined) {
    const values = fromProcessEnvironment(manifest);
    const missing = Object.keys(systemSecrets(manifest)).filter((key) => !(key in values));
    if (missing.length > 0) {
      throw new CliError(`environment ${manifest.environment!.name} takes its secrets from msx's environment, and ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not set`, {
        exitCode: 2,
        hint: `export ${missing.map((key) => `${key}=…`).join(' ')} (a random value each, e.g. openssl rand -base64 36), or set secrets: file for ${manifest.environment!.name} in msx.yaml to keep them in ${secretsFileName(manifest.environment!.name)}`,
      });
    }
    return { values, file, added: [] };
  }
  const path = join(root, file);
  const existing = existsSync(path) ? readFileSync(path, 'utf8') : '';
  const values = parseEnvFile(existing);
  const missing = missingSecrets(manifest, values);
  const added = Object.keys(missing);
  if (added.length > 0) {
    const lines = envFileText(missing).split('\n').filter((line) => line !== '' && !line.startsWith('#'));
    const content = existing === '' ? envFileText(missing) : `${existing.replace(/\n?$/, '\n')}${lines.join('\n')}\n`;
    const temp = join(root, `${file}.${process.pid}.msx-tmp`);
    writeFileSync(temp, content, { mode: 0o600 });
    renameSync(temp, path);
  }
  return { values: { ...values, ...missing }, file, added };
}

/** msx's secrets (and only those) from its own environment variables. */
function fromProcessEnvironment(manifest: Manifest): Record<string, string> {
  const values: Record<string, string> = {};
  for (const key of Object.keys(systemSecrets(manifest))) {
    const value = process.env[key];
    if (value) values[key] = value;
  }
  return values;
}

/** What the operator is told when secrets were generated: which file, which names (never the values). */
export function secretsAddedLine(secrets: SystemSecrets): string {
  return `generated into ${secrets.file}: ${secrets.added.join(', ')} (random values; the file is git-ignored)`;
}
