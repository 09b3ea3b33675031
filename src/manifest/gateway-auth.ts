import { durationMs } from './duration.js';
import type { GatewayServiceSpec, Manifest } from './schema.js';

/**
 * The gateway's token rules as they apply, defaults resolved: what the
 * generated gateway verifies and what `msx token` mints, from one place so
 * the two can never disagree. Issuer and audience default to names derived
 * from the system, so a token minted for another system with the same key
 * is refused.
 */
export interface GatewayAuth {
  readonly gateway: string;
  readonly algorithms: GatewayServiceSpec['auth']['algorithms'];
  readonly issuer: string;
  readonly audience: string;
  readonly jwksUrl?: string;
  readonly clockSkewMs: number;
  readonly maxTokenAgeMs: number;
  /** Where maxTokenAge is set, for messages: `services.gateway.auth.maxTokenAge`. */
  readonly maxTokenAgeKey: string;
}

export function defaultIssuer(systemName: string): string {
  return `msx:${systemName}`;
}

/** The resolved auth of the system's gateway, or undefined when it has none. */
export function gatewayAuth(manifest: Manifest): GatewayAuth | undefined {
  const entry = Object.entries(manifest.services).find(([, s]) => s.kind === 'gateway');
  if (!entry || entry[1].kind !== 'gateway') return undefined;
  const [name, { auth }] = entry;
  return {
    gateway: name,
    algorithms: auth.algorithms,
    issuer: auth.issuer ?? defaultIssuer(manifest.name),
    audience: auth.audience ?? manifest.name,
    ...(auth.jwksUrl ? { jwksUrl: auth.jwksUrl } : {}),
    clockSkewMs: durationMs(auth.clockSkew),
    maxTokenAgeMs: durationMs(auth.maxTokenAge),
    maxTokenAgeKey: `services.${name}.auth.maxTokenAge`,
  };
}
