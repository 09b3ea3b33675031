import type { Instance } from '../discovery.js';
import { DiscoveryError } from '../discovery-error.js';

export interface OutlierEjectionOptions {
  /** Failures in a row after which an instance is ejected. Default 5. */
  readonly consecutiveFailures?: number;
  /** How long an ejected instance is skipped, in ms. Default 30,000. */
  readonly cooldownMs?: number;
}

export const DEFAULT_OUTLIER_EJECTION: Required<OutlierEjectionOptions> = { consecutiveFailures: 5, cooldownMs: 30_000 };

/** Per-instance health as passively observed from call outcomes. */
export interface OutlierRecord {
  consecutiveFailures: number;
  /** Epoch ms until which the instance is skipped; 0 when admitted. */
  ejectedUntil: number;
}

/**
 * Passive outlier ejection (Envoy's "consecutive 5xx"): an instance whose
 * calls fail N times in a row is skipped for a cooldown. After the cooldown
 * it is admitted on probation: one more failure ejects it again at once.
 * An instance that refused a connection is ejected at once: it is not
 * listening, and every call sent there until the cooldown would be refused
 * too. When every instance is ejected all are admitted, because sending traffic
 * somewhere beats failing every call locally.
 */
export class OutlierEjection {
  readonly consecutiveFailures: number;
  readonly cooldownMs: number;

  constructor(options: OutlierEjectionOptions = {}) {
    const merged = { ...DEFAULT_OUTLIER_EJECTION, ...options };
    if (!Number.isInteger(merged.consecutiveFailures) || merged.consecutiveFailures < 1) {
      throw new DiscoveryError('DISCOVERY_CONFIG_INVALID', `Expected the \`outlierEjection.consecutiveFailures\` option to be a positive integer, got ${String(merged.consecutiveFailures)}`);
    }
    if (!Number.isFinite(merged.cooldownMs) || merged.cooldownMs < 0) {
      throw new DiscoveryError('DISCOVERY_CONFIG_INVALID', `Expected the \`outlierEjection.cooldownMs\` option to be a non-negative number, got ${String(merged.cooldownMs)}`);
    }
    this.consecutiveFailures = merged.consecutiveFailures;
    this.cooldownMs = merged.cooldownMs;
  }

  /** The instances not currently ejected, or all of them if none is left. */
  admit(instances: readonly Instance[], record: (instance: Instance) => OutlierRecord | undefined, now: number): readonly Instance[] {
    const admitted = instances.filter((i) => (record(i)?.ejectedUntil ?? 0) <= now);
    return admitted.length > 0 ? admitted : instances;
  }

  /** Updates `record` with one call outcome. */
  observe(record: OutlierRecord, outcome: 'success' | 'failure' | 'unreachable' | 'no-verdict', now: number): void {
    if (outcome === 'no-verdict') return;
    if (outcome === 'unreachable') {
      record.ejectedUntil = now + this.cooldownMs;
      record.consecutiveFailures = this.consecutiveFailures - 1;
      return;
    }
    if (outcome === 'success') {
      record.consecutiveFailures = 0;
      record.ejectedUntil = 0;
      return;
    }
    record.consecutiveFailures += 1;
    if (record.consecutiveFailures >= this.consecutiveFailures) {
      record.ejectedUntil = now + this.cooldownMs;
      // Probation: after the cooldown, a single failure ejects again.
      record.consecutiveFailures = this.consecutiveFailures - 1;
    }
  }
}
