/**
 * `pg`, loaded on first use (an instance without a PostgreSQL database never
 * loads it), and without the 5 MB Node 20's fetch would cost it
 * (pg-navigator.ts says why and how).
 */
export async function loadPg(): Promise<typeof import('./pg-loaded.js').pg> {
  return (await import('./pg-loaded.js')).pg;
}
