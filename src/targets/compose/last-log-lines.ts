import type Docker from 'dockerode';
import { formatEntry } from '../../logs/log-format.js';
import { errColour } from '../../ui/colour.js';
import type { LogEntry, LogQuery } from '../target.js';
import { systemContainers } from './compose-containers.js';
import { composeLogs } from './compose-logs.js';

/** The last `count` log lines of one container, formatted for an error's details (empty when it has none or is gone). */
export async function lastLogLines(docker: Docker, project: string, instance: string, count: number): Promise<string[]> {
  const entries: LogEntry[] = [];
  const query: LogQuery = { sources: [instance], follow: false, since: undefined, minLevel: undefined, grep: undefined, trace: undefined, tail: count };
  const all = await systemContainers(docker, project).catch(() => []);
  const services = [...new Set(all.map((c) => c.service))];
  await composeLogs(docker, project, services, query, (e) => entries.push(e)).catch(() => undefined);
  return entries.map((e) => formatEntry(e, errColour, instance.length));
}
