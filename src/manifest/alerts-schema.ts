import { z } from 'zod';
import { DURATION, durationMs } from './duration.js';

/**
 * What a service's alert rules compare with (src/alerts/): the thresholds
 * that differ between services. The rules themselves are msx's; msx.yaml
 * says only how much is too much. Every key has a default, so a service
 * without `alerts:` still gets every rule.
 */
export const ALERT_DEFAULTS = {
  errorRate: 0.05,
  latencyP99: '1s',
  consumerLag: 100,
} as const;

export const alertsSchema = z.strictObject({
  errorRate: z.number({ error: 'must be a share between 0 and 1, e.g. 0.05 for 5%' })
    .gt(0, { error: 'must be above 0 (0 would fire on the first failed request); e.g. 0.01 for 1%' })
    .max(1, { error: 'must be at most 1 (a share, not a percentage: 0.05 is 5%)' })
    .default(ALERT_DEFAULTS.errorRate)
    .describe('Share of requests answered 5xx above which the error-rate alert fires (default 0.05, i.e. 5%)'),
  latencyP99: z.string().regex(DURATION, { error: 'must be a duration such as 250ms, 1s or 2s' })
    .refine((value) => !DURATION.test(value) || durationMs(value) >= 1, { error: 'must be at least 1ms' })
    .default(ALERT_DEFAULTS.latencyP99)
    .describe('99th percentile request latency above which the latency alert fires (default 1s)'),
  consumerLag: z.number().int({ error: 'must be a whole number of events, e.g. 100' }).min(1, { error: 'must be at least 1 event' })
    .default(ALERT_DEFAULTS.consumerLag)
    .describe('Events waiting for the service\'s consumers above which the consumer-lag alert fires (default 100)'),
  for: z.string().regex(DURATION, { error: 'must be a duration such as 0s, 30s or 5m' }).optional()
    .describe('How long a rule\'s condition must hold before it fires, for every rule of the service but restarts, which fire at once (default per rule: 2m for the error rate, 5m for latency and consumer lag, 1m for dead letters and stuck sagas)'),
}).prefault({}).describe('Thresholds of the service\'s alert rules (msx alerts, and the Prometheus rules msx renders)');

export type AlertThresholds = z.infer<typeof alertsSchema>;
