import { readFileSync } from 'node:fs';

/** CPU time and resident memory of one process, read from /proc (Linux). */
export interface ProcessSample {
  /** utime + stime, in clock ticks. */
  readonly cpuTicks: number;
  readonly rssBytes: number;
}

/** Kernel clock ticks per second; 100 on every mainstream Linux build. */
const CLOCK_TICKS = 100;

/**
 * utime + stime from the text of /proc/<pid>/stat. The command name (field
 * 2) may contain spaces and parentheses, so fields are counted from the last
 * ')'; utime and stime are fields 14 and 15.
 */
export function cpuTicksFromStat(stat: string): number {
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state), so field n is rest[n - 3].
  return Number(rest[11]) + Number(rest[12]);
}

/** VmRSS from the text of /proc/<pid>/status, in bytes. */
export function rssFromStatus(status: string): number {
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  return match ? Number(match[1]) * 1024 : 0;
}

export function sampleProcess(pid: number): ProcessSample | undefined {
  try {
    return {
      cpuTicks: cpuTicksFromStat(readFileSync(`/proc/${pid}/stat`, 'utf8')),
      rssBytes: rssFromStatus(readFileSync(`/proc/${pid}/status`, 'utf8')),
    };
  } catch {
    return undefined; // gone, or not Linux
  }
}

/**
 * CPU percent (of one core) and memory of each pid, from two samples
 * `intervalMs` apart: a rate needs two readings, and a short window says
 * what the process does now rather than its average since start.
 */
export async function measureProcesses(pids: readonly number[], intervalMs = 250): Promise<Map<number, { cpuPercent: number; memoryBytes: number }>> {
  const first = new Map(pids.map((pid) => [pid, sampleProcess(pid)]));
  const started = Date.now();
  await new Promise((resolve) => setTimeout(resolve, intervalMs));
  const seconds = (Date.now() - started) / 1000;
  const out = new Map<number, { cpuPercent: number; memoryBytes: number }>();
  for (const pid of pids) {
    const a = first.get(pid);
    const b = sampleProcess(pid);
    if (!a || !b) continue;
    out.set(pid, { cpuPercent: Math.max(0, ((b.cpuTicks - a.cpuTicks) / CLOCK_TICKS / seconds) * 100), memoryBytes: b.rssBytes });
  }
  return out;
}
