/**
 * `.msx/dashboard.json`: the URL of the dashboard running for this system
 * (mode 0600: the URL carries the token), so `msx up` can print it. Removed
 * when the dashboard stops; a record whose process is gone is ignored.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface DashboardRecord {
  readonly pid: number;
  readonly url: string;
}

const file = (root: string) => join(root, '.msx', 'dashboard.json');

export function writeDashboardRecord(root: string, record: DashboardRecord): void {
  try {
    mkdirSync(join(root, '.msx'), { recursive: true, mode: 0o700 });
    writeFileSync(file(root), `${JSON.stringify(record)}\n`, { mode: 0o600 });
  } catch {
    // Only a convenience for msx up: a read-only folder does not stop the dashboard.
  }
}

export function removeDashboardRecord(root: string, pid: number): void {
  if (readDashboardRecord(root)?.pid === pid) rmSync(file(root), { force: true });
}

/** The running dashboard's record, or undefined when none runs. */
export function readDashboardRecord(root: string): DashboardRecord | undefined {
  try {
    const record = JSON.parse(readFileSync(file(root), 'utf8')) as DashboardRecord;
    process.kill(record.pid, 0);
    return record;
  } catch {
    return undefined;
  }
}
