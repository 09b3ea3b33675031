import { Listr, type ListrTaskWrapper } from 'listr2';
import type { InstanceStatus, UpProgress } from './target.js';

interface ServiceTask {
  readonly done: Promise<void>;
  resolve(): void;
  reject(error: Error): void;
  task: ListrTaskWrapper<unknown, never, never> | undefined;
  title: string;
  settled: boolean;
}

/**
 * Progress of `msx up`, one line per service: a spinner while its instances
 * start, a tick with the count once all are ready, a cross when one failed.
 * listr2 draws it on a terminal; elsewhere (CI, pipes, tests) it prints one
 * plain line per finished service.
 */
export class UpProgressView implements UpProgress {
  readonly #tasks = new Map<string, ServiceTask>();
  #run: Promise<unknown> = Promise.resolve();

  onPlan(services: readonly string[]): void {
    for (const service of services) {
      let resolve!: () => void;
      let reject!: (error: Error) => void;
      const done = new Promise<void>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      const entry: ServiceTask = {
        done,
        resolve: () => { entry.settled = true; resolve(); },
        reject: (error) => { entry.settled = true; reject(error); },
        task: undefined,
        title: `${service}  waiting`,
        settled: false,
      };
      this.#tasks.set(service, entry);
    }
    const listr = new Listr(
      services.map((service) => ({
        title: `${service}  waiting`,
        task: async (_ctx: unknown, task: ListrTaskWrapper<unknown, never, never>) => {
          const entry = this.#tasks.get(service)!;
          entry.task = task;
          task.title = entry.title;
          await entry.done;
          task.title = entry.title;
        },
      })),
      {
        concurrent: true,
        exitOnError: false,
        registerSignalListeners: false,
        renderer: process.stdout.isTTY ? 'default' : 'simple',
        rendererOptions: { collapseErrors: false },
      } as never,
    );
    this.#run = listr.run().catch(() => undefined);
  }

  onChange(instances: readonly InstanceStatus[]): void {
    const byService = new Map<string, InstanceStatus[]>();
    for (const instance of instances) byService.set(instance.service, [...(byService.get(instance.service) ?? []), instance]);
    for (const [service, list] of byService) {
      const entry = this.#tasks.get(service);
      if (!entry || entry.settled) continue;
      const ready = list.filter((i) => i.ready).length;
      const failed = list.find((i) => i.state === 'failed');
      entry.title = failed
        ? `${service}  ${failed.id} failed`
        : ready === list.length
          ? `${service}  ready ${ready}/${list.length}  ${list.map((i) => i.url).join(' ')}`
          : `${service}  starting ${ready}/${list.length}`;
      if (entry.task) entry.task.title = entry.title;
      if (failed) entry.reject(new Error(entry.title));
      else if (ready === list.length && list.length > 0) entry.resolve();
    }
  }

  /** Settles what is left (services never started because an earlier one failed) and waits for the last frame. */
  async finish(ok: boolean): Promise<void> {
    for (const [service, entry] of this.#tasks) {
      if (entry.settled) continue;
      entry.title = ok ? `${service}  ready` : `${service}  not started`;
      if (entry.task) entry.task.title = entry.title;
      if (ok) entry.resolve();
      else entry.reject(new Error(entry.title));
    }
    await this.#run;
  }
}

/** Progress for `--json`: nothing, so stdout stays one JSON document. */
export const SILENT_PROGRESS: UpProgress = { onPlan() {}, onChange() {} };
