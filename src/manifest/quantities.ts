/**
 * CPU, memory and storage amounts in msx.yaml are written as Kubernetes
 * writes them (`100m`, `0.5`, `128Mi`, `1Gi`), so they can be copied into
 * rendered objects unchanged and read by anyone who knows Kubernetes. The
 * forms are a subset of Kubernetes quantities: no exponents, no decimal SI
 * suffixes for memory (`128M` is 128 000 000 bytes there, a common mistake).
 */
export const CPU_QUANTITY = /^(\d+m|\d+(\.\d{1,3})?)$/;
export const CPU_QUANTITY_RULE = 'a CPU amount such as 100m (millicores), 0.5 or 2 (cores)';

export const MEMORY_QUANTITY = /^\d+(Ki|Mi|Gi|Ti)$/;
export const MEMORY_QUANTITY_RULE = 'a memory amount in binary units such as 128Mi, 512Mi or 1Gi';

const BINARY_UNIT = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 } as const;

/** Millicores of a CPU amount already validated by {@link CPU_QUANTITY}. */
export function cpuMillicores(quantity: string): number {
  return quantity.endsWith('m') ? Number(quantity.slice(0, -1)) : Math.round(Number(quantity) * 1000);
}

/** Bytes of a memory amount already validated by {@link MEMORY_QUANTITY}. */
export function memoryBytes(quantity: string): number {
  const unit = quantity.slice(-2) as keyof typeof BINARY_UNIT;
  return Number(quantity.slice(0, -2)) * BINARY_UNIT[unit];
}
