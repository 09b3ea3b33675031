import type { KubeObject } from './kube-object.js';

/** RFC 1123 label, what most object names and namespaces must be. */
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const LABEL_PREFIX = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** Keys whose numbers are TCP/UDP ports (the OpenAPI schemas say only "int32"). */
const PORT_KEYS = new Set(['port', 'containerPort', 'targetPort', 'hostPort', 'nodePort', 'number', 'endPort']);
/** Keys naming other cluster objects by a DNS subdomain (RFC 1123), which the API server checks. */
const SUBDOMAIN_KEYS = new Set(['ingressClassName', 'storageClassName', 'secretName', 'serviceName']);
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/**
 * What the API server checks beyond the OpenAPI schemas and would refuse
 * at apply time: ports out of 1-65535, names and namespaces that are not
 * DNS labels, malformed label keys or values.
 */
export function rangeProblems(object: KubeObject): { path: string; problem: string }[] {
  const problems: { path: string; problem: string }[] = [];
  const name = object.metadata?.name;
  if (name === undefined) problems.push({ path: '/metadata/name', problem: 'required field "name" is missing' });
  else if (name.length > 63 || !DNS_LABEL.test(name)) {
    problems.push({ path: '/metadata/name', problem: `"${name}" must be a DNS label: lowercase letters, digits and "-", at most 63 characters` });
  }
  const namespace = object.metadata?.namespace;
  if (namespace !== undefined && (namespace.length > 63 || !DNS_LABEL.test(namespace))) {
    problems.push({ path: '/metadata/namespace', problem: `"${namespace}" must be a DNS label` });
  }
  visit(object, '', (path, key, value) => {
    if (PORT_KEYS.has(key) && typeof value === 'number' && (!Number.isInteger(value) || value < 1 || value > 65535)) {
      problems.push({ path, problem: `port ${value} is out of range (1-65535)` });
    }
    if (SUBDOMAIN_KEYS.has(key) && typeof value === 'string' && (value.length > 253 || !DNS_SUBDOMAIN.test(value))) {
      problems.push({ path, problem: `${JSON.stringify(value)} must be a DNS subdomain: lowercase letters, digits, "-" and ".", at most 253 characters` });
    }
    if ((key === 'labels' || key === 'matchLabels') && value !== null && typeof value === 'object' && !Array.isArray(value)) {
      for (const [label, text] of Object.entries(value)) {
        const why = labelProblem(label, text);
        if (why) problems.push({ path: `${path}/${label.replace(/~/g, '~0').replace(/\//g, '~1')}`, problem: why });
      }
    }
  });
  return problems;
}

function labelProblem(key: string, value: unknown): string | undefined {
  const slash = key.lastIndexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined && (prefix.length > 253 || !LABEL_PREFIX.test(prefix))) return `label key "${key}" has an invalid prefix`;
  if (name.length === 0 || name.length > 63 || !LABEL_NAME.test(name)) return `label key "${key}" is not a valid label name`;
  if (typeof value !== 'string' || value.length > 63 || !LABEL_VALUE.test(value)) return `label value ${JSON.stringify(value)} of "${key}" is not valid (at most 63 characters: letters, digits, "-", "_", ".")`;
  return undefined;
}

function visit(value: unknown, path: string, onEntry: (path: string, key: string, value: unknown) => void): void {
  if (value === null || typeof value !== 'object') return;
  for (const [key, child] of Object.entries(value)) {
    const childPath = `${path}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
    if (!Array.isArray(value)) onEntry(childPath, key, child);
    visit(child, childPath, onEntry);
  }
}
