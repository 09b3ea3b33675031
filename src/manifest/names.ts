/**
 * Service and system names become hostnames, compose service names,
 * Kubernetes object names and environment variable prefixes, so they must be
 * DNS labels. We take the stricter RFC 1035 form Kubernetes uses for Service
 * names: lowercase letters, digits and '-', starting with a letter, ending
 * with a letter or digit, at most 63 characters.
 */
export const DNS_LABEL = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;

export const DNS_LABEL_RULE =
  'a DNS label: lowercase letters, digits and "-", starting with a letter, ending with a letter or digit, at most 63 characters';

/** Why `name` is not a DNS label, or undefined when it is one. */
export function dnsLabelProblem(name: string): string | undefined {
  if (name.length === 0) return 'it is empty';
  if (name.length > 63) return `it is ${name.length} characters long (at most 63)`;
  if (/[A-Z]/.test(name)) return 'it has uppercase letters';
  if (!/^[a-z]/.test(name)) return 'it does not start with a letter';
  if (/[^-a-z0-9]/.test(name)) return `it contains "${name.match(/[^-a-z0-9]/)![0]}"`;
  if (name.endsWith('-')) return 'it ends with "-"';
  return undefined;
}

/** A DNS label that `name` could have been, for "did you mean" hints. */
export function suggestDnsLabel(name: string): string {
  const label = name
    .toLowerCase()
    .replace(/[^-a-z0-9]+/g, '-')
    .replace(/^[^a-z]+/, '')
    .replace(/-+$/, '')
    .slice(0, 63)
    .replace(/-+$/, '');
  return label || 'service';
}

/** `orders-api` → `ORDERS_API`, the prefix of a service's environment variables. */
export function envName(service: string): string {
  return service.toUpperCase().replace(/-/g, '_');
}
