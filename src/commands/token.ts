import { Command } from 'commander';
import { CliError, usageError } from '../errors/cli-error.js';
import { DURATION_HELP, durationOption, formatDurationMs } from '../manifest/duration.js';
import { defaultIssuer, gatewayAuth } from '../manifest/gateway-auth.js';
import { loadManifest, MANIFEST_FILE } from '../manifest/load-manifest.js';
import { readSystemSecrets } from '../secrets/system-secrets.js';
import { signUserToken } from '../token/user-token.js';
import { info, printJson } from '../ui/output.js';
import { workingDir } from './command-context.js';
import { warnOnVersionMismatch } from '../upgrade/version-check.js';

interface TokenOptions {
  sub: string;
  ttl: number;
  scope?: string;
  json?: boolean;
}

export function tokenCommand(): Command {
  return new Command('token')
    .description('print a user token the system\'s gateway accepts, for trying the API by hand')
    .option('--sub <id>', 'the user the token speaks for', 'dev-user')
    .addOption(durationOption('--ttl <duration>', 'how long it is valid, e.g. 15m, 1h (a bare number is seconds; at most the gateway\'s auth.maxTokenAge)', { example: '15m', minMs: 1000 }, 3_600_000))
    .option('--scope <scopes>', 'comma-separated scopes, e.g. orders:read,orders:write')
    .option('--json', 'print the token with its claims as JSON')
    .addHelpText('after', `
Examples:
  $ curl -H "Authorization: Bearer $(msx token)" http://127.0.0.1:8080/api/users
  $ msx token --sub alice --scope orders:write --ttl 15m
  $ msx token --json | jq -r .token

Signed with JWT_SECRET from the environment or the system's .env (HS256),
with the issuer and audience the gateway requires (msx.yaml's auth.issuer
and auth.audience; by default msx:<system name> and <system name>), and no
longer than the gateway accepts (auth.maxTokenAge, default 24h).
${DURATION_HELP}`)
    .action((options: TokenOptions, command: Command) => {
      const root = workingDir(command);
      const { manifest } = loadManifest(root);
      warnOnVersionMismatch(root);
      const ttlMs = options.ttl;
      if (!options.sub) throw usageError('--sub must not be empty');
      const auth = gatewayAuth(manifest);
      if (auth && !auth.algorithms.includes('HS256')) {
        throw usageError(`the gateway accepts ${auth.algorithms.join(', ')} tokens from an identity provider; msx token signs HS256 only`, 'get a token from your identity provider, or add HS256 to the gateway\'s auth.algorithms in msx.yaml');
      }
      if (auth && ttlMs > auth.maxTokenAgeMs) {
        throw usageError(
          `--ttl ${formatDurationMs(ttlMs)} is longer than the gateway accepts (${formatDurationMs(auth.maxTokenAgeMs)})`,
          `ask for at most --ttl ${formatDurationMs(auth.maxTokenAgeMs)}, or raise ${auth.maxTokenAgeKey} in ${MANIFEST_FILE}`,
        );
      }
      const secrets = readSystemSecrets(root, manifest);
      const secret = process.env.JWT_SECRET || secrets.values.JWT_SECRET;
      if (!secret) throw new CliError(`no JWT_SECRET in the environment or in ${secrets.file ?? 'msx\'s environment'}`, { exitCode: 2, hint: 'msx new writes it into .env, and msx up --env <name> into .env.<name>; copy it from the system that created this folder' });
      const scopes = (options.scope ?? '').split(',').map((s) => s.trim()).filter(Boolean);
      const issuer = auth?.issuer ?? defaultIssuer(manifest.name);
      const audience = auth?.audience ?? manifest.name;
      const { token, expiresAt } = signUserToken({ sub: options.sub, scopes, ttlSeconds: Math.floor(ttlMs / 1000), issuer, audience, secret });
      if (options.json) return printJson({ token, sub: options.sub, scopes, issuer, audience, expiresAt: new Date(expiresAt * 1000).toISOString(), authorization: `Bearer ${token}` });
      info(token);
    });
}
