import { usageError } from '../errors/cli-error.js';
import { GATEWAY_NAME, type NewServiceRequest } from '../manifest/initial-manifest.js';
import { DNS_LABEL_RULE, dnsLabelProblem, suggestDnsLabel } from '../manifest/names.js';
import { ADDABLE_KINDS } from '../scaffold/service-kinds.js';

/**
 * Parses `--services users,orders,mailer:worker`: names, optionally with a
 * kind, in the order they were given. Every problem is a usage error naming
 * the entry and what to write instead.
 */
export function parseServiceList(text: string): NewServiceRequest[] {
  const entries = text.split(',').map((s) => s.trim()).filter(Boolean);
  if (entries.length === 0) throw usageError('--services is empty', 'list service names separated by commas, e.g. --services users,orders');
  const seen = new Set<string>();
  return entries.map((entry) => {
    const [name = '', kind = 'http', ...rest] = entry.split(':');
    if (rest.length > 0) throw usageError(`"${entry}" in --services has more than one ":"`, 'write name or name:kind, e.g. mailer:worker');
    checkServiceName(name);
    if (!(ADDABLE_KINDS as string[]).includes(kind)) {
      throw usageError(`"${entry}": unknown kind "${kind}"`, `kinds: ${ADDABLE_KINDS.join(', ')} (the gateway is added for you)`);
    }
    if (seen.has(name)) throw usageError(`service "${name}" is listed twice in --services`);
    seen.add(name);
    return { name, kind: kind as NewServiceRequest['kind'] };
  });
}

/** Refuses names that cannot be hostnames or Kubernetes names, saying why and what would do. */
export function checkServiceName(name: string): void {
  const problem = dnsLabelProblem(name);
  if (problem) {
    throw usageError(`"${name}" cannot be a service name: ${problem}`, `a name must be ${DNS_LABEL_RULE}; for example "${suggestDnsLabel(name)}"`);
  }
  if (name === GATEWAY_NAME) throw usageError(`"${GATEWAY_NAME}" is the name of the system's gateway`, 'choose another name for the service');
}
