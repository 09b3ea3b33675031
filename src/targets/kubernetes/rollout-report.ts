import { CliError } from '../../errors/cli-error.js';
import { formatDurationMs } from '../../manifest/duration.js';
import type { EventLike } from './pod-problems.js';
import type { RolloutOutcome } from './rollout-wait.js';

/** Exit code of a deploy whose rollouts did not finish in --timeout, as timeout(1) uses. */
export const TIMEOUT_EXIT_CODE = 124;

/**
 * A rollout that did not end ready, as the error the user reads: the reason,
 * the pod's events and its last log lines for a failure; what each workload
 * still waits for on a timeout. Undefined when the rollout is ready.
 */
export function rolloutError(outcome: RolloutOutcome, context: { namespace: string; timeoutMs: number }): CliError | undefined {
  if (outcome.status === 'ready') return undefined;
  if (outcome.status === 'timeout') {
    const details = outcome.pending.map((p) => `${p.workload.service}: ${p.verdict.state === 'progressing' ? p.verdict.message : p.verdict.state} (${p.verdict.ready}/${p.verdict.desired} ready)`);
    if (outcome.events.length > 0) details.push('', 'warning events:', ...outcome.events.map(eventLine));
    return new CliError(`rollout not finished after ${formatDurationMs(context.timeoutMs)}`, {
      exitCode: TIMEOUT_EXIT_CODE,
      details,
      hint: `the objects are applied and Kubernetes keeps rolling out; watch it with msx ps, or wait longer with msx deploy --timeout 10m`,
    });
  }
  const details: string[] = [`${outcome.reason}: ${outcome.message}`];
  if (outcome.events.length > 0) details.push('', `events${outcome.pod ? ` of pod ${outcome.pod}` : ''}:`, ...outcome.events.map(eventLine));
  if (outcome.logs.length > 0) details.push('', `last log lines of ${outcome.pod}:`, ...outcome.logs.map((l) => `  ${l}`));
  return new CliError(`${outcome.workload.service} failed to roll out${outcome.pod ? ` (pod ${outcome.pod})` : ''}: ${outcome.reason}`, {
    exitCode: 1,
    details,
    hint: hintFor(outcome.reason, outcome.workload.service, context.namespace),
  });
}

function eventLine(event: EventLike): string {
  return `  ${(event as { type?: string }).type ?? ''} ${event.reason ?? ''}: ${event.message ?? ''}`.replace(/\s+$/, '');
}

function hintFor(reason: string, service: string, namespace: string): string {
  switch (reason) {
    case 'CrashLoopBackOff':
      return `the container keeps exiting: fix what its last log lines say, then msx deploy again (msx logs ${service} shows more)`;
    case 'ImagePullBackOff':
    case 'ErrImagePull':
    case 'InvalidImageName':
      return 'the cluster cannot pull the image: push it (msx build --push) to a registry the cluster can reach, or set infrastructure.kubernetes.registry in msx.yaml';
    case 'CreateContainerConfigError':
      return `a Secret or ConfigMap key the pod needs is missing: check .env has it, then msx deploy again (kubectl -n ${namespace} get secrets)`;
    case 'ProgressDeadlineExceeded':
      return `the pods did not become available in the Deployment's progressDeadlineSeconds: see the events above (kubectl -n ${namespace} describe deployment ${service})`;
    case 'FailedCreate':
      return `the controller could not create pods (a quota or an admission policy): see the event above`;
    default:
      return `see the events above (kubectl -n ${namespace} describe pods -l msx.dev/service=${service})`;
  }
}
